// SB-003: receiveAndDelete. In: messages received with receiveMode receiveAndDelete. Out:
// they arrive pre-settled (no lock token) and are gone from the queue at once: a peek and a
// second receiver find nothing.
import { kase } from '../lib/case';
import { startSim } from './lib/sim';

void kase('SB-003', async (t) => {
  const { client } = await startSim(t);
  const sb = client();
  await sb.createSender('q1').sendMessages([{ body: 'one' }, { body: 'two' }]);

  const receiver = sb.createReceiver('q1', { receiveMode: 'receiveAndDelete' });
  const msgs = await receiver.receiveMessages(2, { maxWaitTimeInMs: 5000 });
  t.same(
    msgs.map((m): unknown => m.body),
    ['one', 'two'],
  );
  for (const m of msgs) t.equal(m.lockToken, undefined, 'no lock token in receiveAndDelete');

  const peeked = await sb.createReceiver('q1').peekMessages(10);
  t.equal(peeked.length, 0, 'nothing is left to peek');
  const again = await sb.createReceiver('q1').receiveMessages(1, { maxWaitTimeInMs: 200 });
  t.equal(again.length, 0, 'nothing is left to receive');
});
