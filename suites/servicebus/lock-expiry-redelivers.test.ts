// SB-011: lock expiry. In: a peekLock message never settled, on a queue with a 1 s lock (a
// relaxed limit) and the SDK's auto lock renewal off. Out: when the lock runs out the message
// is delivered again (to the receiver waiting with credit) with deliveryCount + 1 and a new
// lock token; the SDK's receive promise is what waits, no sleep.
import { kase } from '../lib/case';
import { startSim } from './lib/sim';

void kase('SB-011', async (t) => {
  const { client } = await startSim(t, {
    relaxedLimits: true,
    queues: [{ name: 'q1', lockDurationMs: 1000 }],
  });
  const sb = client();
  await sb.createSender('q1').sendMessages({ body: 'slow consumer' });
  const receiver = sb.createReceiver('q1', { maxAutoLockRenewalDurationInMs: 0 });
  const [first] = await receiver.receiveMessages(1, { maxWaitTimeInMs: 5000 });
  if (first?.lockedUntilUtc === undefined) throw new Error('no first delivery');
  const lockMs = first.lockedUntilUtc.getTime() - (first.enqueuedTimeUtc?.getTime() ?? 0);
  t.ok(lockMs > 0 && lockMs <= 1500, `the lock lasts about 1 s (${lockMs} ms)`);

  const [again] = await receiver.receiveMessages(1, { maxWaitTimeInMs: 10_000 });
  if (again === undefined) throw new Error('no redelivery after the lock expired');
  t.ok(Date.now() >= first.lockedUntilUtc.getTime() - 50, 'not before the lock expired');
  t.equal(again.body, 'slow consumer');
  t.equal(again.deliveryCount, 1, 'deliveryCount + 1 after lock expiry');
  t.not(again.lockToken, first.lockToken, 'a new lock');
  await receiver.completeMessage(again);
});
