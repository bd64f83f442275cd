// The scenario expectation `answered` with a sentFrom/sentTo window (docs/scenarios.md). In:
// synthetic observations of six look-ups over Hybrid Connections (two before a fault, two in it,
// two after), some failed. Out: a window counts only the requests sent in it (bounds inclusive),
// its failures are held to failedAtMost, the ones outside it do not count, and the verdict names
// the window. Pure: no world.
import t from 'tap';
import { check as checkAll, type Observed, type Verdict } from '../fault/lib/expect';
import type { Expectation } from '../fault/lib/schema';
import type { Answer, PlannedSend } from '../fault/lib/workload';

const sends: PlannedSend[] = [0, 10, 60, 70, 200, 210].map((s, n) => ({
  type: 'send',
  t: s * 1000,
  kind: 'hc-lookups',
  stream: 0,
  n,
  id: `hc-${String(n)}`,
}));

function observed(failed: readonly string[]): Observed {
  return {
    events: [],
    sends,
    answers: new Map(
      sends.map((s): [string, Answer] => {
        const bad = failed.includes(s.id);
        return [
          s.id,
          {
            id: s.id,
            kind: s.kind,
            ok: !bad,
            status: bad ? 502 : 200,
            detail: bad ? 'gone' : undefined,
            wall: s.t,
          },
        ];
      }),
    ),
    effects: { lost: [], duplicated: [], altered: [], stray: [], references: new Map() },
    deadLetters: [],
    tempFiles: [],
    stepTimes: new Map(),
    relayLog: '',
  };
}

function check(e: Expectation, o: Observed): Verdict {
  const [v] = checkAll([e], o);
  if (v === undefined) throw new Error('no verdict');
  return v;
}

const answered = (args: Record<string, unknown>): Expectation => ({
  kind: 'answered',
  args: { kinds: ['hc-lookups'], failedAtMost: 0, ...args },
});

void t.test('only the requests sent in the window are counted', (t) => {
  const inFault = observed(['hc-2', 'hc-3']);
  const after = check(answered({ sentFrom: 200_000 }), inFault);
  t.ok(after.pass, 'the two sent after the fault were answered');
  t.match(after.expected, /all 2 answered/);
  t.match(after.what, /sent 200(\.0)?s–end/);
  const before = check(answered({ sentTo: 10_000 }), inFault);
  t.ok(before.pass, 'the two sent before it (10 s inclusive) were answered');
  const during = check(answered({ sentFrom: 60_000, sentTo: 70_000 }), inFault);
  t.notOk(during.pass, 'the two in it failed');
  t.match(during.observed, /hc-2 \(502 gone\).*hc-3/);
  t.ok(check(answered({ sentFrom: 60_000, sentTo: 70_000, failedAtMost: 2 }), inFault).pass);
  t.notOk(check(answered({}), inFault).pass, 'without a window every request counts');
  t.end();
});

void t.test('a failure after the window fails the check that covers it', (t) => {
  const late = observed(['hc-5']);
  t.notOk(check(answered({ sentFrom: 200_000 }), late).pass);
  t.ok(check(answered({ sentTo: 70_000 }), late).pass, 'the window before it is clean');
  t.end();
});
