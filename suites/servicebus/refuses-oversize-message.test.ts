// SB-010: oversize. In: a single message larger than the Standard profile's 256 KB, and an
// array whose messages cannot fit one batch. Out: the simulator rejects the transfer with
// amqp:link:message-size-exceeded (SDK MessageSizeExceeded); the SDK refuses the array itself
// from the max_message_size the attach announced; a message just under the limit goes through.
import { kase } from '../lib/case';
import { errorCode, FAST_FAIL, nextEvent, startSim } from './lib/sim';

void kase('SB-010', async (t) => {
  const { client, sim } = await startSim(t);
  const sb = client({ clientOptions: FAST_FAIL });
  const sender = sb.createSender('q1');
  const rejected = nextEvent<{ condition: string; outcome?: string }>(
    'sim:sb:transfer',
    (e) => e.outcome === 'rejected',
  );
  const err = await sender.sendMessages({ body: Buffer.alloc(300 * 1024, 1) }).then(
    () => undefined,
    (e: unknown) => e,
  );
  t.equal(errorCode(err), 'MessageSizeExceeded', 'one oversize message: MessageSizeExceeded');
  t.equal((await rejected).condition, 'amqp:link:message-size-exceeded');

  const err2 = await sender
    .sendMessages([{ body: Buffer.alloc(200 * 1024) }, { body: Buffer.alloc(200 * 1024) }])
    .then(
      () => undefined,
      (e: unknown) => e,
    );
  t.equal(errorCode(err2), 'MessageSizeExceeded', 'a batch over the link limit is refused');

  await sender.sendMessages({ body: Buffer.alloc(250 * 1024, 2) });
  t.equal(sim.engine.messages('q1').length, 1, 'a 250 KiB message is accepted');
});
