// SB-014: renew-lock. In: renewMessageLock on a locked message ($management
// com.microsoft:renew-lock). Out: a new lockedUntilUtc later than the first; the message can
// still be completed; renewing the lock of a completed message fails with MessageLockLost.
import { kase } from '../lib/case';
import { errorCode, FAST_FAIL, nextEvent, startSim } from './lib/sim';

void kase('SB-014', async (t) => {
  const { client } = await startSim(t, { queues: [{ name: 'q1', lockDurationMs: 5000 }] });
  const sb = client({ clientOptions: FAST_FAIL });
  await sb.createSender('q1').sendMessages({ body: 'long job' });
  const receiver = sb.createReceiver('q1', { maxAutoLockRenewalDurationInMs: 0 });
  const [msg] = await receiver.receiveMessages(1, { maxWaitTimeInMs: 5000 });
  if (msg?.lockedUntilUtc === undefined) throw new Error('no message');
  const before = msg.lockedUntilUtc.getTime();

  const renewed = nextEvent<{ operation: string; status: number }>(
    'sim:sb:management',
    (e) => e.operation === 'com.microsoft:renew-lock',
  );
  const until = await receiver.renewMessageLock(msg);
  t.equal((await renewed).status, 200, '$management renew-lock answered 200');
  t.ok(until.getTime() >= before, 'the new expiry is not earlier than the old one');
  t.equal(msg.lockedUntilUtc.getTime(), until.getTime(), 'the SDK updates the message');
  await receiver.completeMessage(msg);

  const err = await receiver.renewMessageLock(msg).then(
    () => undefined,
    (e: unknown) => e,
  );
  t.equal(errorCode(err), 'MessageLockLost', 'a settled message has no lock to renew');
});
