// A case's evidence on its way into the report. In: assertions, events and metrics as a
// case's test records them: overlong, too many, holding keys, of the wrong shape, or arbitrary
// (fast-check). Out: checks that buildReport clips them to the schema's bounds (texts cut with
// "…", first and last halves of the events kept and the rest counted, failed assertions never
// left out for passing ones), redacts every text, and always builds a report that reads back.
import fc from 'fast-check';
import t, { type Test } from 'tap';
import {
  EVIDENCE_LIMITS,
  buildReport,
  clipText,
  reportFromJson,
  reportToJson,
  type ReportCaseInput,
  type ReportEvent,
  type ReportMetric,
} from '../src';
import { checkProperty } from '../../suites/lib/property';
import { input, mkCase, secrets } from './lib/fixture';

const L = EVIDENCE_LIMITS;

/** The one case of a report built from one failed case with `extra` evidence. */
function built(
  t: Test,
  extra: Partial<ReportCaseInput>,
): ReturnType<typeof buildReport>['cases'][number] {
  const report = buildReport(
    input([{ case: mkCase('PORT-003'), outcome: 'fail', ms: 5, reason: 'r', ...extra }]),
  );
  const c = report.cases[0];
  if (c === undefined) throw new Error('no case');
  t.same(reportFromJson(reportToJson(report)), report, 'the report reads back');
  return c;
}

function event(i: number, over: Partial<ReportEvent> = {}): ReportEvent {
  return { atMs: i, source: 'relay', channel: 'relay:session', text: `event ${i}`, ...over };
}

void t.test('a long text is cut to its bound, ending with "…"', (t) => {
  t.equal(clipText('abcdef', 6), 'abcdef');
  t.equal(clipText('abcdefg', 6), 'abcde…');
  t.equal(clipText('abcd\ud83d\ude00xyz', 6), 'abcd…', 'never half a surrogate pair');
  const long = 'x'.repeat(10_000);
  const c = built(t, {
    assertions: [{ name: 'n', ok: false, diag: long, expected: long, observed: long, at: long }],
    events: [event(1, { text: long, channel: long, source: long, fields: { f: long } })],
    metrics: [{ name: long, unit: long, kind: 'samples', values: [1] }],
  });
  const a = c.evidence.assertions?.[0];
  t.equal(a?.diag?.length, L.assertionText);
  t.equal(a?.expected?.length, L.assertionText);
  t.equal(a?.observed?.length, L.assertionText);
  t.ok(a?.observed?.endsWith('x…'), 'cut with an ellipsis');
  t.equal(a?.at?.length, L.at);
  const e = c.evidence.events?.[0];
  t.equal(e?.text.length, L.eventText);
  t.equal(e?.channel.length, L.channel);
  t.equal(e?.source.length, L.source);
  t.equal(e?.fields?.f, `${'x'.repeat(L.fieldText - 1)}…`);
  t.equal(c.evidence.metrics?.[0]?.name.length, L.metricName);
  t.equal(c.evidence.metrics?.[0]?.unit.length, L.unit);
  t.end();
});

void t.test('too many events keep the first and last halves and count the rest', (t) => {
  const events = Array.from({ length: 1203 }, (_, i) => event(i));
  const c = built(t, { events, eventsDropped: 7 });
  const kept = c.evidence.events ?? [];
  t.equal(kept.length, L.events);
  t.equal(kept[0]?.text, 'event 0');
  t.equal(kept[L.events / 2 - 1]?.text, `event ${L.events / 2 - 1}`, 'the first half');
  t.equal(kept[L.events / 2]?.text, `event ${1203 - L.events / 2}`, 'then the last half');
  t.equal(kept[L.events - 1]?.text, 'event 1202');
  t.equal(c.evidence.eventsDropped, 1203 - L.events + 7, 'with those the test left out');
  const few = built(t, { events: [event(1), event(2)] });
  t.equal(few.evidence.events?.length, 2);
  t.notOk('eventsDropped' in few.evidence, 'nothing dropped, no count');
  t.end();
});

void t.test('a failed assertion is never left out to keep a passing one', (t) => {
  const passing = Array.from({ length: 700 }, (_, i) => ({ name: `ok ${i}`, ok: true }));
  const failed = [
    { name: 'first failure', ok: false },
    { name: 'last failure', ok: false },
  ];
  const c = built(t, { assertions: [failed[0], ...passing, failed[1]].flatMap((a) => a ?? []) });
  const kept = c.evidence.assertions ?? [];
  t.equal(kept.length, L.assertions);
  t.same(
    kept.filter((a) => !a.ok).map((a) => a.name),
    ['first failure', 'last failure'],
    'both failures kept, in their order',
  );
  t.equal(kept[0]?.name, 'first failure', 'in the recorded order');
  t.equal(kept[L.assertions - 1]?.name, 'last failure');
  t.equal(c.evidence.assertionsDropped, 702 - L.assertions, 'the passing ones left out counted');
  t.end();
});

void t.test('samples and series beyond their bounds are thinned evenly and say so', (t) => {
  const values = Array.from({ length: 12_000 }, (_, i) => i);
  const points = Array.from({ length: 5000 }, (_, i): [number, number] => [i, i * 2]);
  const c = built(t, {
    metrics: [
      { name: 'latency', unit: 'ms', kind: 'samples', values: [...values, Number.NaN] },
      { name: 'rate', unit: 'MiB/s', kind: 'series', points },
    ],
  });
  const [samples, series] = c.evidence.metrics ?? [];
  if (samples?.kind !== 'samples' || series?.kind !== 'series') throw new Error('kinds');
  t.equal(samples.values.length, L.samples);
  t.equal(samples.values[0], 0, 'the least');
  t.equal(samples.values[L.samples - 1], 11_999, 'and the greatest are kept');
  t.equal(samples.name, `latency (${L.samples} of 12001 kept)`);
  t.equal(series.points.length, L.points);
  t.same(series.points[L.points - 1], [4999, 9998], 'the last point is kept');
  t.equal(series.name, `rate (${L.points} of 5000 kept)`);
  t.end();
});

void t.test('keys and tokens are redacted in every text of the evidence', (t) => {
  const s = secrets();
  const hex = Buffer.from(s.key, 'base64').toString('hex');
  const c = built(t, {
    assertions: [
      {
        name: `key ${s.key}`,
        ok: false,
        diag: `Authorization: ${s.token}`,
        expected: `sig=${s.sig}`,
        observed: s.urlKey,
        at: `x ${s.key}`,
      },
    ],
    events: [
      event(1, {
        source: 'relay',
        channel: `ch ${s.key}`,
        text: `put-token ${s.token}`,
        fields: {
          key: hex,
          password: 'hunter2',
          tenantKey: hex,
          'x-api-key': hex,
          idempotencyKey: 'msg-42',
          monkey: 'banana',
          header: `Bearer ${s.urlKey}`,
          [s.key]: 1,
        },
      }),
    ],
    metrics: [{ name: `latency ${s.key}`, unit: s.urlKey, kind: 'samples', values: [1] }],
  });
  const json = JSON.stringify(c.evidence);
  for (const secret of [s.key, s.urlKey, s.token, s.sig, hex, 'hunter2']) {
    t.notOk(json.includes(secret), 'a secret is gone');
  }
  t.equal(c.evidence.assertions?.[0]?.name, 'key [redacted]', 'the text around it is kept');
  t.same(c.evidence.events?.[0]?.fields, {
    key: '[redacted]',
    password: '[redacted]',
    tenantKey: '[redacted]',
    'x-api-key': '[redacted]',
    idempotencyKey: 'msg-42',
    monkey: 'banana',
    header: 'Bearer [redacted]',
    '[redacted]': 1,
  });
  t.equal(c.evidence.metrics?.[0]?.name, 'latency [redacted]');
  t.end();
});

void t.test('entries of the wrong shape are left out and counted, never a crash', (t) => {
  const junk = [null, 'text', 42, { atMs: 'soon' }, { atMs: Number.NaN }] as unknown[];
  const c = built(t, {
    assertions: [null, { name: 'kept', ok: 'yes' }] as unknown as ReportCaseInput['assertions'],
    events: [...junk, { atMs: -5, source: 'x', channel: '', text: 'a\nb' }] as ReportEvent[],
    metrics: [
      { name: 'm', unit: 'ms', kind: 'histogram', values: [1] },
      { name: 'p', unit: 'ms', kind: 'series', points: [[1, 2], [3], 'x', [4, Infinity]] },
    ] as unknown as ReportMetric[],
  });
  t.same(c.evidence.assertions, [{ name: 'kept', ok: false }], 'ok is true or it failed');
  t.equal(c.evidence.assertionsDropped, 1);
  t.same(c.evidence.events, [{ atMs: 0, source: 'x?', channel: '(none)', text: 'a ⏎ b' }]);
  t.equal(c.evidence.eventsDropped, junk.length);
  t.same(c.evidence.metrics, [
    { name: 'p (1 of 4 kept)', unit: 'ms', kind: 'series', points: [[1, 2]] },
  ]);
  t.end();
});

void t.test('any recorded evidence builds a report that reads back', async (t) => {
  const anything = fc.anything({ maxDepth: 2, maxKeys: 4 });
  const text = fc.string({ maxLength: 30 });
  const evidence = fc.record(
    {
      assertions: fc.oneof(
        fc.array(fc.record({ name: text, ok: fc.boolean(), expected: text, at: anything })),
        anything,
      ),
      events: fc.oneof(
        fc.array(
          fc.record({
            atMs: fc.oneof(fc.double(), anything),
            source: text,
            channel: text,
            text: anything,
            fields: fc.dictionary(text, anything, { maxKeys: 20 }),
          }),
          { maxLength: 8 },
        ),
        anything,
      ),
      eventsDropped: anything,
      metrics: fc.oneof(
        fc.array(
          fc.record({
            name: anything,
            unit: text,
            kind: fc.constantFrom('samples', 'series', 'x'),
            values: fc.array(fc.double(), { maxLength: 5 }),
            points: fc.array(fc.array(fc.double(), { maxLength: 3 }), { maxLength: 5 }),
          }),
          { maxLength: 3 },
        ),
        anything,
      ),
    },
    { requiredKeys: [] },
  );
  await checkProperty(
    t,
    fc.property(evidence, (e) => {
      const report = buildReport(
        input([
          { case: mkCase('HS-001'), outcome: 'pass', ms: 1, ...(e as Partial<ReportCaseInput>) },
        ]),
      );
      return JSON.stringify(reportFromJson(reportToJson(report))) === JSON.stringify(report);
    }),
    300,
  );
});
