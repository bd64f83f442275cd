// SB-006: defer. In: a peekLock message deferred. Out: normal receives skip it; peek shows it
// as deferred; receiveDeferredMessages by sequence number returns it locked, and completing
// it (over $management update-disposition) removes it.
import { kase } from '../lib/case';
import { startSim } from './lib/sim';

void kase('SB-006', async (t) => {
  const { client } = await startSim(t);
  const sb = client();
  await sb.createSender('q1').sendMessages([{ body: 'later' }, { body: 'now' }]);
  const receiver = sb.createReceiver('q1');
  const [first] = await receiver.receiveMessages(1, { maxWaitTimeInMs: 5000 });
  if (first?.sequenceNumber === undefined) throw new Error('no message');
  t.equal(first.body, 'later');
  await receiver.deferMessage(first);

  const [next] = await receiver.receiveMessages(1, { maxWaitTimeInMs: 5000 });
  t.equal(next?.body, 'now', 'the deferred message is skipped');
  if (next !== undefined) await receiver.completeMessage(next);

  const peeked = await sb.createReceiver('q1').peekMessages(5);
  t.same(
    peeked.map((m): unknown[] => [m.body, m.state]),
    [['later', 'deferred']],
    'peek shows it as deferred',
  );

  const [deferred] = await receiver.receiveDeferredMessages(first.sequenceNumber);
  if (deferred === undefined) throw new Error('receiveDeferredMessages returned nothing');
  t.equal(deferred.body, 'later');
  t.equal(deferred.state, 'deferred');
  t.ok(deferred.lockToken, 'it is locked');
  await receiver.completeMessage(deferred);
  const none = await sb.createReceiver('q1').peekMessages(5);
  t.equal(none.length, 0, 'completed through $management');
});
