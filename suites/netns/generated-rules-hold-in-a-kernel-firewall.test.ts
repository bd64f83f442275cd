// The rules `relaycheck firewall` writes, loaded into a real kernel firewall. In: a lab of
// network namespaces (suites/lib/netns.ts): listeners in `azure` on addresses inside the lab's
// UK South and UK West ranges and outside them, IPv4 and IPv6, on the relay's ports and one
// other; a back office in `backoffice` on 443. The rules generated from
// fixtures/service-tags/lab/ServiceTags_Lab.json are loaded in `council` exactly as docs/firewall.md
// tells a council (nft -f; iptables-restore --noflush and the OUTPUT hook). Out: from `council`,
// every allowed port to every allowed range connects; the same ports to an address outside the
// ranges are refused (policy reject) or time out (policy drop); other ports are left to the
// council's own policy (they connect here); the back office, named internal, stays reachable; with
// --ports 443 the AMQP and Relay ports are refused even inside the ranges. Needs root, ip and
// nft (iptables for the second pass): skipped with the reason otherwise.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { main } from '../../bin/src/main';
import { capture } from '../../bin/test/lib/capture';
import {
  LAB,
  LISTEN_SCRIPT,
  createLab,
  findTool,
  labUnavailable,
  probe,
  type NetnsLab,
  type ProbeResult,
} from '../lib/netns';

const ROOT = join(__dirname, '..', '..');
const SOURCE = join(ROOT, 'fixtures', 'service-tags', 'lab', 'ServiceTags_Lab.json');
const GUIDE_PORTS = [80, 443, 5671, 5672, 9350, 9351, 9352, 9353, 9354];
const OTHER_PORT = 8080;
/** A dropped dial is given this long before it counts as timed out. */
const DROP_WAIT_MS = 1500;

const INSIDE = [LAB.uksouth4, LAB.ukwest4, LAB.uksouth6, LAB.ukwest6];
const OUTSIDE = [LAB.outside4, LAB.outside6];

const skip =
  labUnavailable() ??
  (findTool('nft') === undefined ? 'nft (nftables) is not installed' : undefined);

/**
 * Writes the rules with `relaycheck firewall` (the command a council runs, in this process) and
 * returns the --out path.
 */
async function generate(dir: string, format: string, extra: readonly string[]): Promise<string> {
  const out = join(dir, `rules-${String((generated += 1))}.${format}`);
  const io = capture();
  const code = await main(
    [
      'node',
      'relaycheck',
      'firewall',
      '--source',
      SOURCE,
      '--regions',
      'uksouth,ukwest',
      '--format',
      format,
      '--internal',
      'default,198.19.0.0/30',
      '--out',
      out,
      ...extra,
    ],
    io,
  );
  if (code !== 0) throw new Error(`relaycheck firewall exited ${String(code)}: ${io.stderr}`);
  return out;
}
let generated = 0;

async function world(t: tap.Test): Promise<{ lab: NetnsLab; dir: string }> {
  const lab = await createLab(t);
  const dir = mkdtempSync(join(tmpdir(), 'relaycheck-netns-'));
  t.teardown(() => {
    rmSync(dir, { recursive: true, force: true });
  });
  const listen: [string, number][] = [];
  for (const a of [...INSIDE, ...OUTSIDE]) {
    for (const p of [...GUIDE_PORTS, OTHER_PORT]) listen.push([a, p]);
  }
  const azure = lab.node(lab.azure, LISTEN_SCRIPT, { LISTEN: JSON.stringify(listen) });
  const backOffice = lab.node(lab.backoffice, LISTEN_SCRIPT, {
    LISTEN: JSON.stringify([[LAB.backoffice4, 443]]),
  });
  await Promise.all([azure.waitFor('ready'), backOffice.waitFor('ready')]);
  return { lab, dir };
}

function targets(addresses: readonly string[], ports: readonly number[]): [string, number][] {
  return addresses.flatMap((a) => ports.map((p): [string, number] => [a, p]));
}

/** Every result of `got` for these targets is `want`; a failure names each one that is not. */
function expectAll(
  t: tap.Test,
  got: Record<string, ProbeResult>,
  list: readonly (readonly [string, number])[],
  want: ProbeResult,
  what: string,
): void {
  const wrong = list
    .map(([a, p]) => `${a} ${String(p)}`)
    .filter((k) => got[k] !== want)
    .map((k) => `${k}: ${got[k] ?? 'no result'}`);
  t.same(wrong, [], `${what}: ${want} (${String(list.length)} dials)`);
}

async function checkRules(
  t: tap.Test,
  lab: NetnsLab,
  outside: 'refused' | 'timed-out',
): Promise<void> {
  const allowed = targets(INSIDE, GUIDE_PORTS);
  const stopped = targets(OUTSIDE, GUIDE_PORTS);
  const other = targets([...INSIDE, ...OUTSIDE], [OTHER_PORT]);
  const bo: [string, number][] = [[LAB.backoffice4, 443]];
  const got = await probe(
    lab,
    lab.council,
    [...allowed, ...stopped, ...other, ...bo],
    DROP_WAIT_MS,
  );
  expectAll(t, got, allowed, 'connected', 'the relay ports to the allowed ranges (IPv4 and IPv6)');
  expectAll(t, got, stopped, outside, 'the relay ports to an address outside the ranges');
  expectAll(t, got, other, 'connected', 'another port is left to the council policy');
  expectAll(t, got, bo, 'connected', 'the back office (named internal) on 443');
}

void t.test('before any rule, everything in the lab connects', { skip }, async (t) => {
  const { lab } = await world(t);
  const all = targets([...INSIDE, ...OUTSIDE], [...GUIDE_PORTS, OTHER_PORT]);
  expectAll(t, await probe(lab, lab.council, all, DROP_WAIT_MS), all, 'connected', 'no firewall');
});

void t.test(
  'the nftables rules allow exactly the ranges on the relay ports: reject, then drop',
  { skip },
  async (t) => {
    const { lab, dir } = await world(t);
    await lab.exec(lab.council, 'nft', ['-f', await generate(dir, 'nftables', [])]);
    await checkRules(t, lab, 'refused');
    // The file replaces its own table: loading the drop policy over it leaves one table.
    await lab.exec(lab.council, 'nft', [
      '-f',
      await generate(dir, 'nftables', ['--policy', 'drop']),
    ]);
    const tables = await lab.exec(lab.council, 'nft', ['list', 'tables']);
    t.equal(tables.trim(), 'table inet relaycheck', 'one table, replaced in place');
    await checkRules(t, lab, 'timed-out');
  },
);

void t.test(
  'with --ports 443 only 443 is refused outside the ranges; the other ports are left alone',
  { skip },
  async (t) => {
    const { lab, dir } = await world(t);
    await lab.exec(lab.council, 'nft', ['-f', await generate(dir, 'nftables', ['--ports', '443'])]);
    const https = targets(INSIDE, [443]);
    const httpsOutside = targets(OUTSIDE, [443]);
    const others = targets([...INSIDE, ...OUTSIDE], [5671, 9352]);
    const got = await probe(lab, lab.council, [...https, ...httpsOutside, ...others], DROP_WAIT_MS);
    expectAll(t, got, https, 'connected', '443 to the ranges');
    expectAll(t, got, httpsOutside, 'refused', '443 outside the ranges');
    expectAll(t, got, others, 'connected', "5671 and 9352 are not the rules' business now");
  },
);

const iptablesSkip =
  skip ??
  (findTool('iptables-restore') === undefined || findTool('ip6tables-restore') === undefined
    ? 'iptables-restore and ip6tables-restore are not installed'
    : undefined);

void t.test(
  'the iptables rules, loaded as the file says, do the same: reject, then drop',
  { skip: iptablesSkip },
  async (t) => {
    const { lab, dir } = await world(t);
    for (const [policy, outside] of [
      ['reject', 'refused'],
      ['drop', 'timed-out'],
    ] as const) {
      const base = await generate(dir, 'iptables', ['--policy', policy]);
      for (const [restore, cmd, file] of [
        ['iptables-restore', 'iptables', `${base}.v4`],
        ['ip6tables-restore', 'ip6tables', `${base}.v6`],
      ] as const) {
        await lab.exec(lab.council, restore, ['--noflush'], readFileSync(file, 'utf8'));
        // The hook, as the file's header gives it (idempotent).
        await lab
          .exec(lab.council, cmd, ['-C', 'OUTPUT', '-j', 'RELAYCHECK-OUT'])
          .catch(() => lab.exec(lab.council, cmd, ['-I', 'OUTPUT', '1', '-j', 'RELAYCHECK-OUT']));
      }
      await checkRules(t, lab, outside);
    }
    const hooks = await lab.exec(lab.council, 'iptables', ['-S', 'OUTPUT']);
    t.equal(
      hooks.split('\n').filter((l) => l.includes('RELAYCHECK-OUT')).length,
      1,
      'loading twice leaves one hook',
    );
  },
);
