// HS-015: malformed input. In: any text (lone surrogates, controls), any bytes (non-UTF-8
// included), JSON-ish objects with hostile keys (__proto__, duplicates, numbers where strings
// go), valid messages with one or two edits, sizes around and far beyond 4 KiB, non-string
// values. Out: the cloud side answers (never throws) with REJECT and a catalogued code; the relay
// side throws nothing but HandshakeError; nothing pollutes Object.prototype.
import fc from 'fast-check';
import {
  HANDSHAKE_ERRORS,
  HandshakeError,
  openWelcome,
  REJECT_MESSAGE,
} from '../../relay/src/protocol/handshake';
import {
  clockAt,
  fieldsOf,
  fixtureHello,
  fixtureVerifier,
  fuzzPending,
  handshakeHelloTarget,
  handshakeWelcomeTarget,
  hostileHello,
  hostileWelcome,
  HS_NOW_MS,
  outcome,
  rejectText,
  verdict,
} from '../fuzz/targets/handshake';
import { kase } from '../lib/case';
import { checkProperty } from '../lib/property';

const CODES: ReadonlySet<string> = new Set(HANDSHAKE_ERRORS.codes);

void kase('HS-015', async (t) => {
  await t.test('the cloud side answers any input with ok or REJECT and a catalogued code', (t) =>
    checkProperty(
      t,
      fc.property(hostileHello, (input) => {
        const result = fixtureVerifier().verify(input);
        return (
          result.ok ||
          (rejectText(result) === REJECT_MESSAGE &&
            result.error instanceof HandshakeError &&
            CODES.has(result.error.code))
        );
      }),
    ),
  );

  await t.test('the relay side throws only HandshakeError for any WELCOME input', (t) =>
    checkProperty(
      t,
      fc.property(hostileWelcome, (input) => {
        const code = outcome(() =>
          openWelcome(fuzzPending().pending, input, { clock: clockAt(HS_NOW_MS) }),
        );
        return code === 'ok' || CODES.has(code);
      }),
    ),
  );

  await t.test('the fuzz targets accept their own arbitraries without an untyped error', (t) =>
    checkProperty(
      t,
      fc.property(hostileHello, hostileWelcome, (hello, welcome) => {
        const helloCode = outcome(() => handshakeHelloTarget.run(hello));
        const welcomeCode = outcome(() => handshakeWelcomeTarget.run(welcome));
        return helloCode !== 'untyped' && welcomeCode !== 'untyped';
      }),
    ),
  );

  await t.test('hostile JSON is refused with HS_E_FORMAT and pollutes nothing', (t) => {
    const { message } = fixtureHello();
    const f = fieldsOf(message);
    const cases: [string, unknown][] = [
      ['duplicate key', message.replace('"kid":"k1",', '"kid":"k1","kid":"k1",')],
      ['duplicate tenant', message.replace('"kid"', '"tenant":"borough-7","kid"')],
      ['__proto__ key', `{"__proto__":${message}}`],
      ['__proto__ field', message.replace('"v":1,', '"v":1,"__proto__":{"polluted":1},')],
      ['number for tenant', JSON.stringify({ ...f, tenant: 42 })],
      ['array for salt', JSON.stringify({ ...f, salt: [f.salt] })],
      ['padded base64', JSON.stringify({ ...f, tag: `${String(f.tag)}==` })],
      ['standard base64', JSON.stringify({ ...f, iv: 'ab+/ab+/ab+/' })],
      [
        'non-UTF-8 bytes',
        Buffer.concat([Buffer.from(message.slice(0, 20)), Buffer.of(0xff, 0xfe)]),
      ],
      ['a lone surrogate', message.replace('council-42', 'council-4\ud800')],
      ['a number', 42],
      ['null', null],
      ['an object', { v: 1 }],
      ['empty text', ''],
      ['deep nesting', '['.repeat(4000)],
    ];
    for (const [name, input] of cases) {
      t.equal(verdict(fixtureVerifier().verify(input)), 'HS_E_FORMAT', name);
    }
    t.equal(Object.prototype.hasOwnProperty.call(Object.prototype, 'polluted'), false);
    t.end();
  });

  await t.test('the same valid HELLO as bytes is accepted', (t) => {
    t.equal(verdict(fixtureVerifier().verify(Buffer.from(fixtureHello().message))), 'ok');
    t.end();
  });
});
