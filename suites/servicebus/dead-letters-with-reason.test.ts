// SB-005: dead-letter. In: a peekLock message dead-lettered with a reason and description.
// Out: it leaves the queue and is received from q1/$DeadLetterQueue (subQueueType
// deadLetter) with deadLetterReason, deadLetterErrorDescription and deadLetterSource.
import { kase } from '../lib/case';
import { startSim } from './lib/sim';

void kase('SB-005', async (t) => {
  const { client } = await startSim(t);
  const sb = client();
  await sb.createSender('q1').sendMessages({ body: { form: 17 }, messageId: 'poison-1' });
  const receiver = sb.createReceiver('q1');
  const [msg] = await receiver.receiveMessages(1, { maxWaitTimeInMs: 5000 });
  if (msg === undefined) throw new Error('no message');
  await receiver.deadLetterMessage(msg, {
    deadLetterReason: 'SchemaInvalid',
    deadLetterErrorDescription: 'field ctaxRef is missing',
  });

  const left = await receiver.receiveMessages(1, { maxWaitTimeInMs: 200 });
  t.equal(left.length, 0, 'the message left the queue');

  const dlq = sb.createReceiver('q1', { subQueueType: 'deadLetter' });
  const [dead] = await dlq.receiveMessages(1, { maxWaitTimeInMs: 5000 });
  if (dead === undefined) throw new Error('nothing in the dead-letter queue');
  t.same(dead.body, { form: 17 });
  t.equal(dead.messageId, 'poison-1');
  t.equal(dead.deadLetterReason, 'SchemaInvalid');
  t.equal(dead.deadLetterErrorDescription, 'field ctaxRef is missing');
  t.equal(
    dead.deadLetterSource,
    undefined,
    'a queue DLQ names no source (only auto-forwarded ones do)',
  );
  await dlq.completeMessage(dead);
  const empty = await dlq.receiveMessages(1, { maxWaitTimeInMs: 200 });
  t.equal(empty.length, 0, 'completing removes it from the dead-letter queue');
});
