// The event slice of a case is bounded: the first 200 and the last 200 events are kept, in
// order, and the ones left out in the middle are counted in eventsDropped. In: a recorder on a
// test channel with an injected clock, fed n events (a fast-check property over n). Out: the
// kept events, their times and the count of the dropped ones.
import diagnostics from 'node:diagnostics_channel';
import fc from 'fast-check';
import t from 'tap';
import { EVIDENCE_LIMITS, openCaseEvidence, type CaseEvidence } from '../lib/evidence';
import { checkProperty } from '../lib/property';

const CHANNEL = 'sim:evidence-test:bounds';

function feed(n: number): CaseEvidence {
  let clock = 1000;
  const recorder = openCaseEvidence('FAKE-001 a fake case', {
    now: () => clock,
    channels: [CHANNEL],
  });
  const channel = diagnostics.channel(CHANNEL);
  for (let i = 0; i < n; i += 1) {
    clock += 0.5;
    channel.publish({ i });
  }
  return recorder.finish();
}

void t.test('up to 400 events are all kept, in order, with no count of dropped ones', (t) => {
  const evidence = feed(400);
  t.equal(evidence.events?.length, 400);
  t.same(
    evidence.events?.map((e) => e.fields?.i),
    Array.from({ length: 400 }, (_, i) => i),
  );
  t.equal(evidence.eventsDropped, undefined);
  t.same(
    evidence.events?.slice(0, 2).map((e) => e.atMs),
    [0.5, 1],
    'atMs counts from the case start on the injected clock',
  );
  t.end();
});

void t.test('one event more drops the 201st and counts it', (t) => {
  const evidence = feed(401);
  const kept = evidence.events?.map((e) => e.fields?.i) ?? [];
  t.equal(kept.length, 400);
  t.notOk(kept.includes(200), 'the first event after the head is the one left out');
  t.equal(kept.at(-1), 400);
  t.equal(evidence.eventsDropped, 1);
  t.end();
});

void t.test('for any number of events the slice is the first 200 and the last 200', async (t) => {
  const { eventsHead: head, eventsTail: tail } = EVIDENCE_LIMITS;
  await checkProperty(
    t,
    fc.property(fc.integer({ min: 0, max: 1500 }), (n) => {
      const evidence = feed(n);
      const kept = evidence.events?.map((e) => e.fields?.i) ?? [];
      const expected = [
        ...Array.from({ length: Math.min(n, head) }, (_, i) => i),
        ...Array.from(
          { length: Math.max(0, Math.min(n - head, tail)) },
          (_, i) => n - Math.max(0, Math.min(n - head, tail)) + i,
        ),
      ];
      const times = evidence.events?.map((e) => e.atMs) ?? [];
      return (
        JSON.stringify(kept) === JSON.stringify(expected) &&
        (evidence.eventsDropped ?? 0) === n - expected.length &&
        n <= head + tail === (evidence.eventsDropped === undefined) &&
        times.every((x, i) => i === 0 || x > (times[i - 1] ?? Infinity))
      );
    }),
  );
});

void t.test('the recorder stops listening when the case finishes', (t) => {
  const recorder = openCaseEvidence('FAKE-002 another fake case', { channels: [CHANNEL] });
  diagnostics.channel(CHANNEL).publish({ i: 'during' });
  t.ok(diagnostics.channel(CHANNEL).hasSubscribers, 'subscribed while the case runs');
  const evidence = recorder.finish();
  t.notOk(diagnostics.channel(CHANNEL).hasSubscribers, 'unsubscribed at the end of the case');
  diagnostics.channel(CHANNEL).publish({ i: 'after' });
  t.same(
    evidence.events?.map((e) => e.fields?.i),
    ['during'],
  );
  t.same(recorder.finish(), evidence, 'a second finish returns the same evidence');
  t.end();
});
