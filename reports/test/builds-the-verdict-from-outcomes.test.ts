// buildReport on fixed runs. In: outcomes of typical runs (all pass, a must failure, a
// should failure, skips with reasons, --strict). Out: checks of the verdict, the counts per
// outcome and per area, and the refusal of unusable run data.
import t from 'tap';
import { buildReport } from '../src';
import { fail, input, mixedRun, pass, skip } from './lib/fixture';

void t.test('a run where every case passes is ready for go-live', (t) => {
  const r = buildReport(input([pass('HS-001'), pass('HS-002'), pass('PORT-001'), pass('SAS-001')]));
  t.equal(r.verdict.ready, true);
  t.equal(r.verdict.headline, 'Ready for go-live: all 4 must cases pass');
  t.same(r.verdict.failedMust, []);
  t.same(r.counts, { pass: 4, 'non-strict': 0, fail: 0, skip: 0, info: 0, total: 4 });
  t.same(
    r.areas.map((a) => [a.area, a.title, a.counts.total]),
    [
      ['hs', 'Handshake', 2],
      ['sas', 'Shared access signatures', 1],
      ['port', 'Outbound ports', 1],
    ],
    'areas in catalogue order, each with its human name',
  );
  t.end();
});

void t.test('a failed must case makes the run not ready and is named in the headline', (t) => {
  const r = buildReport(mixedRun());
  t.equal(r.verdict.ready, false);
  t.equal(r.verdict.headline, 'Not ready: 2 must cases failed: PORT-003, DLV-005');
  t.same(r.verdict.failedMust, ['PORT-003', 'DLV-005']);
  t.same(r.verdict.nonStrict, ['SB-010']);
  t.same(r.verdict.skipped, ['IP-004', 'SB-011']);
  t.same(r.counts, { pass: 3, 'non-strict': 1, fail: 2, skip: 2, info: 0, total: 8 });
  const byArea = Object.fromEntries(r.areas.map((a) => [a.area, a.counts]));
  t.same(byArea.sb, { pass: 0, 'non-strict': 1, fail: 0, skip: 1, info: 0, total: 2 });
  t.same(byArea.port, { pass: 1, 'non-strict': 0, fail: 1, skip: 0, info: 0, total: 2 });
  t.same(byArea.dlv, { pass: 0, 'non-strict': 0, fail: 1, skip: 0, info: 0, total: 1 });
  t.end();
});

void t.test('a failed should case is non-strict: the run stays ready unless --strict', (t) => {
  const cases = [pass('HS-001'), fail('SB-010', 'should', 'drain left a credit')];
  const lax = buildReport(input(cases));
  t.equal(lax.cases[1]?.outcome, 'non-strict', 'fail of a should case is reported non-strict');
  t.equal(lax.verdict.ready, true);
  t.equal(
    lax.verdict.headline,
    'Ready for go-live: the one must case passes (1 should case non-strict)',
  );
  const strict = buildReport(input(cases, { strict: true }));
  t.equal(strict.verdict.ready, false);
  t.equal(strict.verdict.headline, 'Not ready: 1 should case failed under --strict: SB-010');
  t.equal(strict.run.strict, true);
  t.end();
});

void t.test('skipped must cases keep their reasons and are counted in the headline', (t) => {
  const r = buildReport(
    input([pass('HS-001'), pass('HS-002'), skip('IP-004', 'needs root for network namespaces')]),
  );
  t.equal(r.verdict.ready, true);
  t.equal(
    r.verdict.headline,
    'Ready for go-live on what ran: all 2 must cases pass (1 must case skipped, not covered by this run)',
    'a skipped must case was not shown to pass: the verdict says it covers what ran',
  );
  t.equal(r.cases[2]?.reason, 'needs root for network namespaces');
  t.same(r.cases[0]?.evidence, { failures: [] });
  t.end();
});

void t.test('a case keeps its catalogue entry, rounded duration and recorded failures', (t) => {
  const r = buildReport(mixedRun());
  const port = r.cases.find((c) => c.id === 'PORT-003');
  t.match(port, {
    id: 'PORT-003',
    area: 'port',
    level: 'must',
    title: 'case PORT-003',
    requirement: 'the requirement of PORT-003',
    source: 'CASES.md',
    outcome: 'fail',
    reason: 'relay never fell back to 443',
    evidence: { failures: ['falls back', 'diagnoses 5671'] },
  });
  t.equal(r.cases[0]?.ms, 12.3);
  t.equal(r.cases[0]?.reason, null);
  t.end();
});

void t.test('the run section records timing, seed, profile and selection as given', (t) => {
  const r = buildReport(
    mixedRun({
      seed: 42,
      profile: 'min-spec',
      selection: { areas: ['hs', 'port'], include: [], exclude: ['PORT-9*'] },
      command: 'relaycheck run --seed 42',
    }),
  );
  t.same(r.run, {
    id: '20261122T100000Z-abc123',
    startedAt: '2026-11-22T10:00:00.000Z',
    endedAt: '2026-11-22T10:01:30.500Z',
    durationMs: 90_500,
    seed: 42,
    strict: false,
    profile: 'min-spec',
    target: 'simulator',
    relay: 'reference',
    selection: { areas: ['hs', 'port'], exclude: ['PORT-9*'] },
    command: 'relaycheck run --seed 42',
  });
  t.equal(buildReport(mixedRun({ profile: 'huge' })).run.profile, 'default');
  t.equal(buildReport(mixedRun()).run.seed, null);
  t.end();
});

void t.test('a long list of failed cases is shortened in the headline, never in the lists', (t) => {
  const ids = Array.from({ length: 14 }, (_, i) => `HS-${String(i + 1).padStart(3, '0')}`);
  const r = buildReport(input(ids.map((id) => fail(id, 'must', 'x'))));
  t.equal(r.verdict.failedMust.length, 14);
  t.match(r.verdict.headline, /^Not ready: 14 must cases failed: HS-001, .*HS-010 and 4 more$/);
  t.end();
});

void t.test('overlong reasons and failure lists are bounded', (t) => {
  const lines = Array.from({ length: 80 }, (_, i) => `assertion ${i}`);
  const r = buildReport(input([fail('HS-001', 'must', 'y'.repeat(10_000), lines)]));
  const c = r.cases[0];
  t.ok(c !== undefined && c.reason !== null && c.reason.length < 4100);
  t.match(c?.reason, /\(6000 more characters\)$/);
  t.equal(c?.evidence.failures.length, 51);
  t.equal(c?.evidence.failures[50], '... and 30 more');
  t.end();
});

void t.test('unusable run data is refused with REPORT_E_INPUT', (t) => {
  const refused = (f: () => unknown, why: RegExp, name: string): void => {
    t.throws(f, { name: 'ReportError', code: 'REPORT_E_INPUT', message: why }, name);
  };
  refused(
    () => buildReport(input([pass('HS-001'), pass('HS-001')])),
    /HS-001 is given twice/,
    'duplicate',
  );
  refused(() => buildReport(input([pass('HS-001', 'must', -1)])), /duration of -1/, 'negative ms');
  refused(() => buildReport(input([pass('HS-001', 'must', Number.NaN)])), /duration of NaN/, 'NaN');
  refused(
    () => buildReport(input([], { startedAt: new Date(2), endedAt: new Date(1) })),
    /ends before it starts/,
    'end before start',
  );
  refused(
    () => buildReport(input([], { endedAt: new Date('nope') })),
    /not a valid date/,
    'bad date',
  );
  t.end();
});
