// SB-001: single send, peekLock receive, complete. In: one message sent through the real SDK
// on the plain listener. Out: it is received locked (lock token, lockedUntilUtc, sequence
// number, deliveryCount 0) with its body and properties intact; complete removes it.
import { kase } from '../lib/case';
import { startSim } from './lib/sim';

void kase('SB-001', async (t) => {
  const { client } = await startSim(t);
  const sb = client();
  const sender = sb.createSender('q1');
  await sender.sendMessages({
    body: { council: 42, form: 'council-tax' },
    messageId: 'm-1',
    subject: 'council-tax',
    contentType: 'application/json',
    correlationId: 'corr-1',
    applicationProperties: { route: 'ctax', attempt: 1 },
  });

  const receiver = sb.createReceiver('q1');
  const [msg, ...rest] = await receiver.receiveMessages(1, { maxWaitTimeInMs: 5000 });
  t.equal(rest.length, 0, 'exactly one message');
  t.ok(msg, 'the message arrives');
  if (msg === undefined) return;
  t.same(msg.body, { council: 42, form: 'council-tax' }, 'the JSON body is intact');
  t.equal(msg.messageId, 'm-1');
  t.equal(msg.subject, 'council-tax');
  t.equal(msg.contentType, 'application/json');
  t.equal(msg.correlationId, 'corr-1');
  t.same(msg.applicationProperties, { route: 'ctax', attempt: 1 });
  t.equal(msg.deliveryCount, 0, 'first delivery: deliveryCount 0');
  t.match(msg.lockToken, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  t.ok(msg.lockedUntilUtc instanceof Date && msg.lockedUntilUtc.getTime() > Date.now());
  t.equal(msg.sequenceNumber?.toNumber(), 1, 'the first sequence number is 1');
  t.ok(msg.enqueuedTimeUtc instanceof Date);
  t.equal(msg.state, 'active');

  await receiver.completeMessage(msg);
  const after = await receiver.receiveMessages(1, { maxWaitTimeInMs: 200 });
  t.equal(after.length, 0, 'a completed message is gone');
});
