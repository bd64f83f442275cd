// SB-029: long-lived receivers. In: 3,000 messages received in peekLock and completed on one
// link (more than the 2,048 unsettled deliveries an AMQP session buffer holds). Out: every
// message arrives and is completed: the simulator settles each delivery on both ends when it
// answers the SDK's disposition, so the link never stalls.
import { kase } from '../lib/case';
import { startSim } from './lib/sim';

void kase('SB-029', async (t) => {
  const { client, sim } = await startSim(t);
  const sb = client();
  const sender = sb.createSender('q1');
  const total = 3000;
  let sent = 0;
  while (sent < total) {
    const batch = await sender.createMessageBatch();
    while (sent < total && batch.tryAddMessage({ body: sent })) sent++;
    await sender.sendMessages(batch);
  }
  const receiver = sb.createReceiver('q1');
  const seen = new Set<number>();
  await new Promise<void>((resolve, reject) => {
    const sub = receiver.subscribe(
      {
        processMessage: async (m) => {
          seen.add(m.body as number);
          await receiver.completeMessage(m);
          if (seen.size === total) {
            await sub.close();
            resolve();
          }
        },
        processError: async (args) => {
          await sub.close();
          reject(args.error);
        },
      },
      { maxConcurrentCalls: 32, autoCompleteMessages: false },
    );
  });
  t.equal(seen.size, total, 'every message arrived once');
  t.equal(sim.engine.messages('q1').length, 0, 'and was completed');
});
