// SB-015: peek. In: peekMessages on a queue with messages (some locked) and on an empty one.
// Out: messages in sequence order from the given sequence number, without locks and without
// changing delivery counts; an empty entity gives [] (the 204 answer).
import { kase } from '../lib/case';
import { startSim } from './lib/sim';

void kase('SB-015', async (t) => {
  const { client } = await startSim(t, { queues: [{ name: 'q1' }, { name: 'empty' }] });
  const sb = client();
  await sb.createSender('q1').sendMessages([1, 2, 3, 4].map((n) => ({ body: n })));
  const locker = sb.createReceiver('q1');
  const [locked] = await locker.receiveMessages(1, { maxWaitTimeInMs: 5000 });
  t.equal(locked?.body, 1, 'the first message is locked by a receiver');

  const peeker = sb.createReceiver('q1');
  const all = await peeker.peekMessages(10);
  t.same(
    all.map((m): unknown => m.body),
    [1, 2, 3, 4],
    'peek includes locked messages, in order',
  );
  for (const m of all) {
    t.equal(m.lockToken, undefined, 'a peeked message has no lock token');
    t.equal(m.deliveryCount, 0, 'peek does not count as a delivery');
  }
  const third = all[2]?.sequenceNumber;
  if (third === undefined) throw new Error('no third message');
  const from3 = await sb.createReceiver('q1').peekMessages(2, { fromSequenceNumber: third });
  t.same(
    from3.map((m): unknown => m.body),
    [3, 4],
    'from a sequence number',
  );
  t.same(await sb.createReceiver('empty').peekMessages(5), [], 'an empty queue peeks []');
  const [next] = await sb.createReceiver('q1').receiveMessages(1, { maxWaitTimeInMs: 5000 });
  t.equal(next?.body, 2, 'peeking did not lock anything');
});
