// SB-018: scheduled messages. In: scheduleMessages for a time ~1 s ahead (two messages), then
// cancelScheduledMessages for one of them. Out: both are peeked as scheduled at once with
// their scheduled time; the cancelled one never arrives; the other arrives once its time has
// come (the SDK's receive waits, no sleep), active, with its scheduledEnqueueTimeUtc.
import { kase } from '../lib/case';
import { startSim } from './lib/sim';

void kase('SB-018', async (t) => {
  const { client } = await startSim(t);
  const sb = client();
  const sender = sb.createSender('q1');
  const at = new Date(Date.now() + 1000);
  const [keep, cancel] = await sender.scheduleMessages([{ body: 'keep' }, { body: 'cancel' }], at);
  if (keep === undefined || cancel === undefined) throw new Error('no sequence numbers');
  t.ok(keep.lessThan(cancel), 'one sequence number per message, in order');

  const peeked = await sb.createReceiver('q1').peekMessages(5);
  t.same(
    peeked.map((m): unknown[] => [m.body, m.state, m.scheduledEnqueueTimeUtc?.getTime()]),
    [
      ['keep', 'scheduled', at.getTime()],
      ['cancel', 'scheduled', at.getTime()],
    ],
    'peek shows both as scheduled',
  );
  await sender.cancelScheduledMessages(cancel);

  const receiver = sb.createReceiver('q1');
  const [msg] = await receiver.receiveMessages(2, { maxWaitTimeInMs: 10_000 });
  t.ok(Date.now() >= at.getTime() - 50, 'not delivered before its time');
  t.equal(msg?.body, 'keep');
  t.equal(msg?.state, 'active');
  t.equal(msg?.scheduledEnqueueTimeUtc?.getTime(), at.getTime());
  if (msg !== undefined) await receiver.completeMessage(msg);
  const rest = await receiver.receiveMessages(1, { maxWaitTimeInMs: 300 });
  t.same(rest, [], 'the cancelled message never arrives');
});
