// The evidence a case leaves in its results line, end to end: a fixture suite
// (bin/test/fixtures/run-suite-evidence/assertions-events-metrics.test.ts) run as a tap child
// with RELAYCHECK_RESULTS set, as `relaycheck run` runs a case file. In: a key made at run
// time. Out: the three JSON lines, checked for assertions (names without the case prefix,
// expected/observed/at of failures), the event slice (only the case's own events, in time
// order, dials with their fields), the bounds, the metrics and the absence of the key.
import { randomBytes } from 'node:crypto';
import t from 'tap';
import type { CaseResult } from '../lib/case';
import { EVIDENCE_LIMITS } from '../lib/evidence';
import { runFixture, type FixtureRun } from './lib/fixture-run';

const secret = randomBytes(32).toString('base64');
let run: FixtureRun | undefined;

async function fixture(tt: tap.Test): Promise<FixtureRun> {
  run ??= await runFixture(t, 'assertions-events-metrics.test.ts', {
    EVIDENCE_FIXTURE_SECRET: secret,
  });
  if (run.byId.size !== 3) tt.comment(run.output.slice(-3000));
  tt.equal(run.byId.size, 3, 'the fixture recorded its three cases');
  return run;
}

function caseOf(r: FixtureRun, id: string): CaseResult {
  const c = r.byId.get(id);
  if (c === undefined) throw new Error(`${id} did not report\n${r.output.slice(-3000)}`);
  return c;
}

void t.test('a failing assertion records expected, observed and where it is', async (t) => {
  const r = await fixture(t);
  const c = caseOf(r, 'HS-002');
  t.equal(c.outcome, 'fail');
  const file = 'bin/test/fixtures/run-suite-evidence/assertions-events-metrics.test.ts';
  const byName = new Map((c.assertions ?? []).map((a) => [a.name, a]));
  t.match(byName.get('one is two'), {
    ok: false,
    expected: '2',
    observed: '1',
    at: new RegExp(`^${file.replace(/[.]/g, '\\.')}:\\d+$`),
  });
  const deep = byName.get('the lists agree');
  t.match(deep, { ok: false, diag: /-\s+3,\n\+\s+2,/ }, 'the diff of a deep comparison is kept');
  t.match(deep?.expected, /3/, 'the expected side names the wanted value');
  t.match(deep?.observed, /2/, 'the observed side names the found value');
  t.match(byName.get('a nested step > the inner values agree'), {
    ok: false,
    expected: "'b'",
    observed: "'a'",
  });
  t.match(byName.get('thrown on purpose'), {
    ok: false,
    diag: /^thrown \(returnedPromiseRejection\)/,
    at: /assertions-events-metrics\.test\.ts:\d+$/,
  });
  t.same(
    (c.assertions ?? []).map((a) => [a.name, a.ok]),
    [
      ['one is two', false],
      ['the lists agree', false],
      ['the connection strings agree', false],
      ['a nested step > the inner values agree', false],
      ['a nested step > the inner check passes', true],
      ['a passing check', true],
      ['thrown on purpose', false],
    ],
    'every assertion, nested ones too, in order, without the case prefix',
  );
  t.same(
    c.failures,
    [
      'one is two',
      'the lists agree',
      'the connection strings agree',
      'a nested step',
      'thrown on purpose',
    ],
    'the failures lose the "<ID> <title> > " prefix too',
  );
  for (const a of c.assertions ?? []) {
    if (a.ok) t.same(Object.keys(a), ['name', 'ok'], `${a.name}: a pass keeps its name only`);
  }
});

void t.test('the case slice holds the events published while it ran, in time order', async (t) => {
  const r = await fixture(t);
  const c = caseOf(r, 'HS-001');
  t.equal(c.outcome, 'pass');
  const events = c.events ?? [];
  t.same(
    events.map((e) => [e.source, e.channel]),
    [
      ['net', 'sim:net:dial'],
      ['tenant', 'sim:tenant:work'],
      ['hc', 'sim:hc:frame'],
      ['sb', 'sim:sb:transfer'],
    ],
  );
  for (const [i, e] of events.entries()) {
    t.ok(e.atMs >= (events[i - 1]?.atMs ?? 0), `${e.channel} at ${String(e.atMs)} ms is in order`);
    t.ok(e.text.length <= EVIDENCE_LIMITS.text && !e.text.includes('\n'), 'a one-line text');
  }
  t.ok((c.events?.at(-1)?.atMs ?? 0) <= c.ms, 'within the case duration');
  t.match(events[0], {
    text: /council-42\.servicebus\.windows\.net 51\.140\.146\.50:5671 -> accept/,
    fields: {
      port: 5671,
      address: '51.140.146.50',
      host: 'council-42.servicebus.windows.net',
      verdict: 'accept',
    },
  });
  t.same(
    Object.keys(events[0]?.fields ?? {}).slice(0, 4),
    ['port', 'address', 'host', 'verdict'],
    'a dial shows the logical port, address, host and verdict first',
  );
  const all = [...r.byId.values()].flatMap((x) => x.events ?? []);
  t.notOk(r.text.includes('before-any-case'), 'an event before the first case is in no slice');
  t.notOk(r.text.includes('between-the-cases'), 'an event after a case is not in its slice');
  t.ok(all.length > 0);
  t.equal(caseOf(r, 'HS-002').events, undefined, 'a case that published nothing has no events');
});

void t.test('a key published in an event payload never reaches the results line', async (t) => {
  const r = await fixture(t);
  const forms = [secret, encodeURIComponent(secret), Buffer.from(secret).toString('hex')];
  for (const form of forms) t.notOk(r.text.includes(form), 'the key is not in the results');
  t.ok(r.text.includes('[redacted]'), 'its places are marked');
  const work = caseOf(r, 'HS-001').events?.find((e) => e.channel === 'sim:tenant:work');
  t.match(work?.fields, {
    tenant: 'council-42',
    key: '[redacted]',
    sasToken: '[redacted]',
    authorization: '[redacted]',
    note: 'SharedAccessSignature [redacted]',
    connection: /SharedAccessKeyName=a;SharedAccessKey=\[redacted\]$/,
    url: /sb-hc-token=\[redacted\]$/,
    body: `<${String(Buffer.byteLength(secret))} bytes>`,
    nested: /password: '\[redacted\]', keep: 'visible'/,
  });
});

void t.test('a long case keeps the first and last 200 events and counts the rest', async (t) => {
  const r = await fixture(t);
  const c = caseOf(r, 'HS-003');
  const ns = (c.events ?? []).map((e) => e.fields?.n);
  t.equal(ns.length, 400);
  t.same(
    ns.slice(0, 200),
    Array.from({ length: 200 }, (_, i) => i),
    'the first 200',
  );
  t.same(
    ns.slice(200),
    Array.from({ length: 200 }, (_, i) => 800 + i),
    'the last 200',
  );
  t.equal(c.eventsDropped, 600, 'the 600 in the middle are counted');
  const passes = c.assertions ?? [];
  t.equal(passes.length, EVIDENCE_LIMITS.passingAssertions, 'at most 200 passing assertions');
  t.same(passes.at(-1), { name: 'check 199', ok: true });
});

void t.test('metrics a case body records are in its line', async (t) => {
  const r = await fixture(t);
  t.same(caseOf(r, 'HS-001').metrics, [
    { name: 'send to answer', unit: 'ms', kind: 'samples', values: [1.5, 2, 3] },
    {
      name: 'upload',
      unit: 'MiB/s',
      kind: 'series',
      points: [
        [0, 1],
        [10, 2.5],
      ],
    },
  ]);
  t.equal(caseOf(r, 'HS-002').metrics, undefined, 'a case that records none has none');
});
