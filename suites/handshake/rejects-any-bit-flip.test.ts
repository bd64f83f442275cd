// HS-004 and HS-005: single bit flips. In: a fresh valid HELLO or WELCOME and one flipped bit,
// in the decoded bytes of a binary field, in the text of any other field, or anywhere in the raw
// bytes. Out: always refused with a typed code; a flip in salt, iv, ct or tag is exactly
// HS_E_AUTH; the pending HELLO still accepts the genuine WELCOME afterwards.
import fc from 'fast-check';
import { openWelcome, type HandshakeErrorCode } from '../../relay/src/protocol/handshake';
import {
  clockAt,
  fieldsOf,
  fixtureHello,
  fixtureVerifier,
  flipBitB64,
  HS_NOW_MS,
  messageOf,
  outcome,
  seededRandom,
  verdict,
} from '../fuzz/targets/handshake';
import { kase } from '../lib/case';
import { checkProperty } from '../lib/property';

const BINARY = ['salt', 'iv', 'ct', 'tag'] as const;
/** What a flip in the text of each non-binary field may be refused as. */
const TEXT: Record<'v' | 't' | 'tenant' | 'kid', readonly HandshakeErrorCode[]> = {
  v: ['HS_E_VERSION', 'HS_E_FORMAT'],
  t: ['HS_E_FORMAT'],
  tenant: ['HS_E_FORMAT', 'HS_E_TENANT'],
  kid: ['HS_E_FORMAT', 'HS_E_KID'],
};

function flipChar(text: string, at: number, bit: number): string {
  const i = at % text.length;
  return (
    text.slice(0, i) + String.fromCharCode(text.charCodeAt(i) ^ (1 << bit)) + text.slice(i + 1)
  );
}

const clock = clockAt(HS_NOW_MS);

function exchange(seed: number) {
  const { message, pending } = fixtureHello({}, { random: seededRandom(seed) });
  const result = fixtureVerifier({}, { random: seededRandom(`c${seed}`) }).verify(message);
  if (!result.ok) throw new Error(result.error.code);
  return { pending, welcome: result.welcome };
}

void kase('HS-004', async (t) => {
  await t.test('a flipped bit in salt, iv, ct or tag fails HS_E_AUTH', (t) =>
    checkProperty(
      t,
      fc.property(fc.integer(), fc.constantFrom(...BINARY), fc.nat(), (seed, field, bit) => {
        const { message } = fixtureHello({}, { random: seededRandom(seed) });
        const f = fieldsOf(message);
        const flipped = messageOf({ ...f, [field]: flipBitB64(f[field] as string, bit) });
        return (
          flipped !== message &&
          verdict(fixtureVerifier().verify(flipped)) === 'HS_E_AUTH' &&
          verdict(fixtureVerifier().verify(message)) === 'ok'
        );
      }),
    ),
  );

  await t.test('a flipped bit in the text of v, t, tenant or kid is refused', (t) =>
    checkProperty(
      t,
      fc.property(
        fc.integer(),
        fc.constantFrom(...(Object.keys(TEXT) as (keyof typeof TEXT)[])),
        fc.nat(),
        fc.nat(6),
        (seed, field, at, bit) => {
          const { message } = fixtureHello({}, { random: seededRandom(seed) });
          const f = fieldsOf(message);
          const value = JSON.stringify(f[field]);
          const start = message.indexOf(`"${field}":`) + field.length + 3;
          const flipped =
            message.slice(0, start) +
            flipChar(value, at, bit) +
            message.slice(start + value.length);
          const code = verdict(fixtureVerifier().verify(flipped));
          return flipped !== message && (TEXT[field] as readonly string[]).includes(code);
        },
      ),
    ),
  );

  await t.test('a flipped bit anywhere in the raw bytes is refused with a typed code', (t) =>
    checkProperty(
      t,
      fc.property(fc.integer(), fc.nat(), fc.nat(7), (seed, at, bit) => {
        const { message } = fixtureHello({}, { random: seededRandom(seed) });
        const bytes = Buffer.from(message, 'utf8');
        bytes[at % bytes.length] = (bytes[at % bytes.length] ?? 0) ^ (1 << bit);
        const result = fixtureVerifier().verify(bytes);
        return !result.ok && result.error.code.startsWith('HS_E_');
      }),
    ),
  );
});

void kase('HS-005', async (t) => {
  await t.test('a flipped bit in salt, iv, ct or tag of a WELCOME fails HS_E_AUTH', (t) =>
    checkProperty(
      t,
      fc.property(
        fc.integer(),
        fc.constantFrom('salt', 'iv', 'ct', 'tag'),
        fc.nat(),
        (seed, field, bit) => {
          const { pending, welcome } = exchange(seed);
          const f = fieldsOf(welcome);
          const flipped = messageOf({ ...f, [field]: flipBitB64(f[field] as string, bit) });
          return (
            outcome(() => openWelcome(pending, flipped, { clock })) === 'HS_E_AUTH' &&
            outcome(() => openWelcome(pending, welcome, { clock })) === 'ok'
          );
        },
      ),
    ),
  );

  await t.test(
    'a flipped bit anywhere in a WELCOME’s raw bytes is refused with a typed code',
    (t) =>
      checkProperty(
        t,
        fc.property(fc.integer(), fc.nat(), fc.nat(7), (seed, at, bit) => {
          const { pending, welcome } = exchange(seed);
          const bytes = Buffer.from(welcome, 'utf8');
          bytes[at % bytes.length] = (bytes[at % bytes.length] ?? 0) ^ (1 << bit);
          const code = outcome(() => openWelcome(pending, bytes, { clock }));
          return code !== 'ok' && code !== 'untyped';
        }),
      ),
  );
});
