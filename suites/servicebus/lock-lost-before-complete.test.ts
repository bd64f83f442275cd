// SB-012: settling a message whose lock is gone. In: a peekLock message whose lock the
// simulator drops (fault forceLockLoss, the same path as an expiry), then complete. Out: the
// disposition is answered with com.microsoft:message-lock-lost and the SDK raises
// MessageLockLost; the message is delivered again with deliveryCount + 1.
import { kase } from '../lib/case';
import { errorCode, FAST_FAIL, startSim } from './lib/sim';

void kase('SB-012', async (t) => {
  const { client, sim } = await startSim(t);
  const sb = client({ clientOptions: FAST_FAIL });
  await sb.createSender('q1').sendMessages({ body: 'held too long' });
  const receiver = sb.createReceiver('q1', { maxAutoLockRenewalDurationInMs: 0 });
  const [msg] = await receiver.receiveMessages(1, { maxWaitTimeInMs: 5000 });
  if (msg?.lockToken === undefined) throw new Error('no message');

  t.equal(sim.engine.forceLockLoss(msg.lockToken), 1, 'the lock is dropped');
  const err = await receiver.completeMessage(msg).then(
    () => undefined,
    (e: unknown) => e,
  );
  t.equal(errorCode(err), 'MessageLockLost', 'complete after the lock was lost: MessageLockLost');

  const [again] = await receiver.receiveMessages(1, { maxWaitTimeInMs: 5000 });
  t.equal(again?.deliveryCount, 1, 'redelivered with deliveryCount + 1');
  if (again !== undefined) await receiver.completeMessage(again);
});
