// A relay with a wrong key. In: HELLO sealed under kid k1 with a key that is not the tenant's.
// Out: the tenant verifies it (HS_E_AUTH in its event only) and answers exactly REJECT_MESSAGE
// on the relay's reply session; the relay raises RELAY_E_SESSION_REJECTED naming the key id and
// never opens a receiver on `requests`; the tenant refuses work (SIM_E_TENANT_NO_SESSION); a
// request put on the queue regardless stays there, never delivered.
import t from 'tap';
import { MESSAGING_CHANNELS } from '../../relay/src/messaging';
import { createHello, REJECT_MESSAGE } from '../../relay/src/protocol/handshake';
import { TENANT_CHANNELS } from '../../simulator/src/cloud/tenant';
import { codeOf, echoHandler, newTenantKey, rejectionOf, startWorld, TENANT } from './lib/world';

void t.test('a wrong key gets REJECT and the relay never receives work', async (t) => {
  const world = await startWorld(t);
  const tenant = await world.startTenant({ keys: [{ kid: 'k1', key: newTenantKey() }] });
  const handled: string[] = [];
  const relay = world.startRelay({
    keys: [{ kid: 'k1', key: newTenantKey() }],
    start: false,
    handler: async (route, body, meta) => {
      handled.push(meta.messageId);
      return echoHandler(route, body, meta);
    },
  });

  const error = await rejectionOf(relay.handshake.rehandshake());
  t.equal(codeOf(error), 'RELAY_E_SESSION_REJECTED', 'the relay says the handshake was refused');
  t.match((error as Error).message, /key id k1/, 'the local message names the key id');
  t.equal(relay.handshake.state, 'rejected');
  t.notOk(relay.handshake.isLive());
  t.match(world.events.of(TENANT_CHANNELS.hello), [
    { instanceId: 'relay-a', outcome: 'reject', code: 'HS_E_AUTH', kid: 'k1' },
  ]);
  t.match(
    world.events.of(MESSAGING_CHANNELS.session, (e) => e.state === 'rejected'),
    [{ instanceId: 'relay-a', kid: 'k1', code: 'RELAY_E_SESSION_REJECTED' }],
  );
  t.same(tenant.sessions(), [], 'the registry holds no session');

  // The tenant refuses to send work.
  const refused = await rejectionOf(tenant.sendWork('council-tax', Buffer.from('{"ref":1}')));
  t.equal(codeOf(refused), 'SIM_E_TENANT_NO_SESSION');

  // A request put on the queue by someone else stays there: nobody receives it.
  const root = world.client();
  await root.createSender('requests').sendMessages({
    body: Buffer.from('not sealed'),
    messageId: 'stray-1',
    subject: 'council-tax',
  });
  await relay.work?.settled();
  const [left] = await root.createReceiver('requests').peekMessages(1);
  t.equal(left?.messageId, 'stray-1', 'the request is still on the queue');
  t.equal(left?.deliveryCount, 0, 'never delivered');
  t.equal(relay.work?.receiving, false, 'the work receiver is not receiving');
  t.same(
    world.events.of('sim:sb:receiver-opened', (e) => e.entity === 'requests'),
    [],
    'no receiver was ever opened on requests',
  );
  t.same(world.events.of(MESSAGING_CHANNELS.work), [], 'no work event');
  t.same(handled, [], 'the handler never ran');

  // On the wire: the answer is exactly REJECT_MESSAGE, with nothing beside it.
  const probe = createHello({
    tenant: TENANT,
    kid: 'k1',
    key: newTenantKey(),
    relay: 'probe-1',
  });
  const replies = await world.client().acceptSession('handshake-replies', 'probe-1', {
    skipParsingBodyAsJson: true,
  });
  await root.createSender('handshake').sendMessages({
    body: Buffer.from(probe.message),
    messageId: 'probe-hello',
    replyTo: 'handshake-replies',
    replyToSessionId: 'probe-1',
  });
  const [answer] = await replies.receiveMessages(1, { maxWaitTimeInMs: 10_000 });
  if (answer === undefined) throw new Error('no answer to the probe');
  t.equal(Buffer.from(answer.body as Buffer).toString('utf8'), REJECT_MESSAGE, 'exactly REJECT');
  t.equal(answer.subject, 'reject');
  t.equal(answer.correlationId, 'probe-hello');
  t.equal(answer.applicationProperties, undefined, 'no application properties: no reason');
  await replies.completeMessage(answer);
});
