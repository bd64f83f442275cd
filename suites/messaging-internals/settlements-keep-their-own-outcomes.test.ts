// Messages settled at the same moment keep their own outcomes (DLV, internals). In: the real
// @azure/service-bus SDK against the simulated namespace; messages completed, abandoned and
// dead-lettered in the same turn of the event loop, by the SDK alone, through the relay's
// settlement lane (relay/src/messaging/settlement-lane.ts), and by the relay's work receiver
// when several handlers fail at once. Out, from the namespace's own events (sim:sb:settled,
// sim:sb:deadlettered) and redeliveries: the SDK alone sends a complete and an abandon of one turn
// as one `accepted` range (rhea 3.0.5's write_dispositions; the abandoned message is lost); through
// the lane each message gets its own outcome and its own dead-letter reason; the relay's failed
// requests are each abandoned or dead-lettered as their handler's failure says.
import diagnostics from 'node:diagnostics_channel';
import type { ServiceBusReceivedMessage, ServiceBusReceiver } from '@azure/service-bus';
import t from 'tap';
import { MESSAGING_CHANNELS } from '../../relay/src/messaging';
import { settlementLane } from '../../relay/src/messaging/settlement-lane';
import { systemScheduler } from '../../relay/src/transports/scheduler';
import { MESSAGING_QUEUES, newTenantKey, startWorld, type World } from './lib/world';

type SimEvent = Readonly<Record<string, unknown>>;

/** The namespace's settlement events from now on (by message id), until teardown. */
function settlements(t: tap.Test): { settled: SimEvent[]; dead: SimEvent[] } {
  const settled: SimEvent[] = [];
  const dead: SimEvent[] = [];
  const onSettled = (m: unknown): void => {
    settled.push(m as SimEvent);
  };
  const onDead = (m: unknown): void => {
    dead.push(m as SimEvent);
  };
  diagnostics.subscribe('sim:sb:settled', onSettled);
  diagnostics.subscribe('sim:sb:deadlettered', onDead);
  t.teardown(() => {
    diagnostics.unsubscribe('sim:sb:settled', onSettled);
    diagnostics.unsubscribe('sim:sb:deadlettered', onDead);
  });
  return { settled, dead };
}

/** Sends `ids` to `queue` and receives them, in order, with peekLock. */
async function receiveAll(
  world: World,
  queue: string,
  ids: readonly string[],
): Promise<{ receiver: ServiceBusReceiver; messages: ServiceBusReceivedMessage[] }> {
  const sb = world.client('RootManageSharedAccessKey');
  await sb.createSender(queue).sendMessages(ids.map((id) => ({ body: id, messageId: id })));
  const receiver = sb.createReceiver(queue);
  const messages: ServiceBusReceivedMessage[] = [];
  while (messages.length < ids.length) {
    const got = await receiver.receiveMessages(ids.length - messages.length, {
      maxWaitTimeInMs: 5000,
    });
    if (got.length === 0) throw new Error(`only ${String(messages.length)} of ${ids.join(', ')}`);
    messages.push(...got);
  }
  return { receiver, messages };
}

/** What the namespace did with each message id of `entity` (settled outcome; dead-letter reason). */
function outcomes(
  events: { settled: SimEvent[]; dead: SimEvent[] },
  entity: string,
  ids: readonly string[],
) {
  const of = (e: SimEvent, id: string): boolean => e.messageId === id && e.entity === entity;
  return Object.fromEntries(
    ids.map((id) => {
      const s = events.settled.filter((e) => of(e, id)).map((e) => e.outcome);
      const d = events.dead.filter((e) => of(e, id)).map((e) => e.reason);
      return [id, { settled: s, deadLetterReasons: d }];
    }),
  );
}

void t.test('messages settled in one turn', async (t) => {
  const world = await startWorld(t, {
    queues: [...MESSAGING_QUEUES, { name: 'alone' }, { name: 'lane' }],
  });

  await t.test(
    'the SDK alone sends a complete and an abandon of one turn as one accepted range (the reason for the lane; when this fails, rhea was fixed)',
    async (t) => {
      const events = settlements(t);
      const { receiver, messages } = await receiveAll(world, 'alone', ['a1', 'a2']);
      const [a1, a2] = messages;
      if (a1 === undefined || a2 === undefined) throw new Error('two messages expected');
      await Promise.all([receiver.completeMessage(a1), receiver.abandonMessage(a2)]);
      t.same(
        outcomes(events, 'alone', ['a1', 'a2']),
        {
          a1: { settled: ['completed'], deadLetterReasons: [] },
          a2: { settled: ['completed'], deadLetterReasons: [] },
        },
        'the abandoned message was completed with the first (it is lost)',
      );
    },
  );

  await t.test(
    'through the lane, a complete, an abandon and two dead-letters of one turn each keep their own outcome',
    async (t) => {
      const events = settlements(t);
      const lane = settlementLane(systemScheduler, 10_000);
      const ids = ['l1', 'l2', 'l3', 'l4', 'l5'];
      const { receiver, messages } = await receiveAll(world, 'lane', ids);
      const [m1, m2, m3, m4, m5] = messages;
      if (
        m1 === undefined ||
        m2 === undefined ||
        m3 === undefined ||
        m4 === undefined ||
        m5 === undefined
      ) {
        throw new Error('five messages expected');
      }
      await Promise.all([
        lane.run(m1, () => receiver.completeMessage(m1)),
        lane.run(m2, () => receiver.abandonMessage(m2)),
        lane.run(m3, () =>
          receiver.deadLetterMessage(m3, {
            deadLetterReason: 'R3',
            deadLetterErrorDescription: 'three',
          }),
        ),
        lane.run(m4, () =>
          receiver.deadLetterMessage(m4, {
            deadLetterReason: 'R4',
            deadLetterErrorDescription: 'four',
          }),
        ),
        lane.run(m5, () => receiver.completeMessage(m5)),
      ]);
      t.same(
        outcomes(events, 'lane', ids),
        {
          l1: { settled: ['completed'], deadLetterReasons: [] },
          l2: { settled: ['abandoned'], deadLetterReasons: [] },
          l3: { settled: ['deadlettered'], deadLetterReasons: ['R3'] },
          l4: { settled: ['deadlettered'], deadLetterReasons: ['R4'] },
          l5: { settled: ['completed'], deadLetterReasons: [] },
        },
        'each outcome as settled',
      );
      const [back] = await receiver.receiveMessages(1, { maxWaitTimeInMs: 5000 });
      t.equal(back?.messageId, 'l2', 'the abandoned message comes back');
      if (back !== undefined) await receiver.completeMessage(back);
    },
  );

  await t.test(
    "the relay's handlers failing together: each request abandoned or dead-lettered with its own reason",
    async (t) => {
      const events = settlements(t);
      const k1 = newTenantKey();
      const tenant = await world.startTenant({
        keys: [{ kid: 'k1', key: k1 }],
        watchDeadLetters: true,
      });
      const n = 9;
      const ids = Array.from({ length: n }, (_, i) => `fail-${String(i)}`);
      /** fail-0, fail-3, …: permanent (dead-letter with their own reason); the rest transient. */
      const permanent = (id: string): boolean => Number(id.slice(5)) % 3 === 0;
      const waiting: { id: string; reject: (e: Error) => void }[] = [];
      const seen: string[] = [];
      const relay = world.startRelay({
        keys: [{ kid: 'k1', key: k1 }],
        work: { maxConcurrent: 16 },
        settlementOf: (e) =>
          e instanceof Error && e.message.startsWith('permanent ')
            ? { action: 'dead-letter', reason: e.message.slice(10), description: e.message }
            : { action: 'abandon' },
        handler: (_route, _body, meta) => {
          seen.push(`${meta.messageId}#${String(meta.deliveryCount)}`);
          if (meta.deliveryCount > 0) {
            return Promise.resolve({ status: 200, body: Buffer.from(`ok ${meta.messageId}`) });
          }
          return new Promise((_resolve, reject) => {
            waiting.push({ id: meta.messageId, reject });
            // Every first delivery fails in the same turn, once all of them are in.
            if (waiting.length === n) {
              for (const w of waiting) {
                w.reject(new Error(permanent(w.id) ? `permanent R-${w.id}` : 'transient'));
              }
            }
          });
        },
      });
      await relay.handshake.whenLive();
      const sent = await Promise.allSettled(
        ids.map((id) => tenant.sendWork('council-tax', Buffer.from(id), { messageId: id })),
      );
      // A reply goes out before its request is completed: wait for the completions.
      for (const id of ids.filter((x) => !permanent(x))) {
        await world.events.until(
          MESSAGING_CHANNELS.work,
          (e) => e.messageId === id && e.outcome === 'completed',
        );
      }
      for (const [i, id] of ids.entries()) {
        const s = sent[i];
        if (permanent(id)) {
          t.equal(s?.status, 'rejected', `${id}: the tenant hears it was dead-lettered`);
          t.same(
            outcomes(events, 'requests', [id])[id],
            { settled: ['deadlettered'], deadLetterReasons: [`R-${id}`] },
            `${id}: dead-lettered once, with its own reason`,
          );
        } else {
          t.equal(s?.status, 'fulfilled', `${id}: answered on its second delivery`);
          t.same(
            outcomes(events, 'requests', [id])[id],
            { settled: ['abandoned', 'completed'], deadLetterReasons: [] },
            `${id}: abandoned, then completed`,
          );
          t.ok(seen.includes(`${id}#1`), `${id}: the handler saw it again (delivery 1)`);
        }
      }
    },
  );
});
