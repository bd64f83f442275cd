// SB-017: competing receivers. In: 40 messages and two receivers on two connections that
// receive and complete concurrently. Out: every message is delivered to exactly one of them,
// once; together they get all 40.
import { kase } from '../lib/case';
import { startSim } from './lib/sim';

void kase('SB-017', async (t) => {
  const { client } = await startSim(t);
  const total = 40;
  await client()
    .createSender('q1')
    .sendMessages(Array.from({ length: total }, (_, i) => ({ body: i, messageId: `m-${i}` })));

  const consume = async (): Promise<string[]> => {
    const receiver = client().createReceiver('q1');
    const got: string[] = [];
    for (;;) {
      const msgs = await receiver.receiveMessages(3, { maxWaitTimeInMs: 400 });
      if (msgs.length === 0) return got;
      for (const m of msgs) {
        got.push(String(m.messageId));
        await receiver.completeMessage(m);
      }
    }
  };
  const [a, b] = await Promise.all([consume(), consume()]);
  const all = [...a, ...b];
  t.equal(all.length, total, 'no message is delivered twice');
  t.equal(new Set(all).size, total, 'every message is delivered');
  t.ok(a.length > 0 && b.length > 0, `both receivers got work (${a.length} / ${b.length})`);
  t.notOk(
    a.some((id) => b.includes(id)),
    'no message went to both receivers',
  );
});
