// SB-030: the engine-level interleaving property (simulator/test/servicebus-engine-property)
// again, but driven through the unmodified @azure/service-bus SDK over AMQP. In: fast-check
// lists of send / receive (two competing peekLock receivers) / complete / abandon / lock
// expiry over a small queue with maxDeliveryCount 3. Lock expiry is the engine's own
// release path, triggered at once (forceLockLoss) instead of by waiting out a lock. Out:
// every message sent is, in the end, completed exactly once or dead-lettered exactly once
// (reason MaxDeliveryCountExceeded), never both, and each message's deliveryCount as the SDK
// sees it starts at 0 and grows by exactly one per redelivery.
import fc from 'fast-check';
import type { ServiceBusReceivedMessage, ServiceBusReceiver } from '@azure/service-bus';
import { kase } from '../lib/case';
import { checkProperty } from '../lib/property';
import { startSim } from './lib/sim';

const MAX_DELIVERY = 3;
/** SDK round trips are ms, not µs: fewer runs than the engine property's 1,000, longer lists. */
const RUNS = 250;
/** Bound on any one receive: the model only receives when a message is ready. */
const RECEIVE_WAIT_MS = 10_000;

type Op =
  | { readonly t: 'send'; readonly n: number }
  | { readonly t: 'receive'; readonly r: number }
  | { readonly t: 'complete' | 'abandon' | 'expire'; readonly i: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ t: fc.constant('send' as const), n: fc.integer({ min: 1, max: 3 }) }),
  fc.record({ t: fc.constant('receive' as const), r: fc.integer({ min: 0, max: 1 }) }),
  fc.record({ t: fc.constant('complete' as const), i: fc.nat() }),
  fc.record({ t: fc.constant('abandon' as const), i: fc.nat() }),
  fc.record({ t: fc.constant('expire' as const), i: fc.nat() }),
);

interface Held {
  readonly message: ServiceBusReceivedMessage;
  readonly receiver: ServiceBusReceiver;
}

void kase('SB-030', async (t) => {
  const { sim, client } = await startSim(t, {
    queues: [{ name: 'q', maxDeliveryCount: MAX_DELIVERY }],
  });
  const sb = client();
  const sender = sb.createSender('q');
  let runNo = 0;

  const property = fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 30 }), async (ops) => {
    runNo += 1;
    sim.engine.purge('q');
    sim.engine.purge('q/$DeadLetterQueue');
    const receivers = [0, 1].map(() =>
      sb.createReceiver('q', { receiveMode: 'peekLock', maxAutoLockRenewalDurationInMs: 0 }),
    );
    const problems: string[] = [];
    const sent: string[] = [];
    const counts = new Map<string, number[]>();
    const completed = new Map<string, number>();
    const held: Held[] = [];
    let ready = 0;
    let modelDeadLettered = 0;

    const receive = async (receiver: ServiceBusReceiver): Promise<void> => {
      const [m] = await receiver.receiveMessages(1, { maxWaitTimeInMs: RECEIVE_WAIT_MS });
      if (m === undefined) {
        problems.push(`a message was ready but none arrived within ${RECEIVE_WAIT_MS} ms`);
        return;
      }
      ready -= 1;
      const id = String(m.messageId);
      const seen = counts.get(id) ?? [];
      seen.push(m.deliveryCount ?? -1);
      counts.set(id, seen);
      held.push({ message: m, receiver });
    };
    // After an abandon or a lock expiry the model counts the failed delivery.
    const redeliver = (id: string): void => {
      const failures = counts.get(id)?.length ?? 0;
      if (failures >= MAX_DELIVERY) modelDeadLettered += 1;
      else ready += 1;
    };

    try {
      for (const o of ops) {
        if (problems.length > 0) break;
        if (o.t === 'send') {
          const batch = [];
          for (let k = 0; k < o.n; k++) {
            const id = `r${runNo}-m${sent.length}`;
            sent.push(id);
            batch.push({ body: id, messageId: id });
          }
          await sender.sendMessages(batch);
          ready += o.n;
        } else if (o.t === 'receive') {
          const receiver = receivers[o.r];
          if (ready > 0 && receiver !== undefined) await receive(receiver);
        } else if (held.length > 0) {
          const [h] = held.splice(o.i % held.length, 1);
          if (h === undefined) continue;
          const id = String(h.message.messageId);
          if (o.t === 'complete') {
            await h.receiver.completeMessage(h.message);
            completed.set(id, (completed.get(id) ?? 0) + 1);
          } else if (o.t === 'abandon') {
            await h.receiver.abandonMessage(h.message);
            redeliver(id);
          } else {
            const lost = sim.engine.forceLockLoss(String(h.message.lockToken));
            if (lost !== 1) problems.push(`lock expiry of ${id} released ${lost} locks`);
            redeliver(id);
          }
        }
      }
      // Drain: settle what is held, then receive and complete whatever is still ready.
      for (const h of held.splice(0)) {
        await h.receiver.completeMessage(h.message);
        const id = String(h.message.messageId);
        completed.set(id, (completed.get(id) ?? 0) + 1);
      }
      while (ready > 0 && problems.length === 0) {
        const receiver = receivers[0];
        if (receiver === undefined) break;
        await receive(receiver);
        for (const h of held.splice(0)) {
          await h.receiver.completeMessage(h.message);
          const id = String(h.message.messageId);
          completed.set(id, (completed.get(id) ?? 0) + 1);
        }
      }

      // The dead-letter queue, read through the SDK: exactly the model's count, each once.
      const dlq = sb.createReceiver('q', { subQueueType: 'deadLetter', receiveMode: 'peekLock' });
      const deadLettered = new Map<string, number>();
      for (let k = 0; k < modelDeadLettered && problems.length === 0; k++) {
        const [m] = await dlq.receiveMessages(1, { maxWaitTimeInMs: RECEIVE_WAIT_MS });
        if (m === undefined) {
          problems.push(`expected ${modelDeadLettered} dead-lettered, got ${k}`);
          break;
        }
        const id = String(m.messageId);
        deadLettered.set(id, (deadLettered.get(id) ?? 0) + 1);
        if (m.deadLetterReason !== 'MaxDeliveryCountExceeded') {
          problems.push(`${id} dead-lettered with reason ${String(m.deadLetterReason)}`);
        }
        await dlq.completeMessage(m);
      }
      await dlq.close();

      const left = sim.engine.listEntities().find((e) => e.path === 'q');
      const total = left === undefined ? -1 : left.active + left.locked + left.deadLettered;
      if (total !== 0) {
        problems.push(`messages left behind: ${JSON.stringify(left)}`);
      }
      for (const id of sent) {
        const c = completed.get(id) ?? 0;
        const d = deadLettered.get(id) ?? 0;
        if (c + d !== 1) problems.push(`${id}: completed ${c} times, dead-lettered ${d} times`);
        const seen = counts.get(id) ?? [];
        if (seen.some((count, k) => count !== k)) {
          problems.push(`${id}: deliveryCount sequence ${seen.join(',')}`);
        }
      }
    } finally {
      await Promise.all(receivers.map((r) => r.close()));
    }
    if (problems.length > 0) throw new Error(problems.join('; '));
  });
  await checkProperty(t, property, RUNS);
});
