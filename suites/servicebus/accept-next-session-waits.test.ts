// SB-025: accept-next-session when no session is free. In: acceptNextSession on an empty
// session queue, then a message for session s1 sent while it waits; and acceptNextSession
// with a short timeout when nothing ever arrives. Out: the simulator holds the attach until a
// session has messages and then answers with that session; with nothing to give it answers
// at the client's timeout with com.microsoft:timeout (the SDK raises ServiceTimeout).
import { kase } from '../lib/case';
import { errorCode, nextEvent, startSim } from './lib/sim';

void kase('SB-025', async (t) => {
  const { client } = await startSim(t, { queues: [{ name: 'sq', requiresSession: true }] });
  const sb = client({ clientOptions: { retryOptions: { maxRetries: 0, timeoutInMs: 1500 } } });

  const held = nextEvent('sim:sb:attach', (e: { outcome?: string }) => e.outcome === 'held');
  const accepted = sb.acceptNextSession('sq');
  await held;
  await sb.createSender('sq').sendMessages({ body: 'late', sessionId: 's1' });
  const receiver = await accepted;
  t.equal(receiver.sessionId, 's1', 'the held attach is answered with the session that arrived');
  const [msg] = await receiver.receiveMessages(1, { maxWaitTimeInMs: 2000 });
  t.equal(msg?.body, 'late');
  if (msg !== undefined) await receiver.completeMessage(msg);
  await receiver.close();

  const err = await sb.acceptNextSession('sq').then(
    () => undefined,
    (e: unknown) => e,
  );
  t.equal(errorCode(err), 'ServiceTimeout', 'no session at all: ServiceTimeout');
});
