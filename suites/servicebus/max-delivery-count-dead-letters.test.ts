// SB-013: max delivery count. In: a queue with maxDeliveryCount 3 and a message abandoned on
// every delivery. Out: after the third failed delivery it is moved to $DeadLetterQueue with
// DeadLetterReason MaxDeliveryCountExceeded; the queue is empty.
import { kase } from '../lib/case';
import { startSim } from './lib/sim';

void kase('SB-013', async (t) => {
  const { client } = await startSim(t, { queues: [{ name: 'q1', maxDeliveryCount: 3 }] });
  const sb = client();
  await sb.createSender('q1').sendMessages({ body: 'poison', messageId: 'p-1' });
  const receiver = sb.createReceiver('q1');
  const counts: number[] = [];
  for (;;) {
    const [msg] = await receiver.receiveMessages(1, { maxWaitTimeInMs: 500 });
    if (msg === undefined) break;
    counts.push(msg.deliveryCount ?? -1);
    await receiver.abandonMessage(msg);
  }
  t.same(counts, [0, 1, 2], 'delivered maxDeliveryCount times');

  const dlq = sb.createReceiver('q1', { subQueueType: 'deadLetter' });
  const [dead] = await dlq.receiveMessages(1, { maxWaitTimeInMs: 5000 });
  if (dead === undefined) throw new Error('nothing in the dead-letter queue');
  t.equal(dead.messageId, 'p-1');
  t.equal(dead.deadLetterReason, 'MaxDeliveryCountExceeded');
  t.ok(dead.deadLetterErrorDescription, 'with a description');
  await dlq.completeMessage(dead);
});
