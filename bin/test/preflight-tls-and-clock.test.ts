// Preflight's TLS and clock checks against the simulated world: the handshake's version,
// cipher and certificate chain (subject, issuer, dates, days to expiry) from the simulator's
// run-time CA; a chain that does not verify without that CA (blocking: the relay's own probes
// would fail, so no mode works); a certificate for another name; an expiry warning; and this
// server's clock against the namespace's HTTP Date header with an injected clock: in the
// window, drifting, and outside the handshake's ±120 s (blocking).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { networkMapFile } from '../../relay/src/connectivity/network-map';
import { networkMapResolver } from '../../relay/src/connectivity/resolver';
import { mapDialer, runPreflight, type CheckRow, type PreflightReport } from '../src/preflight';
import { startPreflightWorld, type PreflightWorld } from '../src/preflight/testing';

const DAY_MS = 86_400_000;

function row(report: PreflightReport, id: string): CheckRow {
  const found = report.checks.find((r) => r.id === id);
  if (found === undefined) throw new Error(`no check ${id}`);
  return found;
}

let w: PreflightWorld;
t.before(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'relaycheck-preflight-tls-'));
  w = await startPreflightWorld(dir);
  t.teardown(async () => {
    await w.close();
    rmSync(dir, { recursive: true, force: true });
  });
});

void t.test("the handshake's version, cipher and chain come from the simulator's CA", async (t) => {
  const before = Date.now();
  const report = await runPreflight(await w.input());
  for (const id of [
    `tls:${w.sbHost}:443`,
    `tls:${w.sbHost}:5671`,
    `tls:${w.hcHost}:443`,
    `tls:${w.hcHost}:9352`,
  ]) {
    const r = row(report, id);
    t.equal(r.status, 'pass', `${id} passes`);
    t.equal(r.result, 'verified');
  }
  const r = row(report, `tls:${w.sbHost}:5671`);
  if (r.check !== 'tls' || r.data === null) throw new Error('no TLS data');
  t.match(r.data.protocol, /^TLSv1\.[23]$/);
  t.match(r.data.cipher, /^TLS_/);
  t.equal(r.data.authorized, true);
  t.equal(r.data.hostnameMatches, true);
  const leaf = r.data.chain[0];
  if (leaf === undefined) throw new Error('no certificate');
  t.match(leaf.issuer, 'CN=relaycheck simulator CA');
  t.match(leaf.subjectAltName, `DNS:${w.sbHost}`);
  t.match(leaf.validFrom, /^\d{4}-\d\d-\d\dT/);
  const expected = Math.floor((Date.parse(leaf.validTo) - before) / DAY_MS);
  t.ok(
    leaf.daysToExpiry === expected || leaf.daysToExpiry === expected - 1,
    `days to expiry ${leaf.daysToExpiry} from ${leaf.validTo}`,
  );
  t.match(r.detail, `issued by relaycheck simulator CA, valid to ${leaf.validTo.slice(0, 10)}`);
  t.match(r.detail, `verified against the system store and ${w.caPath}`);
  t.equal(report.exitCode, 0);
});

void t.test('without the CA the chain does not verify: the relay would have no path', async (t) => {
  const report = await runPreflight(await w.input({ extraCa: [], caLabel: undefined }));
  const r = row(report, `tls:${w.sbHost}:5671`);
  t.equal(r.result, 'untrusted');
  t.equal(r.status, 'fail');
  t.match(r.detail, /does not verify against the system store \(UNABLE_TO_VERIFY_LEAF_SIGNATURE\)/);
  t.match(r.detail, /if relaycheck simulator CA is a TLS-inspecting proxy/);
  if (r.check !== 'tls' || r.data === null) throw new Error('no TLS data');
  t.equal(r.data.authorized, false);
  t.equal(
    r.data.chain[0]?.issuer.includes('relaycheck simulator CA'),
    true,
    'the chain is still read',
  );
  t.equal(row(report, `tcp:${w.sbHost}:5671`).result, 'reachable', 'the port itself answers');
  t.equal(row(report, 'mode').result, 'none');
  t.match(row(report, 'mode').detail, /amqp:5671 tls-failed/);
  t.equal(report.ca, null);
  t.equal(report.exitCode, 1);
});

void t.test('a certificate for another name is a mismatch', async (t) => {
  const other = 'council-99.servicebus.windows.net';
  const map = networkMapFile(w.mapPath);
  const world = networkMapResolver(map);
  const report = await runPreflight(
    await w.input({ namespace: other, relayNamespace: undefined, ports: [443, 5671] }),
    {
      // council-99 answers Service Bus's address, so the socket reaches council-42's listener.
      resolver: (host) => world(host === other ? w.sbHost : host),
      dialer: mapDialer(map),
    },
  );
  const r = row(report, `tls:${other}:5671`);
  t.equal(r.result, 'name-mismatch');
  t.match(r.detail, /Host: council-99\.servicebus\.windows\.net\. is not in the cert's altnames/);
  if (r.check !== 'tls' || r.data === null) throw new Error('no TLS data');
  t.equal(r.data.authorized, true, 'the chain itself verifies');
  t.equal(r.data.hostnameMatches, false);
  t.equal(row(report, 'mode').result, 'none');
  t.equal(report.exitCode, 1);
});

void t.test('a certificate expiring within the warning period is a warning', async (t) => {
  const report = await runPreflight(await w.input({ expiryWarnDays: 30 }));
  const r = row(report, `tls:${w.sbHost}:443`);
  t.equal(r.result, 'expires-soon');
  t.equal(r.status, 'warn');
  t.match(r.detail, /expires within 30 days/);
  t.equal(report.exitCode, 0, 'go-live still works');
});

void t.test("this server's clock is compared with the namespace's Date header", async (t) => {
  const report = await runPreflight(await w.input({ ports: [443] }));
  const r = row(report, 'clock');
  t.equal(r.result, 'in-window');
  t.equal(r.status, 'pass');
  t.equal(r.target, `${w.sbHost}:443`);
  if (r.check !== 'clock' || r.data === null) throw new Error('no clock data');
  t.ok(Math.abs(r.data.aheadMs) <= r.data.uncertaintyMs + 1_000, `skew ${r.data.aheadMs} ms`);
  t.equal(r.data.windowMs, 120_000);
  t.equal(r.data.verifiedTls, true);
  t.match(r.detail, /the handshake allows ±120 s/);
});

void t.test('a clock a minute behind is drifting: a warning', async (t) => {
  const report = await runPreflight(await w.input({ ports: [443] }), {
    now: () => Date.now() - 60_000,
  });
  const r = row(report, 'clock');
  t.equal(r.result, 'drifting');
  t.equal(r.status, 'warn');
  t.match(r.detail, /this server's clock is (59|60|61) s behind/);
  t.equal(report.exitCode, 0);
});

void t.test('a clock ten minutes ahead is outside the handshake window: blocking', async (t) => {
  const report = await runPreflight(await w.input({ ports: [443] }), {
    now: () => Date.now() + 600_000,
  });
  const r = row(report, 'clock');
  t.equal(r.result, 'outside-window');
  t.equal(r.status, 'fail');
  t.equal(r.blocking, true);
  if (r.check !== 'clock' || r.data === null) throw new Error('no clock data');
  t.ok(Math.abs(r.data.aheadMs - 600_000) <= 2_000, `skew ${r.data.aheadMs} ms`);
  t.match(r.detail, /600 s ahead of/);
  t.match(r.detail, /HS_E_SKEW/);
  t.match(r.detail, /NTP/);
  t.same(report.blocking, ['clock'], 'the clock alone stops go-live (https mode otherwise works)');
  t.equal(report.exitCode, 1);
});
