// SB-004: abandon. In: a peekLock message abandoned (with properties to modify). Out: it is
// delivered again at once with deliveryCount + 1, a new lock token, the same sequence number
// and the modified application properties.
import { kase } from '../lib/case';
import { startSim } from './lib/sim';

void kase('SB-004', async (t) => {
  const { client } = await startSim(t);
  const sb = client();
  await sb.createSender('q1').sendMessages({ body: 'retry me', applicationProperties: { a: 1 } });
  const receiver = sb.createReceiver('q1');

  const [first] = await receiver.receiveMessages(1, { maxWaitTimeInMs: 5000 });
  if (first === undefined) throw new Error('no first delivery');
  t.equal(first.deliveryCount, 0);
  await receiver.abandonMessage(first, { reason: 'transient' });

  const [second] = await receiver.receiveMessages(1, { maxWaitTimeInMs: 5000 });
  if (second === undefined) throw new Error('no redelivery');
  t.equal(second.body, 'retry me');
  t.equal(second.deliveryCount, 1, 'deliveryCount + 1 after abandon');
  t.equal(second.sequenceNumber?.toNumber(), first.sequenceNumber?.toNumber(), 'same message');
  t.not(second.lockToken, first.lockToken, 'a fresh lock');
  t.same(
    second.applicationProperties,
    { a: 1, reason: 'transient' },
    'modified properties applied',
  );

  await receiver.abandonMessage(second);
  const [third] = await receiver.receiveMessages(1, { maxWaitTimeInMs: 5000 });
  t.equal(third?.deliveryCount, 2, 'and + 1 again');
  if (third !== undefined) await receiver.completeMessage(third);
});
