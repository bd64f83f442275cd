// SB-009: rights. In: a client with a Listen-only key sending, and one with a Send-only key
// receiving. Out: the links are refused with amqp:unauthorized-access and the SDK raises
// UnauthorizedAccess; the Listen key can still receive and the Send key can still send.
import { kase } from '../lib/case';
import { errorCode, FAST_FAIL, LISTEN_KEY_NAME, SEND_KEY_NAME, startSim } from './lib/sim';

void kase('SB-009', async (t) => {
  const { client } = await startSim(t);
  const listen = client({ keyName: LISTEN_KEY_NAME, clientOptions: FAST_FAIL });
  const send = client({ keyName: SEND_KEY_NAME, clientOptions: FAST_FAIL });

  const err = await listen
    .createSender('q1')
    .sendMessages({ body: 'x' })
    .then(
      () => undefined,
      (e: unknown) => e,
    );
  t.equal(errorCode(err), 'UnauthorizedAccess', 'Listen-only key cannot send');
  t.match((err as Error).message, /Send/);

  const err2 = await send
    .createReceiver('q1')
    .receiveMessages(1, { maxWaitTimeInMs: 1000 })
    .then(
      () => undefined,
      (e: unknown) => e,
    );
  t.equal(errorCode(err2), 'UnauthorizedAccess', 'Send-only key cannot receive');

  await send.createSender('q1').sendMessages({ body: 'allowed' });
  const [msg] = await listen.createReceiver('q1').receiveMessages(1, { maxWaitTimeInMs: 5000 });
  t.equal(msg?.body, 'allowed', 'each key keeps the right it has');
});
