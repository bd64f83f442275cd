// Preflight's DNS check against the simulated world's DNS model: each namespace's A and AAAA
// answers are listed and checked against the published ranges; an answer moved outside them is
// blocking and the row names where the service-tag source publishes it instead (or that it
// publishes it nowhere); the relay would refuse to dial it, so its mode is none. A name the
// DNS does not know is blocking and nothing is dialled for it.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { runPreflight, type CheckRow, type PreflightReport } from '../src/preflight';
import { startPreflightWorld, type PreflightWorld } from '../src/preflight/testing';

function row(report: PreflightReport, id: string): CheckRow {
  const found = report.checks.find((r) => r.id === id);
  if (found === undefined) throw new Error(`no check ${id}`);
  return found;
}

let w: PreflightWorld;
let start: readonly string[];
t.before(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'relaycheck-preflight-dns-'));
  w = await startPreflightWorld(dir);
  start = w.world.network?.dns.record(w.sbHost).addresses ?? [];
  t.teardown(async () => {
    await w.close();
    rmSync(dir, { recursive: true, force: true });
  });
});

void t.test('answers inside the ranges pass and name the prefixes that hold them', async (t) => {
  const inRange = '2603:1020:705::710'; // ServiceBus.UKSouth 2603:1020:705::700/120
  await w.setAnswer(w.sbHost, [...start, inRange]);
  t.teardown(() => w.setAnswer(w.sbHost, start));
  const report = await runPreflight(await w.input());
  const dns = row(report, `dns:${w.sbHost}`);
  t.equal(dns.status, 'pass');
  t.equal(dns.result, 'resolved');
  t.match(dns.detail, `A ${start.join(', ')}; AAAA ${inRange}`);
  t.match(dns.detail, /; inside ServiceBus\.UKSouth .*ServiceBus\.UKSouth 2603:1020:705::700\/120/);
  if (dns.check !== 'dns' || dns.data === null) throw new Error('no DNS data');
  t.same(
    dns.data.addresses.map((a) => [a.family, a.inRanges]),
    [
      [4, true],
      [6, true],
    ],
  );
  t.equal(row(report, `tcp:${w.sbHost}:5671`).result, 'reachable', 'the first answer is dialled');
  t.equal(report.exitCode, 0);
});

void t.test(
  'an answer moved into another tag is blocking and the row names that range',
  async (t) => {
    await w.setAnswer(w.sbHost, ['4.158.10.20']); // AzureCloud.uksouth 4.158.0.0/15, not ServiceBus
    t.teardown(() => w.setAnswer(w.sbHost, start));
    const report = await runPreflight(await w.input());
    const dns = row(report, `dns:${w.sbHost}`);
    t.equal(dns.status, 'fail');
    t.equal(dns.result, 'outside-ranges');
    t.equal(dns.blocking, true);
    t.match(
      dns.detail,
      '4.158.10.20 is outside the allowed ranges (ServiceBus.UKSouth, ServiceBus.UKWest',
    );
    t.match(dns.detail, 'publishes it in AzureCloud.uksouth 4.158.0.0/15');
    if (dns.check !== 'dns' || dns.data === null) throw new Error('no DNS data');
    t.same(dns.data.addresses[0]?.publishedIn[0], {
      prefix: '4.158.0.0/15',
      tag: 'AzureCloud.uksouth',
      region: 'uksouth',
    });
    t.equal(row(report, 'mode').result, 'none', 'the relay refuses to dial an address outside');
    t.match(row(report, 'mode').detail, /amqp:5671 egress-refused/);
    t.equal(
      row(report, `tcp:${w.sbHost}:5671`).result,
      'refused',
      "and the council's firewall, which allows only the ranges, refuses it too",
    );
    t.ok(report.blocking.includes(dns.id));
    t.equal(report.exitCode, 1);
  },
);

void t.test('an answer the source publishes nowhere says the list may be stale', async (t) => {
  await w.setAnswer(w.hcHost, ['203.0.113.9']);
  const before = w.world.network?.dns.record(w.hcHost).history[0] ?? '';
  t.teardown(() => w.setAnswer(w.hcHost, [before]));
  const report = await runPreflight(await w.input());
  const dns = row(report, `dns:${w.hcHost}`);
  t.equal(dns.result, 'outside-ranges');
  t.match(dns.detail, 'does not publish it at all: the list may be stale');
  t.equal(row(report, `dns:${w.sbHost}`).status, 'pass', 'the other namespace is unaffected');
  t.equal(report.exitCode, 1);
});

void t.test('without ranges the answers are listed but not judged', async (t) => {
  const report = await runPreflight(await w.input({ ranges: undefined }));
  const dns = row(report, `dns:${w.sbHost}`);
  t.equal(dns.status, 'pass');
  t.match(dns.detail, /not checked against the published ranges: give --source/);
  t.equal(report.ranges, null);
});

void t.test(
  'a namespace the DNS does not know is blocking and nothing is dialled for it',
  async (t) => {
    const dialled: string[] = [];
    const report = await runPreflight(
      await w.input({ namespace: 'council-43.servicebus.windows.net', ports: [443, 5671] }),
      {
        sockets: {
          tcp: () => {
            dialled.push('tcp');
            throw new Error('no socket may be opened');
          },
          tls: (o) => {
            dialled.push(`${o.host}:${o.port}`);
            throw new Error('no socket may be opened');
          },
        },
        dialer: (target) => {
          if (target.host === 'council-43.servicebus.windows.net') dialled.push(target.host);
          return Promise.resolve({ kind: 'not-served', reason: 'no dial in this test' });
        },
      },
    );
    const dns = row(report, 'dns:council-43.servicebus.windows.net');
    t.equal(dns.result, 'no-address');
    t.equal(dns.status, 'fail');
    t.match(dns.detail, /cannot resolve council-43\.servicebus\.windows\.net: no such name in/);
    t.equal(row(report, 'tcp:council-43.servicebus.windows.net:5671').result, 'not-checked');
    t.same(dialled, [], 'no dial was even planned');
    t.equal(report.exitCode, 1);
  },
);

void t.test('a resolver that never answers is bounded by the timeout', async (t) => {
  const started = Date.now();
  const report = await runPreflight(await w.input({ timeoutMs: 200, ports: [443] }), {
    resolver: () => new Promise<never>(() => undefined),
  });
  const dns = row(report, `dns:${w.sbHost}`);
  t.equal(dns.result, 'no-address');
  t.match(dns.detail, /cannot resolve .*: no answer within 200 ms/);
  t.ok(Date.now() - started < 2_000, 'the run did not wait for it');
  t.equal(report.exitCode, 1);
});
