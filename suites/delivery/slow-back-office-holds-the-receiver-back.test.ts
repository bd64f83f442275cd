// DLV-007: a slow back office holds the Service Bus receiver back. In: the reference relay as a
// child process with limits.maxConcurrent 4 and delivery.maxConcurrentPerRoute 2, the
// ctb-intake service answering after 200 ms, 40 intake posts to that one route put on the queue
// before the relay under test starts receiving (a first relay opens the tenant's session and
// stops; the session outlives it). Out: from the back office's journal (each call's
// startedAt/endedAt), never more than 2 calls of the route overlap; from the broker (lock and
// settle events of the requests queue), the relay never holds more than 4 requests at once, and
// as calls run the rest wait on the queue, unreceived (the broker's counts, sampled as each call
// arrives); all 40 are delivered once.
import { kase } from '../lib/case';
import { startRelayWorld } from '../lib/relay-world';
import { requestsQueue } from './lib/delivery-kit';
import { badReplies, effectsOf, planTraffic, Sent } from './lib/effects-ledger';
import { heldRequests, onChannel, untilRequestsDrained, untilTrue, within } from './lib/tallies';

const ROUTE = 'ctb-intake';
const MESSAGES = 40;
const MAX_CONCURRENT = 4;
const PER_ROUTE = 2;

/** The most intervals [start, end) that overlap at one instant (an end before a start at a tie). */
function mostOverlapping(intervals: readonly { start: number; end: number }[]): number {
  const edges = intervals.flatMap((i) => [
    { at: i.start, d: 1 },
    { at: i.end, d: -1 },
  ]);
  edges.sort((a, b) => a.at - b.at || a.d - b.d);
  let now = 0;
  let most = 0;
  for (const e of edges) {
    now += e.d;
    most = Math.max(most, now);
  }
  return most;
}

void kase('DLV-007', async (t) => {
  const rw = await startRelayWorld(t, {
    relay: {
      limits: { maxConcurrent: MAX_CONCURRENT },
      delivery: { maxConcurrentPerRoute: PER_ROUTE },
    },
  });
  const { world } = rw;
  const tenant = world.tenant;
  const bo = world.backOffice;
  if (tenant === undefined || bo === undefined) {
    throw new Error('the world has no tenant or back office');
  }
  bo.faults.add(ROUTE, {
    action: { type: 'delay' },
    delay: { type: 'fixed', ms: 200 },
    label: 'DLV-007: a slow intake',
  });

  // The relay's holdings, as the broker sees them: locked and not yet settled.
  const held = heldRequests(t);
  let mostHeld = 0;
  onChannel(t, 'sim:sb:locked', (d) => {
    if (d.entity === 'requests') mostHeld = Math.max(mostHeld, held.size);
  });
  // As each call arrives: what the broker holds (read on the next turn, outside its events).
  const samples: { active: number; locked: number }[] = [];
  onChannel(t, 'sim:bo:request', (d) => {
    if (d.service !== ROUTE) return;
    setImmediate(() => {
      const q = requestsQueue(world);
      samples.push({ active: q.active, locked: q.locked });
    });
  });

  // All 40 wait on the queue before a relay receives: a first relay makes the tenant's session
  // and stops (the session outlives it), the work is sent, then the relay under test starts.
  const opener = rw.startRelay();
  await within(rw.live(opener), 60_000, 'the first relay live');
  t.equal((await opener.stop()).code, 0, 'the first relay stops before any work is sent');
  const plan = planTraffic({ prefix: 'dlv7', xml: MESSAGES, routes: [ROUTE] });
  const sent = new Sent(tenant, 300_000);
  sent.send(plan);
  await within(
    untilTrue(t, ['sim:sb:enqueued'], () => requestsQueue(world).active === MESSAGES),
    60_000,
    'all 40 requests on the queue',
  );
  const relay = rw.startRelay();
  await within(sent.settled(), 120_000, `every reply (waiting: ${sent.waiting().join(', ')})`);
  await within(untilRequestsDrained(t, world), 60_000, 'the requests queue drained');

  const calls = bo.journal.entries({ service: ROUTE, method: 'POST' });
  t.equal(calls.length, MESSAGES, `the back office got ${String(MESSAGES)} calls, one per message`);
  const overlap = mostOverlapping(calls.map((c) => ({ start: c.startedAt, end: c.endedAt })));
  t.ok(
    overlap <= PER_ROUTE,
    `at most ${String(PER_ROUTE)} calls of the route overlapped (journal: ${String(overlap)})`,
  );
  t.equal(overlap, PER_ROUTE, 'the route limit was reached: the measure can see an overlap');
  t.ok(
    mostHeld <= MAX_CONCURRENT,
    `the relay held at most ${String(MAX_CONCURRENT)} requests at once (broker: ${String(mostHeld)})`,
  );
  t.ok(
    mostHeld > PER_ROUTE,
    'it held more than the route runs at once: the others waited in the relay for a slot',
  );
  t.ok(
    samples.every((s) => s.locked <= MAX_CONCURRENT),
    'no call arrived while the broker counted more than 4 requests locked',
  );
  // The broker's active count includes the locked messages: the rest is what waits unreceived.
  const waiting = samples.map((x) => x.active - x.locked);
  t.ok(
    (waiting[0] ?? 0) >= MESSAGES - MAX_CONCURRENT,
    `when the first call reached the back office, ${String(waiting[0])} requests waited on the queue`,
  );
  t.comment(
    `broker at each call (waiting on the queue/held by the relay): ${samples
      .map((x) => `${String(x.active - x.locked)}/${String(x.locked)}`)
      .join(' ')}`,
  );

  t.same([...sent.failures.keys()], [], 'every message was answered');
  const effects = await effectsOf(world, plan);
  t.same(effects.lost, [], 'all 40 were delivered');
  t.same(effects.duplicated, [], 'none twice');
  t.same(effects.altered, [], 'each with the bytes sent');
  t.same(badReplies(plan, sent, effects.references), [], 'each reply names its submission');
  const stop = await relay.stop();
  t.equal(stop.code, 0, 'the relay stops cleanly');
});
