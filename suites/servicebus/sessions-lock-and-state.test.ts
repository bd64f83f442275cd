// SB-019: sessions. In: a session-enabled queue with messages for sessions a and b. Out:
// acceptSession('a') receives only a's messages in order (session filter echoed, lock
// expiry from com.microsoft:locked-until-utc); a second acceptSession('a') is refused with
// SessionCannotBeLocked; session state round-trips; the session lock renews;
// acceptNextSession gets b; closing a receiver frees its session.
import { kase } from '../lib/case';
import { errorCode, FAST_FAIL, startSim } from './lib/sim';

void kase('SB-019', async (t) => {
  const { client } = await startSim(t, { queues: [{ name: 'sq', requiresSession: true }] });
  const sb = client({ clientOptions: FAST_FAIL });
  await sb.createSender('sq').sendMessages([
    { body: 'a1', sessionId: 'a' },
    { body: 'b1', sessionId: 'b' },
    { body: 'a2', sessionId: 'a' },
  ]);

  const a = await sb.acceptSession('sq', 'a');
  t.equal(a.sessionId, 'a');
  t.ok(a.sessionLockedUntilUtc.getTime() > Date.now(), 'locked-until-utc from the attach');
  const msgs = await a.receiveMessages(5, { maxWaitTimeInMs: 1000 });
  t.same(
    msgs.map((m): unknown => m.body),
    ['a1', 'a2'],
    'only session a, in order',
  );
  for (const m of msgs) await a.completeMessage(m);

  const err = await sb.acceptSession('sq', 'a').then(
    () => undefined,
    (e: unknown) => e,
  );
  t.equal(errorCode(err), 'SessionCannotBeLocked', 'a locked session cannot be accepted twice');

  await a.setSessionState(Buffer.from('step-2'));
  const state = (await a.getSessionState()) as Buffer;
  t.equal(Buffer.from(state).toString(), 'step-2', 'session state round-trips');
  const before = a.sessionLockedUntilUtc.getTime();
  const renewed = await a.renewSessionLock();
  t.ok(renewed.getTime() >= before, 'the session lock renews');

  const next = await sb.acceptNextSession('sq');
  t.equal(next.sessionId, 'b', 'acceptNextSession takes the session with messages');
  const [b1] = await next.receiveMessages(1, { maxWaitTimeInMs: 1000 });
  t.equal(b1?.body, 'b1');
  if (b1 !== undefined) await next.completeMessage(b1);

  await a.close();
  const again = await sb.acceptSession('sq', 'a');
  t.equal(
    Buffer.from((await again.getSessionState()) as Buffer).toString(),
    'step-2',
    'state outlives the lock',
  );
});
