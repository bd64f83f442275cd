// SB-026: duplicate detection. In: a queue with a duplicate detection window; the same
// MessageId sent twice (and once more in a batch), plus a different one. Out: every send
// succeeds, but only one copy of each MessageId is enqueued.
import { kase } from '../lib/case';
import { startSim } from './lib/sim';

void kase('SB-026', async (t) => {
  const { client } = await startSim(t, {
    queues: [{ name: 'q1', duplicateDetectionWindowMs: 600_000 }],
  });
  const sb = client();
  const sender = sb.createSender('q1');
  await sender.sendMessages({ body: 'first', messageId: 'order-1' });
  await sender.sendMessages({ body: 'again', messageId: 'order-1' });
  await sender.sendMessages([
    { body: 'batch copy', messageId: 'order-1' },
    { body: 'other', messageId: 'order-2' },
  ]);
  const receiver = sb.createReceiver('q1', { receiveMode: 'receiveAndDelete' });
  const msgs = await receiver.receiveMessages(10, { maxWaitTimeInMs: 500 });
  t.same(
    msgs.map((m): unknown[] => [m.messageId, m.body]),
    [
      ['order-1', 'first'],
      ['order-2', 'other'],
    ],
    'duplicates are accepted but not enqueued',
  );
});
