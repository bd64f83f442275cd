// DLV-002: transient failures are retried with back-off under the same key. In: a relay with
// fast back-off (base 50 ms, max 400 ms, factor 2, jitter 0.2; Retry-After honoured up to 5 s;
// 9 attempts; a breaker that stays closed) and a requests queue whose lock (2 s) is shorter
// than the waits the relay plans in all; the ctb-intake service answers 503 five times, then
// 429 with Retry-After: 1, then takes the submission and resets the connection before its
// answer, then answers. Out: every attempt reached the back office with the message id as its
// Idempotency-Key; each planned wait (read from the relay's attempt events, not measured) is
// inside the back-off bounds and the one after the 429 is the 1000 ms asked for; the lock was
// renewed and never lost, so the broker delivered the message once; one submission; the
// tenant's reply is 201 with that submission's receipt.
import { kase } from '../lib/case';
import { isEvent } from '../lib/relay-child';
import { startRelayWorld } from '../lib/relay-world';
import {
  about,
  intakeXml,
  namespaceWithRequests,
  receiptField,
  recordEvents,
  SB,
  SB_CHANNELS,
} from './lib/delivery-kit';

const LOCK_MS = 2000;
const BACKOFF = { baseMs: 50, maxMs: 400, factor: 2, jitter: 0.2 };

/**
 * The bounds of the planned wait after failed attempt `n` (1-based) as the configuration
 * states them: min(maxMs, baseMs * factor^(n-1)) up to min(maxMs, that * (1 + jitter)).
 */
function bounds(n: number): [number, number] {
  const base = BACKOFF.baseMs * BACKOFF.factor ** (n - 1);
  return [
    Math.min(BACKOFF.maxMs, Math.floor(base)),
    Math.min(BACKOFF.maxMs, Math.floor(base * (1 + BACKOFF.jitter))),
  ];
}

void kase('DLV-002', async (t) => {
  const events = recordEvents(t, SB_CHANNELS);
  const rw = await startRelayWorld(t, {
    world: {
      serviceBus: namespaceWithRequests(
        (requests) => {
          requests.lockDurationMs = LOCK_MS;
        },
        { relaxedLimits: true },
      ),
    },
    relay: {
      delivery: {
        attempts: 9,
        backoff: BACKOFF,
        retryAfterCapMs: 5000,
        breaker: { failureThreshold: 100 },
      },
    },
  });
  const { tenant, backOffice } = rw.world;
  if (tenant === undefined || backOffice === undefined) throw new Error('world');
  const match = { method: 'POST', pathPrefix: '/changes' };
  backOffice.faults.set('ctb-intake', [
    { action: { type: 'status', status: 503 }, count: 5, match },
    { action: { type: 'status', status: 429, retryAfter: 1 }, count: 1, match },
    { action: { type: 'reset', when: 'after' }, count: 1, match },
  ]);
  const relay = rw.startRelay();
  await rw.live(relay);

  const id = 'dlv2-change-1';
  const body = intakeXml('ChangeOfCircumstances', id);
  const reply = await tenant.sendWork('ctb-intake', body, {
    messageId: id,
    contentType: 'application/xml',
    timeoutMs: 60_000,
  });
  await relay.waitFor(isEvent('relay:work', { outcome: 'completed' }), 'the completion');

  // What the back office saw: eight attempts, one key.
  const journal = backOffice.journal.entries({ service: 'ctb-intake', kind: 'request' });
  t.same(
    journal.map((e) => e.status ?? e.outcome),
    [503, 503, 503, 503, 503, 429, 'reset', 201],
    'five 503s, a 429, a reset after the work was done, then the answer',
  );
  t.ok(
    journal.every((e) => e.idempotencyKey === id),
    'every attempt carried the message id as its Idempotency-Key',
  );
  t.equal(backOffice.journal.byIdempotencyKey(id).length, 8, 'eight requests under that key');

  // What the relay planned: its attempt events (values, not measured time).
  const attempts = relay.events
    .filter((e) => e.channel === 'relay:backoffice:attempt' && e.data.route === 'ctb-intake')
    .map((e) => e.data);
  t.same(
    attempts.map((a) => [a.attempt, a.outcome, a.status ?? a.errno]),
    [
      [1, 'transient', 503],
      [2, 'transient', 503],
      [3, 'transient', 503],
      [4, 'transient', 503],
      [5, 'transient', 503],
      [6, 'transient', 429],
      [7, 'transient', attempts[6]?.errno],
      [8, 'success', 201],
    ],
    'eight attempts: seven transient, then success',
  );
  t.type(attempts[6]?.errno, 'string', 'the reset is reported by its errno');
  t.notOk('status' in (attempts[6] ?? {}), 'the reset came with no status');
  let planned = 0;
  for (const a of attempts.slice(0, 7)) {
    const n = Number(a.attempt);
    const delay = Number(a.delayMs);
    planned += delay;
    const [lo, hi] = bounds(n);
    if (a.status === 429) {
      t.equal(a.retryAfterMs, 1000, 'the 429 asked for 1000 ms');
      t.equal(delay, Math.max(hi, 1000), 'the wait after it is the Retry-After (over back-off)');
    } else {
      t.ok(
        delay >= lo && delay <= hi,
        `the wait after attempt ${String(n)} (${String(delay)} ms) is within [${String(lo)}, ${String(hi)}]`,
      );
    }
  }
  t.notOk('delayMs' in (attempts[7] ?? {}), 'no wait is planned after the success');
  t.ok(
    planned > LOCK_MS,
    `the planned waits (${String(planned)} ms) outlast one lock (${String(LOCK_MS)} ms)`,
  );

  // The lock: renewed, never lost, the message delivered once.
  const renewals = about(events.of(SB.renewed), id).length;
  t.ok(
    renewals >= 7,
    `its lock was renewed before each of the seven waits (${String(renewals)} renewals)`,
  );
  t.same(about(events.of(SB.expired), id), [], 'its lock never expired');
  t.same(about(events.of(SB.lost), id), [], 'nor was it lost');
  t.same(
    about(events.of(SB.locked), id).map((e) => e.deliveryCount),
    [0],
    'the broker delivered it once (delivery count 0)',
  );
  t.same(
    relay.events
      .filter((e) => e.channel === 'relay:work' && e.data.messageId === id)
      .map((e) => [e.data.outcome, e.data.deliveryCount]),
    [['completed', 0]],
    'the relay handled it once and completed it',
  );

  // One effect, and the tenant learns of it.
  const store = backOffice.intake['ctb-intake'];
  const submission = store.byIdempotencyKey(id);
  t.equal(store.accepted, 1, 'one submission');
  t.ok(submission?.body.equals(body), 'of the bytes sent');
  t.equal(reply.status, 201, 'the reply is 201');
  t.equal(
    receiptField(reply.body, 'Reference'),
    submission?.reference,
    'with the receipt of that one submission',
  );
});
