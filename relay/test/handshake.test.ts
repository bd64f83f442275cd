// Unit tests of the handshake's internals: the replay cache, the failure limiter, option and
// key validation, and the error family. In: direct calls. Out: tap assertions. The black-box
// conformance cases live in suites/handshake/.
import t from 'tap';
import { RelaycheckError } from '../src/protocol/errors';
import {
  createHello,
  HANDSHAKE_ERRORS,
  HandshakeError,
  HandshakeVerifier,
  openWelcome,
  type HandshakeErrorCode,
} from '../src/protocol/handshake';
import { FailureLimiter } from '../src/protocol/handshake-rate';
import { ReplayCache, replayEntryCost } from '../src/protocol/handshake-replay';

const KEY = Buffer.alloc(32, 1);
const NOW = 1_767_225_600_000;
const clock = { now: () => NOW };

function code(fn: () => unknown): HandshakeErrorCode | 'ok' | 'untyped' {
  try {
    fn();
    return 'ok';
  } catch (e) {
    return e instanceof HandshakeError ? e.code : 'untyped';
  }
}

void t.test('the replay cache', async (t) => {
  await t.test('admits unseen keys, refuses a seen one, and forgets it after the window', (t) => {
    const cache = new ReplayCache({ windowMs: 1000, maxEntries: 10, maxBytes: 10_000 });
    t.equal(cache.admit(['a', 'b'], 0), 'admitted');
    t.equal(cache.admit(['c', 'b'], 999), 'seen');
    t.equal(cache.size, 2, 'a refused admission records nothing');
    t.equal(cache.admit(['b'], 1000), 'admitted', 'expired at windowMs');
    t.equal(cache.size, 1, 'the expired keys were pruned');
    t.end();
  });

  await t.test('refuses rather than evicts at the entry bound, then frees space on expiry', (t) => {
    const cache = new ReplayCache({ windowMs: 1000, maxEntries: 3, maxBytes: 10_000 });
    t.equal(cache.admit(['a', 'b'], 0), 'admitted');
    t.equal(cache.admit(['c', 'd'], 10), 'full', 'two more do not fit');
    t.equal(cache.admit(['a'], 20), 'seen', 'nothing was forgotten');
    t.equal(cache.admit(['c'], 30), 'admitted', 'one more fits');
    t.equal(cache.admit(['d', 'e'], 1000), 'admitted', 'a and b expired');
    t.equal(cache.size, 3);
    t.end();
  });

  await t.test('counts bytes and refuses at the byte bound', (t) => {
    const cost = replayEntryCost('salt:AAAAAAAAAAAAAAAAAAAAAA');
    const cache = new ReplayCache({ windowMs: 1000, maxEntries: 100, maxBytes: 2 * cost });
    t.equal(cache.admit(['salt:AAAAAAAAAAAAAAAAAAAAAA'], 0), 'admitted');
    t.equal(cache.bytes, cost);
    t.equal(cache.admit(['salt:BBBBBBBBBBBBBBBBBBBBBB', 'nr:x'], 0), 'full');
    t.equal(cache.admit(['salt:BBBBBBBBBBBBBBBBBBBBBB'], 0), 'admitted');
    t.equal(cache.bytes, 2 * cost);
    cache.prune(1000);
    t.equal(cache.bytes, 0);
    t.end();
  });

  await t.test('a clock that goes back does not resurrect or lose entries', (t) => {
    const cache = new ReplayCache({ windowMs: 1000, maxEntries: 10, maxBytes: 10_000 });
    cache.admit(['a'], 5000);
    cache.admit(['b'], 100); // inserted later, expires earlier
    t.equal(cache.admit(['a'], 5500), 'seen');
    t.equal(cache.admit(['b'], 1100), 'admitted', 'b expired although a is older in order');
    t.end();
  });
});

void t.test('the failure limiter', async (t) => {
  await t.test('blocks at the tenth failure within the window for backoffMs', (t) => {
    const limiter = new FailureLimiter({ maxFailures: 3, windowMs: 100, backoffMs: 50 });
    limiter.fail(0);
    limiter.fail(10);
    t.notOk(limiter.blocked(10));
    limiter.fail(20);
    t.ok(limiter.blocked(20));
    t.equal(limiter.blockedUntil, 70);
    limiter.fail(30); // ignored: in back-off
    t.ok(limiter.blocked(69));
    t.notOk(limiter.blocked(70));
    t.end();
  });

  await t.test('forgets failures at windowMs', (t) => {
    const limiter = new FailureLimiter({ maxFailures: 2, windowMs: 100, backoffMs: 50 });
    limiter.fail(0);
    limiter.fail(100);
    t.notOk(limiter.blocked(100), 'the failure at 0 is out of (0, 100]');
    limiter.fail(150);
    t.ok(limiter.blocked(150));
    t.end();
  });
});

void t.test('createHello refuses bad parameters with HS_E_CONFIG', (t) => {
  const good = { tenant: 'council-42', kid: 'k1', key: KEY, relay: 'relay-1' };
  const bad: [string, () => unknown][] = [
    ['short key', () => createHello({ ...good, key: Buffer.alloc(31) }, { clock })],
    ['tenant', () => createHello({ ...good, tenant: 'Council' }, { clock })],
    ['kid', () => createHello({ ...good, kid: 'k 1' }, { clock })],
    ['relay', () => createHello({ ...good, relay: 'relay"1' }, { clock })],
    ['caps', () => createHello({ ...good, caps: ['ok', 'ok'] }, { clock })],
    [
      '17 caps',
      () =>
        createHello({ ...good, caps: Array.from({ length: 17 }, (_, i) => `c${i}`) }, { clock }),
    ],
    ['fractional clock', () => createHello(good, { clock: { now: () => 1.5 } })],
    ['short random', () => createHello(good, { clock, random: () => Buffer.alloc(1) })],
  ];
  for (const [name, fn] of bad) t.equal(code(fn), 'HS_E_CONFIG', name);
  t.equal(
    code(() => createHello(good, { clock })),
    'ok',
  );
  t.end();
});

void t.test('HandshakeVerifier refuses bad options and keys with HS_E_CONFIG', (t) => {
  const tenants = { 'council-42': [{ kid: 'k1', key: KEY }] };
  const bad: [string, () => unknown][] = [
    ['replay window < 2 × skew', () => new HandshakeVerifier({ tenants, replayWindowMs: 200_000 })],
    ['zero skew', () => new HandshakeVerifier({ tenants, skewMs: 0 })],
    ['ttl above a day', () => new HandshakeVerifier({ tenants, ttlSeconds: 86_401 })],
    ['negative bound', () => new HandshakeVerifier({ tenants, replayCache: { maxEntries: -1 } })],
    ['fractional limit', () => new HandshakeVerifier({ tenants, rateLimit: { maxFailures: 1.5 } })],
    ['bad tenant', () => new HandshakeVerifier({ tenants: { __proto__x: [] } })],
    [
      'short key',
      () => new HandshakeVerifier({ tenants: { abc: [{ kid: 'k', key: KEY.subarray(1) }] } }),
    ],
    [
      'duplicate kid',
      () =>
        new HandshakeVerifier({
          tenants: {
            abc: [
              { kid: 'k', key: KEY },
              { kid: 'k', key: KEY, state: 'retired' },
            ],
          },
        }),
    ],
    ['retire unknown', () => new HandshakeVerifier({ tenants }).retireKey('council-42', 'k9')],
  ];
  for (const [name, fn] of bad) t.equal(code(fn), 'HS_E_CONFIG', name);
  t.end();
});

void t.test('the verifier copies keys: changing the caller’s buffer changes nothing', (t) => {
  const key = Buffer.from(KEY);
  const verifier = new HandshakeVerifier(
    { tenants: { 'council-42': [{ kid: 'k1', key }] } },
    { clock },
  );
  const { message, pending } = createHello(
    { tenant: 'council-42', kid: 'k1', key, relay: 'r' },
    { clock },
  );
  key.fill(0);
  const result = verifier.verify(message);
  t.ok(result.ok);
  if (result.ok)
    t.equal(
      code(() => openWelcome(pending, result.welcome, { clock })),
      'ok',
    );
  t.end();
});

void t.test('the error family', (t) => {
  t.same(HANDSHAKE_ERRORS.codes, [
    'HS_E_FORMAT',
    'HS_E_VERSION',
    'HS_E_TENANT',
    'HS_E_KID',
    'HS_E_AUTH',
    'HS_E_SKEW',
    'HS_E_REPLAY',
    'HS_E_RATE',
    'HS_E_CAPACITY',
    'HS_E_NONCE',
    'HS_E_REJECTED',
    'HS_E_CONFIG',
  ]);
  const e = new HandshakeError('HS_E_AUTH', 'x', { tenant: 't' });
  t.ok(e instanceof RelaycheckError);
  t.equal(e.name, 'HandshakeError');
  t.equal(e.code, 'HS_E_AUTH');
  t.same(e.details, { tenant: 't' });
  for (const c of HANDSHAKE_ERRORS.codes) t.ok(HANDSHAKE_ERRORS.specs[c].summary.length > 20, c);
  t.end();
});
