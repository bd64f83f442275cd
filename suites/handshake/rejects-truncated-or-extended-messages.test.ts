// HS-006 and HS-021: truncation, extension, size. In: every strict prefix of a HELLO or
// WELCOME, any suffix, an extra field, a ciphertext cut short or lengthened, messages of 4096
// bytes, 4097 bytes and 10 MB. Out: HS_E_FORMAT for the text edits, HS_E_AUTH for a re-encoded
// ciphertext of another length; over 4 KiB is HS_E_FORMAT with JSON.parse never called.
import fc from 'fast-check';
import { MAX_MESSAGE_BYTES, openWelcome } from '../../relay/src/protocol/handshake';
import {
  anyText,
  clockAt,
  fieldsOf,
  fixtureHello,
  fixtureVerifier,
  HS_NOW_MS,
  messageOf,
  outcome,
  seededRandom,
  verdict,
} from '../fuzz/targets/handshake';
import { kase } from '../lib/case';
import { checkProperty } from '../lib/property';

void kase('HS-006', async (t) => {
  await t.test('every strict prefix of a HELLO fails HS_E_FORMAT', (t) =>
    checkProperty(
      t,
      fc.property(fc.integer(), fc.nat(), (seed, cut) => {
        const { message } = fixtureHello({}, { random: seededRandom(seed) });
        const prefix = message.slice(0, cut % message.length);
        return verdict(fixtureVerifier().verify(prefix)) === 'HS_E_FORMAT';
      }),
    ),
  );

  await t.test('a HELLO with anything appended fails HS_E_FORMAT', (t) =>
    checkProperty(
      t,
      fc.property(
        fc.integer(),
        anyText.filter((s) => s.length > 0),
        (seed, tail) => {
          const { message } = fixtureHello({}, { random: seededRandom(seed) });
          return verdict(fixtureVerifier().verify(message + tail)) === 'HS_E_FORMAT';
        },
      ),
    ),
  );

  await t.test('a HELLO with an extra field, or whitespace, fails HS_E_FORMAT', (t) => {
    const { message } = fixtureHello();
    for (const edited of [
      `${message.slice(0, -1)},"x":1}`,
      `${message.slice(0, -1)},"caps":[]}`,
      `${message} `,
      ` ${message}`,
      message.replace('"v":1,', '"v": 1,'),
    ]) {
      t.equal(verdict(fixtureVerifier().verify(edited)), 'HS_E_FORMAT', edited.slice(0, 40));
    }
    t.end();
  });

  await t.test('a ciphertext cut short or lengthened by any bytes fails HS_E_AUTH', (t) =>
    checkProperty(
      t,
      fc.property(
        fc.integer(),
        fc.oneof(
          fc.nat(40).map((n) => -1 - n),
          fc.uint8Array({ minLength: 1, maxLength: 40 }),
        ),
        (seed, edit) => {
          const { message } = fixtureHello({}, { random: seededRandom(seed) });
          const f = fieldsOf(message);
          const ct = Buffer.from(f.ct as string, 'base64url');
          const changed =
            typeof edit === 'number'
              ? ct.subarray(0, Math.max(1, ct.length + edit))
              : Buffer.concat([ct, edit]);
          const edited = messageOf({ ...f, ct: changed.toString('base64url') });
          return verdict(fixtureVerifier().verify(edited)) === 'HS_E_AUTH';
        },
      ),
    ),
  );

  await t.test('a tag, salt or iv of the wrong length fails HS_E_FORMAT', (t) => {
    const f = fieldsOf(fixtureHello().message);
    for (const field of ['tag', 'salt', 'iv'] as const) {
      const bytes = Buffer.from(f[field] as string, 'base64url');
      for (const changed of [bytes.subarray(1), Buffer.concat([bytes, Buffer.of(0)])]) {
        const edited = messageOf({ ...f, [field]: changed.toString('base64url') });
        t.equal(
          verdict(fixtureVerifier().verify(edited)),
          'HS_E_FORMAT',
          `${field} ${changed.length}`,
        );
      }
    }
    t.end();
  });

  await t.test('every strict prefix and any extension of a WELCOME fails HS_E_FORMAT', (t) =>
    checkProperty(
      t,
      fc.property(fc.integer(), fc.nat(), fc.string({ minLength: 1 }), (seed, cut, tail) => {
        const { message, pending } = fixtureHello({}, { random: seededRandom(seed) });
        const result = fixtureVerifier().verify(message);
        if (!result.ok) return false;
        const clock = clockAt(HS_NOW_MS);
        const prefix = result.welcome.slice(0, cut % result.welcome.length);
        return (
          outcome(() => openWelcome(pending, prefix, { clock })) === 'HS_E_FORMAT' &&
          outcome(() => openWelcome(pending, result.welcome + tail, { clock })) === 'HS_E_FORMAT'
        );
      }),
    ),
  );
});

/** Counts JSON.parse calls made while `fn` runs. */
function parses(fn: () => unknown): number {
  const parse = JSON.parse.bind(JSON);
  let calls = 0;
  JSON.parse = (text: string, reviver?: Parameters<typeof JSON.parse>[1]): unknown => {
    calls++;
    return parse(text, reviver);
  };
  try {
    fn();
  } finally {
    JSON.parse = parse;
  }
  return calls;
}

/** A valid HELLO padded with trailing spaces to exactly `size` bytes. */
function padded(size: number): string {
  const { message } = fixtureHello();
  return message + ' '.repeat(size - message.length);
}

void kase('HS-021', async (t) => {
  await t.test('over 4 KiB is refused HS_E_FORMAT before any parsing, on both sides', (t) => {
    const { pending } = fixtureHello();
    const clock = clockAt(HS_NOW_MS);
    const big: [string, string | Uint8Array][] = [
      ['4097 bytes of JSON', padded(MAX_MESSAGE_BYTES + 1)],
      ['4097 bytes as a Buffer', Buffer.from(padded(MAX_MESSAGE_BYTES + 1))],
      ['10 MB of text', 'x'.repeat(10 * 1024 * 1024)],
      ['10 MB of bytes', Buffer.alloc(10 * 1024 * 1024, 0x7b)],
      ['2049 two-byte characters (4098 bytes)', '\u00e9'.repeat(2049)],
    ];
    for (const [name, input] of big) {
      let code = '';
      t.equal(
        parses(() => (code = verdict(fixtureVerifier().verify(input)))),
        0,
        `${name}: no parse`,
      );
      t.equal(code, 'HS_E_FORMAT', `${name}: cloud side`);
      let relay = '';
      const calls = parses(() => (relay = outcome(() => openWelcome(pending, input, { clock }))));
      t.equal(calls, 0, `${name}: relay side, no parse`);
      t.equal(relay, 'HS_E_FORMAT', `${name}: relay side`);
    }
    t.end();
  });

  await t.test('exactly 4096 bytes is parsed (and then judged on its form)', (t) => {
    let code = '';
    t.equal(
      parses(() => (code = verdict(fixtureVerifier().verify(padded(MAX_MESSAGE_BYTES))))),
      1,
    );
    t.equal(code, 'HS_E_FORMAT', 'trailing spaces are not the canonical form');
    t.end();
  });
});
