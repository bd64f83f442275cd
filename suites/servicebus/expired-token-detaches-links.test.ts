// SB-024: token expiry. In: a client whose connection string carries a SharedAccessSignature
// that expires ~2 s after it is made (the SDK cannot renew it), with a subscribed receiver.
// Out: messages flow while the token is valid; at its expiry the simulator detaches the link
// with amqp:unauthorized-access (as Azure does), and the SDK reports UnauthorizedAccess to
// processError. Waits on events and SDK callbacks, never a fixed sleep.
import type { ServiceBusError } from '@azure/service-bus';
import { ServiceBusClient } from '@azure/service-bus';
import { createSasToken } from '../../relay/src/protocol/sas';
import { kase } from '../lib/case';
import { nextEvent, ROOT_KEY_NAME, startSim } from './lib/sim';

void kase('SB-024', async (t) => {
  const { sim, keys } = await startSim(t);
  const port = sim.listeners.plain?.port ?? 0;
  const token = createSasToken({
    resource: `sb://localhost:${port}/`,
    keyName: ROOT_KEY_NAME,
    key: keys[ROOT_KEY_NAME] ?? '',
    expiresAt: Math.floor(Date.now() / 1000) + 2,
  });
  const sb = new ServiceBusClient(
    `Endpoint=sb://localhost:${port}/;SharedAccessSignature=${token};UseDevelopmentEmulator=true`,
    { retryOptions: { maxRetries: 0, timeoutInMs: 5000 } },
  );
  t.teardown(() => sb.close());

  await sb.createSender('q1').sendMessages({ body: 'before expiry' });
  const receiver = sb.createReceiver('q1');
  const expired = nextEvent<{ decision: string; path: string }>(
    'sim:sb:cbs',
    (e) => e.decision === 'expired',
  );
  const detached = nextEvent<{ reason: string; role: string }>(
    'sim:sb:detach',
    (e) => e.role === 'receive' && e.reason === 'amqp:unauthorized-access',
  );
  const firstError = new Promise<ServiceBusError>((resolveError) => {
    let gotMessage = false;
    const sub = receiver.subscribe(
      {
        processMessage: async (m) => {
          gotMessage = true;
          t.equal(m.body, 'before expiry', 'a message flows while the token is valid');
          await receiver.completeMessage(m);
        },
        processError: async (args) => {
          if (!gotMessage) return;
          await sub.close();
          resolveError(args.error as ServiceBusError);
        },
      },
      { autoCompleteMessages: false },
    );
  });
  t.equal((await expired).path, 'q1', 'the grant for q1 expired');
  t.ok(await detached, 'the receiver link was detached with amqp:unauthorized-access');
  const err = await firstError;
  t.equal(err.code, 'UnauthorizedAccess', 'the SDK reports UnauthorizedAccess');
});
