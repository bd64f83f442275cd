// HS-010 and HS-011: the skew window on both sides. In: a HELLO or WELCOME whose ts is the
// sender's clock, checked by a receiver whose clock is off by d ms. Out: accepted exactly when
// |d| ≤ 120 000 (boundaries included, both directions), else HS_E_SKEW.
import fc from 'fast-check';
import { openWelcome } from '../../relay/src/protocol/handshake';
import {
  clockAt,
  fixtureHello,
  fixtureVerifier,
  HS_NOW_MS,
  outcome,
  seededRandom,
  verdict,
} from '../fuzz/targets/handshake';
import { kase } from '../lib/case';
import { checkProperty } from '../lib/property';

const WINDOW = 120_000;
const BOUNDARIES = [-WINDOW - 1, -WINDOW, -1, 0, 1, WINDOW, WINDOW + 1];
const offset = fc.oneof(
  fc.constantFrom(...BOUNDARIES),
  fc.integer({ min: -10 * WINDOW, max: 10 * WINDOW }),
);
const expected = (d: number) => (Math.abs(d) <= WINDOW ? 'ok' : 'HS_E_SKEW');

/** The cloud's verdict on a HELLO sent at HS_NOW_MS, checked d ms later (or earlier). */
function cloudVerdict(d: number, seed = 0): string {
  const { message } = fixtureHello({}, { random: seededRandom(seed) });
  return verdict(fixtureVerifier({}, { clock: clockAt(HS_NOW_MS + d) }).verify(message));
}

/** The relay's verdict on a WELCOME stamped at HS_NOW_MS, opened d ms later (or earlier). */
function relayVerdict(d: number, seed = 0): string {
  const { message, pending } = fixtureHello({}, { random: seededRandom(seed) });
  const result = fixtureVerifier().verify(message);
  if (!result.ok) return `cloud ${result.error.code}`;
  return outcome(() => openWelcome(pending, result.welcome, { clock: clockAt(HS_NOW_MS + d) }));
}

void kase('HS-010', async (t) => {
  await t.test('the cloud accepts at exactly ±120 s and refuses at ±120.001 s', (t) => {
    for (const d of BOUNDARIES) t.equal(cloudVerdict(d), expected(d), `offset ${d} ms`);
    t.end();
  });

  await t.test('the cloud accepts a HELLO exactly when |ts - now| ≤ 120 s', (t) =>
    checkProperty(
      t,
      fc.property(offset, fc.integer(), (d, seed) => cloudVerdict(d, seed) === expected(d)),
    ),
  );

  await t.test('a narrower configured window is honoured', (t) => {
    const { message } = fixtureHello();
    const at = (d: number) =>
      verdict(
        fixtureVerifier({ skewMs: 5_000 }, { clock: clockAt(HS_NOW_MS + d) }).verify(message),
      );
    t.equal(at(5_000), 'ok');
    t.equal(at(-5_001), 'HS_E_SKEW');
    t.end();
  });
});

void kase('HS-011', async (t) => {
  await t.test('the relay accepts at exactly ±120 s and refuses at ±120.001 s', (t) => {
    for (const d of BOUNDARIES) t.equal(relayVerdict(d), expected(d), `offset ${d} ms`);
    t.end();
  });

  await t.test('the relay accepts a WELCOME exactly when |ts - now| ≤ 120 s', (t) =>
    checkProperty(
      t,
      fc.property(offset, fc.integer(), (d, seed) => relayVerdict(d, seed) === expected(d)),
    ),
  );
});
