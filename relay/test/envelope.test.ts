// Unit tests of the envelope's single-shot core (relay/src/protocol/envelope.ts): the error
// family, the validation of parameters and policy, the segment arithmetic, nonces and AADs.
// In: fixed keys, clocks and randomness. Out: tap results.
import { createHash } from 'node:crypto';
import t from 'tap';
import {
  DEFAULT_SKEW_MS,
  ENVELOPE_ERRORS,
  EnvelopeError,
  isEnvelopeError,
  openBody,
  sealBody,
  SEALED_SEGMENT_BYTES,
  sealedLength,
  SEGMENT_BYTES,
  segmentAad,
  segmentCount,
  segmentNonce,
  type EnvelopeParams,
  type OpenParams,
  type OpenPolicy,
} from '../src/protocol/envelope';
import { RelaycheckError } from '../src/protocol/errors';

const K = createHash('sha256').update('unit K').digest();
const NOW = 1_700_000_000_000;

function counter(): (n: number) => Buffer {
  let i = 0;
  return (n) => Buffer.alloc(n, ++i);
}

function params(over: Partial<EnvelopeParams> = {}): EnvelopeParams {
  return {
    key: K,
    kid: 'k1',
    tenant: 'council-7',
    messageId: 'id-1',
    route: 'benefits/retrieve',
    direction: 'c2r',
    deps: { clock: { now: () => NOW }, random: counter() },
    ...over,
  };
}

function opening(over: Partial<EnvelopeParams> = {}, policy: Partial<OpenPolicy> = {}): OpenParams {
  return { ...params(over), policy: { requireSealed: true, ttlMs: 60_000, ...policy } };
}

function codeOf(fn: () => unknown): string {
  try {
    fn();
    return 'ok';
  } catch (e) {
    if (e instanceof EnvelopeError) return e.code;
    throw e;
  }
}

void t.test('every envelope code has a summary, an HTTP status and an AMQP condition', (t) => {
  for (const code of ENVELOPE_ERRORS.codes) {
    const spec = ENVELOPE_ERRORS.specs[code];
    t.ok(spec.summary.length > 10, `${code} has a summary`);
    t.type(spec.http, 'number', `${code} has an HTTP status`);
    t.match(spec.amqp, /^amqp:[a-z-]+$/, `${code} has a standard AMQP condition`);
  }
  t.end();
});

void t.test('an EnvelopeError carries its code and its wire hints', (t) => {
  const e = new EnvelopeError('ENV_E_AUTH', 'no', { segment: 2 });
  t.ok(e instanceof RelaycheckError, 'it is a RelaycheckError');
  t.equal(e.name, 'EnvelopeError');
  t.equal(e.http, 403);
  t.equal(e.amqp, 'amqp:unauthorized-access');
  t.same(e.details, { segment: 2 });
  t.ok(isEnvelopeError(e, 'ENV_E_AUTH'), 'isEnvelopeError matches its code');
  t.notOk(isEnvelopeError(e, 'ENV_E_FORMAT'), 'isEnvelopeError does not match another code');
  t.notOk(isEnvelopeError(new Error('x')), 'a plain Error is not an EnvelopeError');
  t.end();
});

void t.test('bindings outside their allowed form are refused with ENV_E_BINDING', (t) => {
  const bad: [string, Partial<EnvelopeParams>][] = [
    ['a tenant with capitals', { tenant: 'Council-7' }],
    ['a two-character tenant', { tenant: 'c7' }],
    ['a messageId with a bar', { messageId: 'a|b' }],
    ['a messageId with a space', { messageId: 'a b' }],
    ['an empty messageId', { messageId: '' }],
    ['a 129-character messageId', { messageId: 'm'.repeat(129) }],
    ['a route with a bar', { route: 'x|y' }],
    ['a route with a newline', { route: 'x\n' }],
    ['an unknown direction', { direction: 'c2c' as 'c2r' }],
  ];
  for (const [label, over] of bad) {
    t.equal(
      codeOf(() => sealBody(params(over), Buffer.alloc(1))),
      'ENV_E_BINDING',
      `seal: ${label}`,
    );
    t.equal(
      codeOf(() => openBody(opening(over), undefined, Buffer.alloc(1))),
      'ENV_E_BINDING',
      `open: ${label}`,
    );
  }
  t.equal(
    codeOf(() => sealBody(params({ messageId: 'm'.repeat(128) }), Buffer.alloc(1))),
    'ok',
  );
  t.end();
});

void t.test(
  'an invalid key, kid, clock, randomness or policy is refused with ENV_E_CONFIG',
  (t) => {
    const body = Buffer.alloc(3);
    const cases: [string, () => unknown][] = [
      ['a 31-byte key', () => sealBody(params({ key: Buffer.alloc(31) }), body)],
      ['a kid with a slash', () => sealBody(params({ kid: 'a/b' }), body)],
      [
        'a clock giving a fraction',
        () => sealBody(params({ deps: { clock: { now: () => 1.5 } } }), body),
      ],
      [
        'a clock giving a negative time',
        () => sealBody(params({ deps: { clock: { now: () => -1 } } }), body),
      ],
      [
        'randomness giving too few bytes',
        () => sealBody(params({ deps: { random: (n) => Buffer.alloc(n - 1) } }), body),
      ],
      ['a body that is not bytes', () => sealBody(params(), 'text' as unknown as Buffer)],
      ['a NaN time-to-live', () => openBody(opening({}, { ttlMs: NaN }), undefined, body)],
      ['a negative time-to-live', () => openBody(opening({}, { ttlMs: -1 }), undefined, body)],
      ['an infinite skew', () => openBody(opening({}, { skewMs: Infinity }), undefined, body)],
      [
        'requireSealed not boolean',
        () => openBody(opening({}, { requireSealed: 1 as unknown as boolean }), undefined, body),
      ],
    ];
    for (const [label, fn] of cases) t.equal(codeOf(fn), 'ENV_E_CONFIG', label);
    t.end();
  },
);

void t.test('a randomness source that reuses its buffer does not change sealed metadata', (t) => {
  const shared = Buffer.alloc(16);
  const { metadata } = sealBody(
    params({ deps: { clock: { now: () => NOW }, random: (n) => shared.subarray(0, n).fill(5) } }),
    Buffer.alloc(1),
  );
  shared.fill(9);
  t.equal(metadata.salt[0], 5, 'the salt was copied');
  t.equal(metadata.iv[0], 5, 'the iv was copied');
  t.ok(Object.isFrozen(metadata), 'the metadata is frozen');
  t.end();
});

void t.test('segment arithmetic: every body has at least one segment', (t) => {
  const table: [number, number][] = [
    [0, 1],
    [1, 1],
    [SEGMENT_BYTES, 1],
    [SEGMENT_BYTES + 1, 2],
    [5 * SEGMENT_BYTES, 5],
  ];
  for (const [n, segments] of table) {
    t.equal(segmentCount(n), segments, `${n} bytes make ${segments} segments`);
    t.equal(sealedLength(n), n + 16 * segments, `${n} bytes seal to ${n + 16 * segments}`);
  }
  t.equal(SEALED_SEGMENT_BYTES, 65_552);
  t.equal(DEFAULT_SKEW_MS, 120_000);
  t.end();
});

void t.test('segment nonces XOR the 64-bit big-endian counter into iv bytes 4..11', (t) => {
  const iv = Buffer.from('00112233445566778899aabb', 'hex');
  for (const i of [0, 1, 255, 2 ** 32 - 1, 2 ** 32, 2 ** 32 + 7, 2 ** 40 + 3]) {
    const expected = Buffer.from(iv);
    expected.writeBigUInt64BE(expected.readBigUInt64BE(4) ^ BigInt(i), 4);
    t.same(segmentNonce(iv, i), expected, `segment ${i}`);
  }
  t.equal(iv.toString('hex'), '00112233445566778899aabb', 'the iv itself is not changed');
  t.end();
});

void t.test('segment AADs end with the segment index and its more or final flag', (t) => {
  t.equal(segmentAad('v1|a', 0, undefined).toString(), 'v1|a|seg|0|more');
  t.equal(segmentAad('v1|a', 3, 200_000).toString(), 'v1|a|seg|3|final|200000');
  t.end();
});

void t.test('openBody refuses input that is not bytes with ENV_E_FORMAT', (t) => {
  const { metadata } = sealBody(params(), Buffer.alloc(4));
  t.equal(
    codeOf(() => openBody(opening(), metadata, [1, 2] as unknown as Buffer)),
    'ENV_E_FORMAT',
  );
  t.end();
});

void t.test('sealing and opening accept Uint8Array views with an offset', (t) => {
  const backing = new Uint8Array(100_000).map((_, i) => i & 0xff);
  const view = backing.subarray(17, 80_017);
  const { metadata, sealed } = sealBody(params(), view);
  const sealedView = new Uint8Array(sealed.length + 5);
  sealedView.set(sealed, 5);
  const opened = openBody(opening(), metadata, sealedView.subarray(5));
  t.ok(opened.equals(Buffer.from(view)), 'the view round-trips');
  t.end();
});

void t.test('opening never returns part of a body whose later segment fails', (t) => {
  const body = Buffer.alloc(3 * SEGMENT_BYTES, 1);
  const { metadata, sealed } = sealBody(params(), body);
  sealed[sealed.length - 1] = (sealed[sealed.length - 1] ?? 0) ^ 1;
  t.equal(
    codeOf(() => openBody(opening(), metadata, sealed)),
    'ENV_E_AUTH',
  );
  t.end();
});
