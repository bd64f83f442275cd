// SB-027: time to live. In: a queue with deadLetteringOnMessageExpiration; a message with a
// 1 s timeToLive that nobody receives in time, and one without. Out: the expired message is
// never delivered from the queue; it appears in $DeadLetterQueue with reason
// TTLExpiredException; the other is delivered normally.
import { kase } from '../lib/case';
import { startSim } from './lib/sim';

void kase('SB-027', async (t) => {
  const { client } = await startSim(t, {
    relaxedLimits: true,
    queues: [{ name: 'q1', deadLetteringOnMessageExpiration: true }],
  });
  const sb = client();
  await sb
    .createSender('q1')
    .sendMessages({ body: 'short-lived', timeToLive: 1000, messageId: 'ttl-1' });

  const dlq = sb.createReceiver('q1', { subQueueType: 'deadLetter' });
  const [dead] = await dlq.receiveMessages(1, { maxWaitTimeInMs: 10_000 });
  if (dead === undefined) throw new Error('the expired message was not dead-lettered');
  t.equal(dead.messageId, 'ttl-1');
  t.equal(dead.deadLetterReason, 'TTLExpiredException');
  t.ok(
    dead.expiresAtUtc !== undefined && dead.expiresAtUtc.getTime() <= Date.now(),
    'it had expired',
  );
  await dlq.completeMessage(dead);

  await sb.createSender('q1').sendMessages({ body: 'long-lived' });
  const receiver = sb.createReceiver('q1');
  const msgs = await receiver.receiveMessages(5, { maxWaitTimeInMs: 500 });
  t.same(
    msgs.map((m): unknown => m.body),
    ['long-lived'],
    'only the unexpired message is delivered from the queue',
  );
  for (const m of msgs) await receiver.completeMessage(m);
});
