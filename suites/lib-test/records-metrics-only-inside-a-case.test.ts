// recordMetric attaches a metric to the running case, and only to it. In: metrics recorded
// outside any case, inside a case (its async context), inside two cases at once, after a case
// finished, and malformed ones. Out: outside a case (and in plain `npm test`, where no case
// captures) it is a no-op that returns false; a malformed metric is a typed SUITE_E_METRIC
// error wherever it is recorded; inside a case it is in that case's evidence and no other.
import t from 'tap';
import {
  EVIDENCE_LIMITS,
  openCaseEvidence,
  recordMetric,
  type EvidenceMetric,
} from '../lib/evidence';

const latency: EvidenceMetric = { name: 'latency', unit: 'ms', kind: 'samples', values: [1, 2] };

/** What t.throws matches a refused metric against. */
const METRIC_ERROR = { name: 'EvidenceError', code: 'SUITE_E_METRIC' };

void t.test('outside a case recordMetric records nothing and says so', (t) => {
  t.equal(recordMetric(latency), false, 'no case is running: not recorded');
  const recorder = openCaseEvidence('FAKE-001 a fake case', { channels: [] });
  t.equal(recorder.finish().metrics, undefined, 'a case opened afterwards did not get it');
  t.equal(recordMetric(latency), false, 'nor does a finished case');
  t.end();
});

void t.test('a malformed metric is a typed error, inside or outside a case', (t) => {
  const bad: unknown[] = [
    null,
    { name: '', unit: 'ms', kind: 'samples', values: [] },
    { name: 'x', unit: '', kind: 'samples', values: [] },
    { name: 'x', unit: 'ms', kind: 'histogram', values: [] },
    { name: 'x', unit: 'ms', kind: 'samples', values: [1, Number.NaN] },
    { name: 'x', unit: 'ms', kind: 'samples', values: [Infinity] },
    { name: 'x', unit: 'ms', kind: 'samples', values: '1,2' },
    { name: 'x', unit: 'ms', kind: 'samples', values: new Array<number>(5001).fill(1) },
    { name: 'x', unit: 'ms', kind: 'series', points: [[1, 2, 3]] },
    { name: 'x', unit: 'ms', kind: 'series', points: new Array(2001).fill([0, 1]) },
    { name: 'x', unit: 'ms', kind: 'samples', values: [1], points: [] },
    { name: 'x', unit: 'ms', kind: 'samples', values: [1], colour: 'red' },
  ];
  for (const m of bad) {
    t.throws(() => recordMetric(m as EvidenceMetric), METRIC_ERROR, JSON.stringify(m).slice(0, 80));
  }
  const recorder = openCaseEvidence('FAKE-002 a fake case', { channels: [] });
  recorder.run(() => {
    t.throws(() => recordMetric(bad[4] as EvidenceMetric), METRIC_ERROR, 'inside too');
  });
  t.equal(recorder.finish().metrics, undefined, 'nothing of it was kept');
  t.end();
});

void t.test('inside a case the metric is in its evidence, a frozen copy', (t) => {
  const recorder = openCaseEvidence('FAKE-003 a fake case', { channels: [] });
  const values = [3, 4.5];
  t.equal(
    recorder.run(() => recordMetric({ name: 'rtt', unit: 'ms', kind: 'samples', values })),
    true,
  );
  values.push(99);
  t.same(recorder.finish().metrics, [
    { name: 'rtt', unit: 'ms', kind: 'samples', values: [3, 4.5] },
  ]);
  t.end();
});

void t.test('two cases at once each keep the metrics of their own async context', async (t) => {
  const a = openCaseEvidence('FAKE-004 case a', { channels: [] });
  const b = openCaseEvidence('FAKE-005 case b', { channels: [] });
  const body = (name: string) => async () => {
    await Promise.resolve();
    await new Promise<void>((resolve) => setImmediate(resolve));
    recordMetric({ name, unit: 'ms', kind: 'series', points: [[0, 1]] });
  };
  await Promise.all([a.run(body('from a')), b.run(body('from b'))]);
  t.same(
    a.finish().metrics?.map((m) => m.name),
    ['from a'],
  );
  t.same(
    b.finish().metrics?.map((m) => m.name),
    ['from b'],
  );
});

void t.test('a case records at most 32 metrics', (t) => {
  const recorder = openCaseEvidence('FAKE-006 a fake case', { channels: [] });
  recorder.run(() => {
    for (let i = 0; i < EVIDENCE_LIMITS.metrics; i += 1) recordMetric(latency);
    t.throws(() => recordMetric(latency), METRIC_ERROR, 'the 33rd is refused');
  });
  t.equal(recorder.finish().metrics?.length, EVIDENCE_LIMITS.metrics);
  t.end();
});
