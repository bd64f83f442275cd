// The pure fault decision. In: rules as data, requests, clock times and the PRNG state.
// Out: fail-first-N applies to exactly N requests; "down for 60 s then up" with Retry-After
// counting down; match by method and path; seeded probabilities and delay samples that
// repeat for the same seed and stay in bounds; bad rules refused with a typed error naming
// the field. No server, no real time.
import fc from 'fast-check';
import t from 'tap';
import { checkProperty } from '../../suites/lib/property';
import {
  FaultController,
  MAX_FAULT_MS,
  ManualTime,
  SimBackOfficeError,
  decide,
  parseFaultRule,
  sampleDelay,
  seedState,
  type FaultRequest,
  type FaultState,
} from '../src/backoffice';

const GET = { method: 'GET', path: '/accounts/6000000014' };

function state(rules: unknown[], at = 0): FaultState {
  return {
    rules: rules.map((r, i) => ({
      id: `s#${String(i + 1)}`,
      rule: parseFaultRule(r),
      installedAt: at,
      applied: 0,
    })),
    rng: seedState('decisions'),
  };
}

/** The action type (or "none") of each of `n` requests at `now`. */
function run(s: FaultState, n: number, now = 0, req: FaultRequest = GET): string[] {
  const out: string[] = [];
  let cur = s;
  for (let i = 0; i < n; i++) {
    const d = decide(cur, req, now);
    cur = d.state;
    out.push(d.verdict === undefined ? 'none' : d.verdict.action.type);
  }
  return out;
}

void t.test('fail the first N: a count rule applies to exactly the first N requests', (t) => {
  t.same(run(state([{ action: { type: 'status', status: 500 }, count: 3 }]), 5), [
    'status',
    'status',
    'status',
    'none',
    'none',
  ]);
  t.end();
});

void t.test('down for 60 s then up, with Retry-After counting down', (t) => {
  const time = new ManualTime(1_000_000);
  const faults = new FaultController('seed', time);
  faults.add('council-tax', {
    action: { type: 'status', status: 503, retryAfter: 'remaining' },
    forMs: 60_000,
  });
  t.equal(faults.decide('council-tax', GET)?.retryAfter, '60');
  time.advance(30_000);
  t.equal(faults.decide('council-tax', GET)?.retryAfter, '30');
  time.advance(29_500);
  t.equal(faults.decide('council-tax', GET)?.retryAfter, '1', 'rounded up');
  time.advance(500);
  t.equal(faults.decide('council-tax', GET), undefined, 'up again at 60 s');
  t.same(
    faults.list('council-tax').map((r) => r.live),
    [false],
  );
  t.end();
});

void t.test('afterMs delays the start of a rule; Retry-After can be an HTTP-date', (t) => {
  const time = new ManualTime(Date.UTC(2025, 9, 15, 9));
  const faults = new FaultController('seed', time);
  faults.add('benefits', {
    action: { type: 'status', status: 429, retryAfter: 120, retryAfterFormat: 'http-date' },
    afterMs: 10_000,
  });
  t.equal(faults.decide('benefits', GET), undefined, 'not yet');
  time.advance(10_000);
  t.equal(faults.decide('benefits', GET)?.retryAfter, 'Wed, 15 Oct 2025 09:02:10 GMT');
  t.end();
});

void t.test('rules match by method and path prefix; the first live matching rule wins', (t) => {
  const s = state([
    { action: { type: 'reset' }, match: { method: 'post', pathPrefix: '/changes' } },
    { action: { type: 'status', status: 500 }, match: { pathPrefix: '/accounts/' }, count: 1 },
    { action: { type: 'empty' } },
  ]);
  t.same(run(s, 1, 0, { method: 'POST', path: '/changes' }), ['reset']);
  t.same(run(s, 1, 0, { method: 'GET', path: '/changes' }), ['empty']);
  t.same(run(s, 2, 0, GET), ['status', 'empty']);
  t.end();
});

void t.test('a rule can single out the requests of one message by its Idempotency-Key', (t) => {
  const s = state([
    { action: { type: 'status', status: 500 }, match: { idempotencyKeyPrefix: 'poison-' } },
  ]);
  const post = { method: 'POST', path: '/changes' };
  t.same(run(s, 1, 0, { ...post, idempotencyKey: 'poison-1' }), ['status']);
  t.same(run(s, 1, 0, { ...post, idempotencyKey: 'msg-poison-1' }), ['none']);
  t.same(run(s, 1, 0, post), ['none'], 'a request without the header is not matched');
  t.end();
});

void t.test(
  'probabilities and delays repeat exactly for the same seed and differ for another',
  (t) => {
    const rules = [
      {
        action: { type: 'status', status: 503 },
        probability: 0.3,
        delay: { type: 'lognormal', medianMs: 200, sigma: 1 },
      },
      { action: { type: 'delay' }, delay: { type: 'uniform', minMs: 10, maxMs: 50 } },
    ];
    const series = (seed: string): string[] => {
      const faults = new FaultController(seed, new ManualTime());
      faults.set('documents', rules);
      return Array.from({ length: 200 }, () => {
        const v = faults.decide('documents', GET);
        return `${v?.action.type ?? 'none'}:${String(v?.delayMs ?? 0)}`;
      });
    };
    const a = series('one');
    t.same(series('one'), a, 'the same seed repeats');
    t.not(series('two').join(), a.join(), 'another seed differs');
    const failures = a.filter((x) => x.startsWith('status')).length;
    t.ok(failures > 30 && failures < 90, `about 30% fail (${String(failures)} of 200)`);
    for (const x of a.filter((v) => v.startsWith('delay'))) {
      const ms = Number(x.split(':')[1]);
      if (ms < 10 || ms > 50) t.fail(`uniform delay ${String(ms)} out of [10, 50]`);
    }
    t.end();
  },
);

void t.test('any delay sample stays within its bounds (property)', async (t) => {
  await checkProperty(
    t,
    fc.property(
      fc.integer({ min: 0, max: 0xffffffff }),
      fc.integer({ min: 0, max: MAX_FAULT_MS }),
      fc.integer({ min: 0, max: MAX_FAULT_MS }),
      fc.integer({ min: 1, max: MAX_FAULT_MS }),
      fc.double({ min: 0, max: 4, noNaN: true }),
      (rng, a, b, median, sigma) => {
        const [minMs, maxMs] = a <= b ? [a, b] : [b, a];
        const u = sampleDelay({ type: 'uniform', minMs, maxMs }, rng).ms;
        const l = sampleDelay({ type: 'lognormal', medianMs: median, sigma }, rng).ms;
        const f = sampleDelay({ type: 'fixed', ms: a }, rng).ms;
        return (
          Number.isInteger(u) && u >= minMs && u <= maxMs && l >= 0 && l <= MAX_FAULT_MS && f === a
        );
      },
    ),
  );
});

void t.test('a rule with a count never applies more often than its count (property)', async (t) => {
  await checkProperty(
    t,
    fc.property(
      fc.integer({ min: 1, max: 20 }),
      fc.integer({ min: 0, max: 40 }),
      fc.double({ min: 0, max: 1, noNaN: true }),
      (count, n, p) => {
        const s = state([{ action: { type: 'status', status: 500 }, count, probability: p }]);
        const applied = run(s, n).filter((x) => x === 'status').length;
        return applied <= count && (p < 1 || applied === Math.min(n, count));
      },
    ),
  );
});

void t.test('a malformed rule is refused with SIM_E_BO_CONFIG naming the field', (t) => {
  const bad: [unknown, RegExp][] = [
    [{ action: { type: 'status', status: 200 } }, /action\.status/],
    [{ action: { type: 'explode' } }, /action/],
    [{ action: { type: 'delay' } }, /delay/],
    [{ action: { type: 'status', status: 503, retryAfter: 'remaining' } }, /forMs/],
    [{ action: { type: 'reset' }, delay: { type: 'fixed', ms: MAX_FAULT_MS + 1 } }, /delay\.ms/],
    [{ action: { type: 'reset' }, delay: { type: 'uniform', minMs: 5, maxMs: 1 } }, /minMs/],
    [{ action: { type: 'dribble', bytes: 0, intervalMs: 10 } }, /bytes/],
    [{ action: { type: 'reset' }, unknown: 1 }, /unknown/i],
    [{ action: { type: 'reset' }, match: { pathPrefix: 'no-slash' } }, /pathPrefix/],
  ];
  for (const [rule, where] of bad) {
    const e = t.throws(() => parseFaultRule(rule)) as unknown;
    t.ok(e instanceof SimBackOfficeError && e.code === 'SIM_E_BO_CONFIG', JSON.stringify(rule));
    t.match((e as Error).message, where);
  }
  t.end();
});
