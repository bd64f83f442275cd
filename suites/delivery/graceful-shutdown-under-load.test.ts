// DLV-006: graceful shutdown finishes or abandons work in flight, never drops it. In: the
// reference relay as a child process (limits.maxConcurrent 8) posting to the licensing intake,
// which answers only after a fixed delay; intake posts sent while it runs; SIGTERM once several
// back-office calls are in flight. Two grace periods: 5 s with 500 ms calls (the work in flight
// finishes), and 1 s with 10 s calls (it is still running at the deadline). Out: the relay exits
// with code 0; every call it had begun is completed (answered) or abandoned (`relay:work`
// abandoned), never dead-lettered; nothing it did not finish stays locked, so the queue holds
// exactly what was not completed; a relay started after it answers every remaining message and
// each message ends with exactly one submission.
import { kase } from '../lib/case';
import { type RelayEvent } from '../lib/relay-child';
import { startRelayWorld } from '../lib/relay-world';
import { requestsQueue } from './lib/delivery-kit';
import { badReplies, effectsOf, planTraffic, Sent } from './lib/effects-ledger';
import {
  eventsFlushed,
  heldRequests,
  onChannel,
  openExchanges,
  tallyChannel,
  untilBackOfficeIdle,
  untilRequestsDrained,
  within,
} from './lib/tallies';

const ROUTE = 'licensing';
const MAX_CONCURRENT = 8;
/** "Several" calls in flight when the relay is told to stop. */
const SEVERAL = 4;

interface Shape {
  readonly prefix: string;
  readonly messages: number;
  readonly delayMs: number;
  readonly graceMs: number;
}

/** What the first relay did with the work it held when it was told to stop. */
interface Stopped {
  /** Message ids the relay held (locked, unsettled) at the signal. */
  readonly held: readonly string[];
  /** Its `relay:work` events. */
  readonly work: readonly RelayEvent[];
}

/** Runs one shutdown under load and the restart after it; returns the first relay's part. */
async function shutdownUnderLoad(t: tap.Test, shape: Shape): Promise<Stopped> {
  const rw = await startRelayWorld(t, {
    relay: { limits: { maxConcurrent: MAX_CONCURRENT, shutdownGraceMs: shape.graceMs } },
  });
  const { world } = rw;
  const tenant = world.tenant;
  const bo = world.backOffice;
  if (tenant === undefined || bo === undefined) {
    throw new Error('the world has no tenant or back office');
  }
  bo.faults.add(ROUTE, {
    action: { type: 'delay' },
    delay: { type: 'fixed', ms: shape.delayMs },
    label: `DLV-006: every ${ROUTE} call takes ${String(shape.delayMs)} ms`,
  });
  const open = openExchanges(t);
  const heldNow = heldRequests(t);
  const arrivals = tallyChannel(t, 'sim:bo:request', (d) => d.service === ROUTE);
  const deadLetters: Readonly<Record<string, unknown>>[] = [];
  onChannel(t, 'sim:sb:deadlettered', (d) => {
    if (d.entity === 'requests') deadLetters.push(d);
  });
  const plan = planTraffic({ prefix: shape.prefix, xml: shape.messages, routes: [ROUTE] });

  const first = rw.startRelay();
  await within(rw.live(first), 60_000, 'the first relay live');
  const sent = new Sent(tenant, 300_000);
  sent.send(plan);
  await within(arrivals.until(SEVERAL), 60_000, `${String(SEVERAL)} calls in flight`);
  // The snapshot and the signal in one turn: no settlement comes between them.
  const held = [...heldNow];
  const calls = open.size;
  const exit = await within(first.stop(), 60_000, 'the first relay exit');
  await within(eventsFlushed(first), 30_000, "the first relay's events read");
  t.same(exit, { code: 0, signal: null }, 'told to stop (SIGTERM), the relay exits with code 0');
  t.ok(calls >= SEVERAL, `${String(calls)} back-office calls were in flight at the signal`);
  t.ok(held.length >= calls, `it held ${String(held.length)} requests at the signal`);

  const work = first.events.filter((e) => e.channel === 'relay:work');
  t.same(
    work.filter((e) => e.data.outcome !== 'completed' && e.data.outcome !== 'abandoned'),
    [],
    'each request the relay settled was completed or abandoned, none dead-lettered',
  );
  const completed = new Set(
    work.filter((e) => e.data.outcome === 'completed').map((e) => String(e.data.messageId)),
  );
  const queue = requestsQueue(world);
  t.equal(queue.locked, 0, 'the stopped relay holds no lock: what it did not finish went back');
  t.equal(
    queue.active,
    shape.messages - completed.size,
    `the queue holds exactly the ${String(shape.messages - completed.size)} messages the relay did not complete`,
  );
  t.ok(completed.size < shape.messages, 'it stopped receiving: work was left for the next relay');
  bo.faults.clear(ROUTE);
  const second = rw.startRelay();
  await within(sent.settled(), 120_000, `every reply (waiting: ${sent.waiting().join(', ')})`);
  await within(untilRequestsDrained(t, world), 60_000, 'the requests queue drained');
  // Every call ended, those the first relay gave up on included (a 10 s delay runs out after
  // it): none of them may add a submission.
  await within(untilBackOfficeIdle(t, open), 60_000, 'the back office idle');
  t.same([...sent.failures.keys()], [], 'every message was answered, none dead-lettered');
  t.same(deadLetters, [], 'nothing was dead-lettered from the requests queue');
  const effects = await effectsOf(world, plan);
  t.same(effects.lost, [], 'no message was dropped: each has its submission');
  t.same(effects.duplicated, [], 'no message has two submissions');
  t.same(effects.altered, [], 'each submission holds the bytes sent');
  t.same(badReplies(plan, sent, effects.references), [], 'each reply names its one submission');
  const stop = await second.stop();
  await within(eventsFlushed(second), 30_000, "the second relay's events read");
  t.equal(stop.code, 0, 'the second relay stops cleanly');
  t.equal(
    second.events.filter((e) => e.channel === 'relay:work' && e.data.outcome === 'completed')
      .length,
    shape.messages - completed.size,
    'the relay started after it completed each remaining message once',
  );
  return { held, work };
}

/** The outcomes the first relay reported for `ids`, by id. */
function outcomes(work: readonly RelayEvent[], ids: readonly string[]): Record<string, string[]> {
  return Object.fromEntries(
    ids.map((id) => [
      id,
      work.filter((e) => e.data.messageId === id).map((e) => String(e.data.outcome)),
    ]),
  );
}

void kase('DLV-006', async (t) => {
  await t.test('work in flight finishes within the grace period', async (t) => {
    const { held, work } = await shutdownUnderLoad(t, {
      prefix: 'dlv6a',
      messages: 30,
      delayMs: 500,
      graceMs: 5_000,
    });
    t.same(
      outcomes(work, held),
      Object.fromEntries(held.map((id) => [id, ['completed']])),
      'every request in flight at the signal was completed (replied) within the grace period',
    );
  });

  await t.test('work still running at the deadline is abandoned, not dropped', async (t) => {
    const { held, work } = await shutdownUnderLoad(t, {
      prefix: 'dlv6b',
      messages: 12,
      delayMs: 10_000,
      graceMs: 1_000,
    });
    t.same(
      outcomes(work, held),
      Object.fromEntries(held.map((id) => [id, ['abandoned']])),
      'every request in flight at the signal was abandoned at the deadline (it comes back)',
    );
    t.same(
      work.filter((e) => e.data.outcome === 'abandoned' && e.data.code !== 'RELAY_E_WORK_HANDLER'),
      [],
      'abandoned as handler work cut short by the shutdown',
    );
  });
});
