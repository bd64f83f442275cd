// Properties of the client's pure decisions, each over 1,000 generated cases with a printed
// seed: every status gets the verdict the issue lists; every errno is a short safe token and
// errnoOf never throws; back-off delays stay inside their bounds, under maxMs, and their floor
// never decreases; Retry-After seconds and HTTP-dates come back as the wait they mean; the
// refusal reason is at most 200 characters without control characters, whatever the body.
import fc from 'fast-check';
import t from 'tap';
import {
  backoffBounds,
  backoffDelay,
  classifyError,
  classifyStatus,
  errnoOf,
  parseRetryAfter,
  reasonText,
  retryDelay,
} from '../../src/work/backoffice';
import { checkAsyncProperty } from '../helpers/property';

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;
const LISTED_TRANSIENT = [408, 425, 429, 500, 502, 503, 504];

void t.test(
  'statuses: 2xx/3xx succeed, the listed ones are transient, other 4xx/5xx permanent',
  async (t) => {
    await checkAsyncProperty(
      t,
      fc.property(fc.integer({ min: -1_000, max: 2_000 }), (status) => {
        const v = classifyStatus(status);
        if (status >= 200 && status <= 399) return v === 'success';
        if (LISTED_TRANSIENT.includes(status)) return v === 'transient';
        if (status >= 400 && status <= 599) return v === 'permanent';
        return v === 'transient';
      }),
    );
    t.equal(classifyStatus(Number.NaN), 'transient');
    t.equal(classifyStatus(200.5), 'transient');
    t.equal(classifyStatus(501), 'permanent');
    t.equal(classifyStatus(505), 'permanent');
    t.equal(classifyStatus(410), 'permanent');
  },
);

void t.test('errnos are safe tokens and never throw, whatever was thrown', async (t) => {
  await checkAsyncProperty(
    t,
    fc.property(fc.anything({ withObjectString: true, withNullPrototype: true }), (thrown) => {
      const errno = errnoOf(thrown);
      return /^[A-Za-z][A-Za-z0-9_]{0,47}$/.test(errno);
    }),
  );
  t.same(classifyError({ code: 'ECONNRESET', message: 'x' }), {
    verdict: 'transient',
    errno: 'ECONNRESET',
  });
  t.same(
    classifyError(
      new TypeError('fetch failed', {
        cause: Object.assign(new Error('x'), { code: 'UND_ERR_SOCKET' }),
      }),
    ),
    { verdict: 'transient', errno: 'UND_ERR_SOCKET' },
  );
  t.same(classifyError(new TypeError('fetch failed')), { verdict: 'transient', errno: 'ENETWORK' });
  t.same(classifyError(new Error('socket hang up')), { verdict: 'transient', errno: 'ECONNRESET' });
  t.same(classifyError(new TypeError('Headers.append: "a\\nb" is an invalid header value.')), {
    verdict: 'permanent',
    errno: 'EINVAL',
  });
  t.same(
    classifyError({ code: 'https://user:secret@host/' }),
    {
      verdict: 'transient',
      errno: 'ENETWORK',
    },
    'a code that is not a token is not reported',
  );
});

const backoff = fc.record({
  baseMs: fc.integer({ min: 0, max: 600_000 }),
  maxMs: fc.integer({ min: 0, max: 3_600_000 }),
  factor: fc.double({ min: 1, max: 16, noNaN: true }),
  jitter: fc.double({ min: 0, max: 1, noNaN: true }),
});
const draw = fc.oneof(
  fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
  fc.constantFrom(Number.NaN, -1, 1, 7, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY),
);

void t.test(
  'back-off delays stay within their bounds and under maxMs; floors never fall',
  async (t) => {
    await checkAsyncProperty(
      t,
      fc.property(backoff, fc.array(draw, { minLength: 1, maxLength: 20 }), (o0, draws) => {
        const o = { ...o0, maxMs: Math.max(o0.maxMs, o0.baseMs) };
        let previousFloor = -1;
        for (let retry = 0; retry < draws.length; retry++) {
          const d = backoffDelay(retry, o, draws[retry] ?? 0);
          const [lo, hi] = backoffBounds(retry, o);
          if (!Number.isInteger(d) || d < lo || d > hi || d > o.maxMs) return false;
          if (lo < previousFloor) return false;
          previousFloor = lo;
          if (draws[retry] === 0 && d !== lo) return false;
        }
        return true;
      }),
    );
    t.equal(backoffDelay(0, { baseMs: 200, maxMs: 30_000, factor: 2, jitter: 0.2 }, 0.5), 220);
    t.equal(backoffDelay(3, { baseMs: 200, maxMs: 30_000, factor: 2, jitter: 0.2 }, 0.999), 1_919);
    t.equal(backoffDelay(19, { baseMs: 200, maxMs: 30_000, factor: 2, jitter: 0.2 }, 0.5), 30_000);
  },
);

void t.test('the wait is the back-off or Retry-After, whichever is longer', async (t) => {
  await checkAsyncProperty(
    t,
    fc.property(
      fc.nat(3_600_000),
      fc.option(fc.nat(3_600_000), { nil: undefined }),
      (b, ra) => retryDelay(b, ra) === Math.max(b, ra ?? 0) && retryDelay(b, ra) >= b,
    ),
  );
});

void t.test('Retry-After seconds and HTTP-dates come back as the wait they mean', async (t) => {
  const now = Date.UTC(2025, 2, 4, 9, 0, 0);
  await checkAsyncProperty(
    t,
    fc.property(
      fc.nat(10_000_000),
      fc.integer({ min: -10 * 365 * 86_400, max: 10 * 365 * 86_400 }),
      (seconds, offset) => {
        if (parseRetryAfter(String(seconds), now) !== seconds * 1000) return false;
        const at = now + offset * 1000;
        const imf = new Date(at).toUTCString();
        return parseRetryAfter(imf, now) === Math.max(0, at - now);
      },
    ),
  );
});

void t.test('refusal reasons are short, single-line and never throw', async (t) => {
  const body = fc.oneof(
    fc.uint8Array({ maxLength: 6_000 }).map((a) => Buffer.from(a)),
    fc.string({ unit: 'binary', maxLength: 6_000 }).map((s) => Buffer.from(s)),
    fc.json().map((s) => Buffer.from(s)),
    fc
      .tuple(
        fc.constantFrom('message', 'reason', 'faultstring', 'x'),
        fc.string({ unit: 'binary', maxLength: 500 }),
      )
      .map(([n, s]) => Buffer.from(`<${n}>${s}</${n}>`)),
  );
  const type = fc.constantFrom(
    undefined,
    'application/json',
    'text/xml',
    'text/html',
    'text/plain',
  );
  await checkAsyncProperty(
    t,
    fc.property(type, body, (ct, b) => {
      const r = reasonText(ct, b);
      return Array.from(r).length <= 200 && !CONTROL.test(r) && r === r.trim();
    }),
  );
});
