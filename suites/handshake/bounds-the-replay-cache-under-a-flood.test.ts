// HS-020: the bounded replay cache. In: a flood of genuine, distinct HELLOs for one tenant, far
// more than the cache holds, then replays of every accepted one. Out: the cache never exceeds
// its entry or byte bound; at the bound new HELLOs are refused HS_E_CAPACITY (not counted as
// failures) instead of anything being forgotten; every replay within the window is refused;
// other tenants are unaffected; once entries expire the tenant is served again.
import { REPLAY_ENTRY_OVERHEAD_BYTES } from '../../relay/src/protocol/handshake-replay';
import { DEFAULT_REPLAY_LIMITS, type HandshakeVerifier } from '../../relay/src/protocol/handshake';
import {
  fixtureHello,
  fixtureVerifier,
  HS_NOW_MS,
  KEY_B,
  KID_B,
  ManualClock,
  seededRandom,
  TENANT_A,
  TENANT_B,
  verdict,
} from '../fuzz/targets/handshake';
import { kase } from '../lib/case';

const FLOOD = 2_000;

/** Sends `count` distinct genuine HELLOs of tenant A, 10 ms apart; returns each verdict. */
function flood(verifier: HandshakeVerifier, clock: ManualClock, count: number, tag: string) {
  const sent: { message: string; code: string }[] = [];
  let maxEntries = 0;
  let maxBytes = 0;
  for (let i = 0; i < count; i++) {
    clock.advance(10);
    const { message } = fixtureHello({}, { clock, random: seededRandom(`${tag}${i}`) });
    sent.push({ message, code: verdict(verifier.verify(message)) });
    const stats = verifier.replayStats(TENANT_A);
    maxEntries = Math.max(maxEntries, stats?.entries ?? 0);
    maxBytes = Math.max(maxBytes, stats?.bytes ?? 0);
  }
  return { sent, maxEntries, maxBytes };
}

void kase('HS-020', async (t) => {
  await t.test('at its entry bound the cache refuses newcomers and forgets nothing', (t) => {
    const clock = new ManualClock();
    // Replays are failures: let them all be judged instead of tripping the rate limit.
    const verifier = fixtureVerifier(
      { replayCache: { maxEntries: 64 }, rateLimit: { maxFailures: 10_000 } },
      { clock },
    );
    const { sent, maxEntries } = flood(verifier, clock, FLOOD, 'e');
    const accepted = sent.filter((s) => s.code === 'ok');
    t.equal(accepted.length, 32, '32 handshakes of 2 entries each fill 64 entries');
    t.ok(maxEntries <= 64, `never more than 64 entries (saw ${maxEntries})`);
    t.same(
      [...new Set(sent.map((s) => s.code))].sort(),
      ['HS_E_CAPACITY', 'ok'],
      'the rest is refused HS_E_CAPACITY, never HS_E_RATE',
    );
    const replays = accepted.map((s) => verdict(verifier.verify(s.message)));
    t.same([...new Set(replays)], ['HS_E_REPLAY'], 'every accepted HELLO replayed is refused');
    const b = fixtureHello({ tenant: TENANT_B, kid: KID_B, key: KEY_B }, { clock });
    t.equal(verdict(verifier.verify(b.message)), 'ok', 'another tenant is served');
    clock.set(HS_NOW_MS + 10 + 600_000); // the first entries expire
    const later = fixtureHello({}, { clock, random: seededRandom('later') }).message;
    t.equal(verdict(verifier.verify(later)), 'ok', 'served again once entries expire');
    t.end();
  });

  await t.test('at its byte bound the cache refuses newcomers as well', (t) => {
    const clock = new ManualClock();
    const maxBytes = 4_000;
    const verifier = fixtureVerifier({ replayCache: { maxEntries: 100_000, maxBytes } }, { clock });
    const { sent, maxBytes: seen } = flood(verifier, clock, 500, 'b');
    const accepted = sent.filter((s) => s.code === 'ok').length;
    t.ok(seen <= maxBytes, `never more than ${maxBytes} bytes (saw ${seen})`);
    t.ok(accepted > 0 && accepted < 500, `${accepted} accepted before the bound`);
    t.ok(seen > maxBytes - 2 * (REPLAY_ENTRY_OVERHEAD_BYTES + 60), 'the bound was reached');
    t.end();
  });

  await t.test('the default bounds hold under a flood', (t) => {
    const clock = new ManualClock();
    const verifier = fixtureVerifier({}, { clock });
    const { sent, maxEntries, maxBytes } = flood(verifier, clock, 2_100, 'd');
    t.ok(maxEntries <= DEFAULT_REPLAY_LIMITS.maxEntries, `entries ≤ default (${maxEntries})`);
    t.ok(maxBytes <= DEFAULT_REPLAY_LIMITS.maxBytes, `bytes ≤ default (${maxBytes})`);
    t.equal(sent.filter((s) => s.code === 'ok').length, DEFAULT_REPLAY_LIMITS.maxEntries / 2);
    t.end();
  });
});
