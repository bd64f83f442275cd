// `relaycheck preflight` run on the council's side of a real kernel firewall, as a council runs it
// on its server before go-live. In: the lab of network namespaces (suites/lib/netns.ts) with the
// rules `relaycheck firewall` writes from the lab service-tag file loaded in `council` (nft -f);
// the simulated world in `azure` behind forwarders on lab addresses (suites/netns/lib/relay-lab.ts);
// the council's DNS (/etc/hosts of the namespace) naming those addresses; preflight as a separate
// process in `council` (`relaycheck preflight … --format json`: no network map, the operating
// system's resolver and real dials through the kernel). Out, from its JSON and exit code:
//   1. with the generated rules, the names resolve inside the lab ranges, 443, 5671 and 9350-9354
//      are reachable, TLS verifies for the names, the clock is read, the relay would pick tcp:
//      go-live would work (exit 0);
//   2. with the council's own table rejecting the TCP ports, 5671 and 9352 are refused and the
//      relay would pick https (exit 0, warnings); with it dropping them instead, they time out;
//   3. with 443 closed too, the relay would have no path: go-live would fail (exit 1), blocked by
//      the primary ports;
//   4. with the names moved to an address outside the ranges, the DNS check blocks go-live and
//      the kernel's generated rule answers each port as its policy says: refused (reject) or
//      timed out (drop).
// Needs root, ip and nft: skipped with the reason otherwise.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import type { CheckRow, PreflightReport } from '../../bin/src/preflight';
import { LAB, createLab, findTool, labUnavailable, type NetnsLab } from '../lib/netns';
import {
  COUNCIL_CLOSES_TCP,
  LAB_SOURCE,
  RELAY_TCP_PORTS,
  loadGeneratedRules,
  startAzure,
  within,
  type AzureSide,
} from './lib/relay-lab';

const skip =
  labUnavailable() ??
  (findTool('nft') === undefined ? 'nft (nftables) is not installed' : undefined);

const ROOT = join(__dirname, '..', '..');
const BIN = join(ROOT, 'bin', 'relaycheck.js');
const DIST_FIRST = join(ROOT, 'bin', 'dist-first.js');

/** The bound of each preflight step: a dropped port costs this, every port is checked at once. */
const STEP_MS = 1500;
/** The ports asked for: the guide's, less 80 and 5672 (nothing in the lab listens there). */
const PORTS = [443, 5671, ...RELAY_TCP_PORTS];

/** The council's own table, dropping what COUNCIL_CLOSES_TCP rejects. */
const COUNCIL_DROPS_TCP = COUNCIL_CLOSES_TCP.replace('reject with tcp reset', 'drop');
/** The council's own table, rejecting 443 as well. */
const COUNCIL_CLOSES_ALL = COUNCIL_CLOSES_TCP.replace(
  '5671-5672, 9350-9354',
  '443, 5671-5672, 9350-9354',
);

interface PreflightRun {
  readonly code: number | null;
  readonly report: PreflightReport;
}

/** `relaycheck preflight` in `council` against the two logical names; its JSON and exit code. */
async function preflight(lab: NetnsLab, azure: AzureSide): Promise<PreflightRun> {
  const child = lab.spawn(
    lab.council,
    process.execPath,
    [
      BIN,
      'preflight',
      '--namespace',
      azure.sbHost,
      '--relay-namespace',
      azure.hcHost,
      '--source',
      LAB_SOURCE,
      '--regions',
      'uksouth,ukwest',
      '--ca',
      azure.caPath,
      '--ports',
      PORTS.join(','),
      '--timeout',
      String(STEP_MS),
      '--expiry-warn-days',
      '0',
      '--format',
      'json',
    ],
    { NODE_OPTIONS: `--require ${DIST_FIRST}` },
  );
  const code = await within(
    new Promise<number | null>((resolve) => child.process.once('close', resolve)),
    60_000,
    'preflight exit',
  );
  let report: PreflightReport;
  try {
    report = JSON.parse(child.stdout()) as PreflightReport;
  } catch {
    throw new Error(
      `preflight exited ${String(code)} without JSON: ${child.stderr().slice(-1500)}`,
    );
  }
  return { code, report };
}

function row(report: PreflightReport, id: string): CheckRow {
  const found = report.checks.find((r) => r.id === id);
  if (found === undefined) throw new Error(`preflight has no check ${id}`);
  return found;
}

/** The results of the TCP rows of `host`, by port. */
function tcpResults(report: PreflightReport, host: string, ports: readonly number[]) {
  return Object.fromEntries(ports.map((p) => [p, row(report, `tcp:${host}:${String(p)}`).result]));
}

void t.test(
  'relaycheck preflight in the council namespace, behind the generated nftables rules',
  { skip },
  async (t) => {
    const lab: NetnsLab = await createLab(t);
    const dir = mkdtempSync(join(tmpdir(), 'relaycheck-netns-preflight-'));
    t.teardown(() => {
      rmSync(dir, { recursive: true, force: true });
    });
    await loadGeneratedRules(lab, dir);
    const azure = await startAzure(lab, dir);
    const sb = azure.sbHost;
    const hc = azure.hcHost;
    const inside = { [sb]: LAB.uksouth4, [hc]: LAB.ukwest4 };
    lab.hosts(lab.council, inside);

    await t.test(
      'with the generated rules alone every port is reachable, TLS verifies and the relay would pick tcp',
      async (t) => {
        const { code, report } = await preflight(lab, azure);
        t.equal(code, 0, 'exit 0');
        t.same(
          { verdict: report.verdict, blocking: report.blocking, warnings: report.warnings },
          { verdict: 'go', blocking: [], warnings: [] },
          'go-live would work, with no warning',
        );
        t.same(
          { resolver: report.network.resolver, dialer: report.network.dialer },
          { resolver: 'system', dialer: 'direct' },
          "the server's own resolver and real dials (no network map)",
        );
        for (const [host, address] of [
          [sb, LAB.uksouth4],
          [hc, LAB.ukwest4],
        ] as const) {
          const dns = row(report, `dns:${host}`);
          t.equal(dns.result, 'resolved', `${host} resolved`);
          t.match(dns.detail, address, `${host}: its lab address ${address}`);
          t.match(dns.detail, /inside/, `${host}: inside the lab ranges`);
        }
        t.same(
          tcpResults(report, sb, [443, 5671]),
          { 443: 'reachable', 5671: 'reachable' },
          'Service Bus 443 and 5671 reachable',
        );
        t.same(
          tcpResults(report, hc, [443, ...RELAY_TCP_PORTS]),
          Object.fromEntries([443, ...RELAY_TCP_PORTS].map((p) => [p, 'reachable'])),
          'Azure Relay 443 and 9350-9354 reachable',
        );
        for (const id of [`tls:${sb}:443`, `tls:${sb}:5671`, `tls:${hc}:443`, `tls:${hc}:9352`]) {
          t.equal(row(report, id).result, 'verified', `${id} verified for the logical name`);
        }
        t.equal(row(report, 'clock').result, 'in-window', 'the clock read from the namespace');
        t.equal(row(report, 'mode').result, 'tcp', 'the relay would pick tcp');
      },
    );

    await t.test(
      "with the council's table rejecting the TCP ports, 5671 and 9352 are refused and the relay would pick https",
      async (t) => {
        await lab.exec(lab.council, 'nft', ['-f', '-'], COUNCIL_CLOSES_TCP);
        const { code, report } = await preflight(lab, azure);
        t.equal(code, 0, 'exit 0: the relay still works, on 443');
        t.equal(report.verdict, 'go', 'go-live would work');
        t.same(tcpResults(report, sb, [443, 5671]), { 443: 'reachable', 5671: 'refused' });
        t.same(
          tcpResults(report, hc, [443, ...RELAY_TCP_PORTS]),
          Object.fromEntries([[443, 'reachable'], ...RELAY_TCP_PORTS.map((p) => [p, 'refused'])]),
          'Azure Relay: 443 reachable, 9350-9354 refused',
        );
        t.equal(row(report, 'mode').result, 'https', 'the relay would fall back to https');
        t.ok(report.warnings.includes('mode'), 'the fall-back is a warning');
        t.ok(
          report.warnings.includes(`tcp:${sb}:5671`) && report.warnings.includes(`tcp:${hc}:9352`),
          '5671 and 9352 are warnings',
        );
      },
    );

    await t.test(
      "with the council's table dropping the TCP ports, they time out and the relay would pick https",
      async (t) => {
        await lab.exec(lab.council, 'nft', ['-f', '-'], COUNCIL_DROPS_TCP);
        const { code, report } = await preflight(lab, azure);
        t.equal(code, 0, 'exit 0');
        t.same(tcpResults(report, sb, [443, 5671]), { 443: 'reachable', 5671: 'timed-out' });
        t.equal(row(report, `tcp:${hc}:9352`).result, 'timed-out', 'Azure Relay 9352 timed out');
        t.equal(row(report, 'mode').result, 'https', 'the relay would fall back to https');
      },
    );

    await t.test(
      'with 443 closed as well, the relay would have no path: go-live would fail (exit 1)',
      async (t) => {
        await lab.exec(lab.council, 'nft', ['-f', '-'], COUNCIL_CLOSES_ALL);
        const { code, report } = await preflight(lab, azure);
        t.equal(code, 1, 'exit 1');
        t.equal(report.verdict, 'no-go', 'go-live would fail');
        t.equal(row(report, 'mode').result, 'none', 'the relay would pick no mode');
        for (const id of [`tcp:${sb}:443`, `tcp:${sb}:5671`, `tcp:${hc}:443`, `tcp:${hc}:9352`]) {
          t.equal(row(report, id).result, 'refused', `${id} refused`);
          t.ok(report.blocking.includes(id), `${id} blocks go-live`);
        }
        await lab.exec(lab.council, 'nft', ['delete', 'table', 'inet', 'council']);
      },
    );

    for (const policy of ['reject', 'drop'] as const) {
      await t.test(
        `with the names moved outside the ranges, DNS blocks go-live and the generated rule (policy ${policy}) answers every port`,
        async (t) => {
          await loadGeneratedRules(lab, dir, ['--policy', policy]);
          lab.hosts(lab.council, { [sb]: LAB.outside4, [hc]: LAB.outside4 });
          t.teardown(() => {
            lab.hosts(lab.council, inside);
          });
          const { code, report } = await preflight(lab, azure);
          t.equal(code, 1, 'exit 1');
          for (const host of [sb, hc]) {
            const dns = row(report, `dns:${host}`);
            t.same(
              { result: dns.result, blocking: dns.blocking },
              { result: 'outside-ranges', blocking: true },
              `${host}: outside the ranges, blocking`,
            );
            t.match(dns.detail, LAB.outside4, `${host}: the detail names ${LAB.outside4}`);
          }
          // Something listens on the outside address on each of these (the forwarders): a
          // refusal or a silence is the kernel's.
          const expected = policy === 'reject' ? 'refused' : 'timed-out';
          t.same(
            tcpResults(report, sb, [443, 5671]),
            { 443: expected, 5671: expected },
            `Service Bus 443 and 5671 ${expected}`,
          );
          t.same(
            tcpResults(report, hc, [...RELAY_TCP_PORTS]),
            Object.fromEntries(RELAY_TCP_PORTS.map((p) => [p, expected])),
            `Azure Relay 9350-9354 ${expected}`,
          );
          t.equal(row(report, 'mode').result, 'none', 'the relay would pick no mode');
        },
      );
    }
  },
);
