// HS-017 and HS-025: what leaves the handshake. In: one HELLO for every refusal the cloud side
// can make, and any hostile input; sessions, pending HELLOs, verifiers and errors as a logger
// would print them. Out: every refusal is the same REJECT bytes; no printed or serialised form
// contains K, a derived message key or the session key Ks.
import { inspect } from 'node:util';
import fc from 'fast-check';
import {
  createHello,
  HandshakeError,
  openWelcome,
  REJECT_MESSAGE,
  type HandshakeErrorCode,
  type VerifyResult,
} from '../../relay/src/protocol/handshake';
import {
  clockAt,
  fieldsOf,
  fixtureHello,
  fixtureVerifier,
  hostileHello,
  HS_NOW_MS,
  KEY_A,
  KEY_B,
  ManualClock,
  messageOf,
  rejectText,
  scriptedRandom,
  seededRandom,
} from '../fuzz/targets/handshake';
import { kase } from '../lib/case';
import { checkProperty } from '../lib/property';

/** One refusal of each code the cloud side can give, in a fixed order. */
function everyRefusal(): Map<HandshakeErrorCode, VerifyResult> {
  const out = new Map<HandshakeErrorCode, VerifyResult>();
  const valid = fixtureHello().message;
  const f = fieldsOf(valid);
  const verify = (text: string, verifier = fixtureVerifier()) => {
    const r = verifier.verify(text);
    if (!r.ok) out.set(r.error.code, r);
  };
  verify('{');
  verify(messageOf({ ...f, v: 2 }));
  verify(fixtureHello({ tenant: 'council-99' }).message);
  verify(fixtureHello({ kid: 'k9' }).message);
  verify(fixtureHello({ key: KEY_B }).message);
  verify(fixtureHello({}, { clock: clockAt(HS_NOW_MS - 200_000) }).message);
  const once = fixtureVerifier();
  once.verify(valid);
  verify(valid, once);
  const limited = fixtureVerifier({ rateLimit: { maxFailures: 1 } });
  limited.verify(fixtureHello({ key: KEY_B }).message);
  verify(valid, limited);
  const full = fixtureVerifier({ replayCache: { maxEntries: 2 } });
  full.verify(fixtureHello({}, { random: seededRandom(1) }).message);
  verify(fixtureHello({}, { random: seededRandom(2) }).message, full);
  return out;
}

/** Printable forms of `secret` a leak would show. */
function spellings(secret: Buffer): string[] {
  return [
    secret.toString('hex'),
    secret.toString('base64'),
    secret.toString('base64url'),
    inspect(secret).slice(8, 40), // "<Buffer 00 01 02 ..." as util.inspect prints it
  ];
}

function leaks(text: string, secrets: Buffer[]): string[] {
  return secrets.flatMap(spellings).filter((s) => text.includes(s));
}

void kase('HS-017', async (t) => {
  await t.test('every refusal code reaches the peer as the same REJECT bytes', (t) => {
    const refusals = everyRefusal();
    t.same(
      [...refusals.keys()].sort(),
      [
        'HS_E_AUTH',
        'HS_E_CAPACITY',
        'HS_E_FORMAT',
        'HS_E_KID',
        'HS_E_RATE',
        'HS_E_REPLAY',
        'HS_E_SKEW',
        'HS_E_TENANT',
        'HS_E_VERSION',
      ],
      'one refusal of each cloud-side code',
    );
    for (const [code, result] of refusals) {
      t.equal(rejectText(result), REJECT_MESSAGE, code);
      t.same(Object.keys(result).sort(), ['error', 'ok', 'reject'], `${code}: nothing else`);
    }
    t.equal(REJECT_MESSAGE, '{"v":1,"t":"reject"}');
    t.end();
  });

  await t.test('any hostile input gets exactly REJECT or a WELCOME', (t) =>
    checkProperty(
      t,
      fc.property(hostileHello, (input) => {
        const result = fixtureVerifier().verify(input);
        return result.ok
          ? result.welcome.startsWith('{"v":1,"t":"welcome",')
          : rejectText(result) === REJECT_MESSAGE;
      }),
    ),
  );
});

void kase('HS-025', async (t) => {
  await t.test('sessions and pending HELLOs print and serialise without any key', (t) => {
    const { message, pending } = fixtureHello();
    const result = fixtureVerifier().verify(message);
    if (!result.ok) return t.fail(result.error.code);
    const session = openWelcome(pending, result.welcome, { clock: clockAt(HS_NOW_MS) });
    t.equal(session.key.length, 32, 'Ks is there for the code that needs it');
    t.notOk(Object.keys(session).includes('key'), 'but is not enumerable');
    const secrets = [KEY_A, session.key];
    for (const [name, value] of Object.entries({ session, cloud: result.session, pending })) {
      t.same(leaks(JSON.stringify(value), secrets), [], `${name} as JSON`);
      t.same(leaks(inspect(value, { depth: 5 }), secrets), [], `${name} inspected`);
    }
    t.end();
  });

  await t.test('a verifier prints without its keys', (t) => {
    const verifier = fixtureVerifier();
    verifier.verify(fixtureHello().message);
    t.same(leaks(inspect(verifier, { depth: 10, showHidden: true }), [KEY_A, KEY_B]), []);
    t.end();
  });

  await t.test('no error of either side carries a key, in its message or details', (t) => {
    const refusals = [...everyRefusal().values()].flatMap((r) => (r.ok ? [] : [r.error]));
    const relay: HandshakeError[] = [];
    const { pending } = fixtureHello();
    for (const text of [fixtureHello().message, REJECT_MESSAGE, '{']) {
      try {
        openWelcome(pending, text, { clock: new ManualClock() });
      } catch (e) {
        if (e instanceof HandshakeError) relay.push(e);
      }
    }
    try {
      createHello(
        { tenant: 'BAD', kid: 'k', key: KEY_A, relay: 'r' },
        { random: scriptedRandom([]) },
      );
    } catch (e) {
      if (e instanceof HandshakeError) relay.push(e);
    }
    t.equal(refusals.length + relay.length, 13, 'every error was collected');
    for (const e of [...refusals, ...relay]) {
      const printed = `${e.message} ${JSON.stringify(e.details)} ${inspect(e)}`;
      t.same(leaks(printed, [KEY_A, KEY_B]), [], e.code);
    }
    t.end();
  });
});
