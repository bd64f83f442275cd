// SB-007: unknown entity. In: a send to and a receive from a queue that does not exist. Out:
// the SDK raises MessagingEntityNotFound (amqp:not-found, not retryable) with Azure's text.
import { kase } from '../lib/case';
import { errorCode, FAST_FAIL, nextEvent, startSim } from './lib/sim';

void kase('SB-007', async (t) => {
  const { client } = await startSim(t);
  const sb = client({ clientOptions: FAST_FAIL });
  const refused = nextEvent<{ condition: string; outcome?: string }>(
    'sim:sb:attach',
    (e) => e.outcome === 'refused',
  );
  const err = await sb
    .createSender('no-such-queue')
    .sendMessages({ body: 'x' })
    .then(
      () => undefined,
      (e: unknown) => e,
    );
  t.equal(errorCode(err), 'MessagingEntityNotFound', 'send: MessagingEntityNotFound');
  t.match((err as Error).message, /could not be found/);
  t.equal(
    (await refused).condition,
    'amqp:not-found',
    'the attach was refused with amqp:not-found',
  );

  const rerr = await sb
    .createReceiver('no-such-queue')
    .receiveMessages(1, { maxWaitTimeInMs: 1000 })
    .then(
      () => undefined,
      (e: unknown) => e,
    );
  t.equal(errorCode(rerr), 'MessagingEntityNotFound', 'receive: MessagingEntityNotFound');
});
