// A namespace set up wrongly for the tenant driver. In: a `replies` queue created without
// sessions. Out: startTenantDriver fails with SIM_E_TENANT_TRANSPORT, a message that names the
// entities and the session requirement, and no key or signature in it.
import t from 'tap';
import { codeOf, newTenantKey, rejectionOf, startWorld } from './lib/world';

void t.test('the tenant driver refuses to start when replies is not session-enabled', async (t) => {
  const world = await startWorld(t, {
    queues: [
      { name: 'handshake' },
      { name: 'handshake-replies', requiresSession: true },
      { name: 'requests' },
      { name: 'replies' },
    ],
  });
  const error = await rejectionOf(
    world.startTenant({ keys: [{ kid: 'k1', key: newTenantKey() }] }),
  );
  t.equal(codeOf(error), 'SIM_E_TENANT_TRANSPORT');
  const message = (error as Error).message;
  t.match(message, /sessions on handshake-replies and replies/);
  t.notMatch(message, /SharedAccessSignature|sig=/, 'no token in the message');
});
