// SB-002: batch send. In: sendMessages([...]) and a batch from createMessageBatch (one
// transfer, message_format 0x80013700). Out: every message of the batch is enqueued, in
// order, each with its own sequence number and body.
import { kase } from '../lib/case';
import { nextEvent, startSim } from './lib/sim';

void kase('SB-002', async (t) => {
  const { client } = await startSim(t);
  const sb = client();
  const sender = sb.createSender('q1');
  const transfer = nextEvent<{ direction: string; messages: number }>(
    'sim:sb:transfer',
    (e) => e.direction === 'in',
  );
  await sender.sendMessages([1, 2, 3].map((n) => ({ body: `array-${n}` })));
  t.equal((await transfer).messages, 3, 'an array goes as one batch transfer of three messages');

  const batch = await sender.createMessageBatch();
  t.ok(
    batch.maxSizeInBytes > 0 && batch.maxSizeInBytes <= 262_144,
    'the batch is sized from max_message_size',
  );
  for (let n = 1; n <= 50; n++)
    t.ok(batch.tryAddMessage({ body: `batch-${n}` }), `message ${n} fits`);
  await sender.sendMessages(batch);

  const receiver = sb.createReceiver('q1', { receiveMode: 'receiveAndDelete' });
  const got: string[] = [];
  const seqs: number[] = [];
  while (got.length < 53) {
    const msgs = await receiver.receiveMessages(53 - got.length, { maxWaitTimeInMs: 2000 });
    if (msgs.length === 0) break;
    for (const m of msgs) {
      got.push(String(m.body));
      seqs.push(m.sequenceNumber?.toNumber() ?? -1);
    }
  }
  t.same(got, [
    ...[1, 2, 3].map((n) => `array-${n}`),
    ...Array.from({ length: 50 }, (_, i) => `batch-${i + 1}`),
  ]);
  t.same(
    seqs,
    Array.from({ length: 53 }, (_, i) => i + 1),
    'sequence numbers follow the batch order',
  );
});
