// SB-008: wrong key. In: a client whose connection string has a key the namespace does not
// hold (and one whose key name is unknown). Out: CBS put-token answers 401 and the SDK raises
// UnauthorizedAccess; no message is enqueued.
import { kase } from '../lib/case';
import { errorCode, FAST_FAIL, newKey, nextEvent, startSim } from './lib/sim';

void kase('SB-008', async (t) => {
  const { client, sim } = await startSim(t);
  const decision = nextEvent<{ status: number; reason: string }>('sim:sb:cbs');
  const bad = client({ key: newKey(), clientOptions: FAST_FAIL });
  const err = await bad
    .createSender('q1')
    .sendMessages({ body: 'x' })
    .then(
      () => undefined,
      (e: unknown) => e,
    );
  t.equal(errorCode(err), 'UnauthorizedAccess', 'wrong key: UnauthorizedAccess');
  const d = await decision;
  t.equal(d.status, 401);
  t.equal(d.reason, 'SAS_E_SIGNATURE', 'the decision names the SAS reason');
  t.notOk(JSON.stringify(d).includes('sig='), 'the event carries no token');

  const unknown = client({ keyName: 'nobody', key: newKey(), clientOptions: FAST_FAIL });
  const err2 = await unknown
    .createReceiver('q1')
    .receiveMessages(1, { maxWaitTimeInMs: 1000 })
    .then(
      () => undefined,
      (e: unknown) => e,
    );
  t.equal(errorCode(err2), 'UnauthorizedAccess', 'unknown key name: UnauthorizedAccess');
  t.equal(sim.engine.messages('q1').length, 0, 'nothing was enqueued');
});
