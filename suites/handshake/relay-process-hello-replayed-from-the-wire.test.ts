// HS-029 at system level: a HELLO captured from the wire and replayed. In: the world with its
// tenant driver stopped, the reference relay as a child process (its HELLO waits on the
// `handshake` queue and is peeked there, as an eavesdropper with read access would), then a
// tenant driver with the same key. Out: the relay gets WELCOME and keeps its session; the same
// HELLO body sent again under another reply session gets exactly REJECT_MESSAGE, and the
// tenant's event says HS_E_REPLAY.
import diagnostics from 'node:diagnostics_channel';
import { ServiceBusClient } from '@azure/service-bus';
import { REJECT_MESSAGE } from '../../relay/src/protocol/handshake';
import { startTenantDriver, TENANT_CHANNELS } from '../../simulator/src/cloud/tenant';
import { RELAY_ENTITIES } from '../../simulator/src/world/relay-file';
import { kase } from '../lib/case';
import { waitForTenantDriverUp } from '../sec/lib/tapped-world';
import { isEvent } from '../lib/relay-child';
import { startRelayWorld } from '../lib/relay-world';

void kase('HS-029', async (t) => {
  const rw = await startRelayWorld(t);
  const { world } = rw;
  const plain = world.serviceBus?.listeners.plain;
  const tenantCfg = world.config.tenant;
  const tenantRule = world.config.serviceBus?.authorizationRules.find(
    (r) => r.keyName === 'tenant',
  );
  if (
    world.tenant === undefined ||
    plain === undefined ||
    tenantCfg === undefined ||
    tenantRule === undefined
  ) {
    throw new Error('the world has no tenant, plain listener or tenant rule');
  }
  const connectionString = `Endpoint=sb://${plain.host}:${String(plain.port)};SharedAccessKeyName=${tenantRule.keyName};SharedAccessKey=${tenantRule.key};UseDevelopmentEmulator=true`;
  const sb = new ServiceBusClient(connectionString);
  t.teardown(() => sb.close());
  // Closed only once its receivers are up: closed earlier, the SDK keeps a retry timer that
  // holds the test process up for about a minute.
  await waitForTenantDriverUp(sb);
  await world.tenant.close();

  const hellos: Record<string, unknown>[] = [];
  const onHello = (m: unknown): void => {
    hellos.push(m as Record<string, unknown>);
  };
  diagnostics.subscribe(TENANT_CHANNELS.hello, onHello);
  t.teardown(() => {
    diagnostics.unsubscribe(TENANT_CHANNELS.hello, onHello);
  });
  const enqueued = new Promise<void>((resolve) => {
    const fn = (m: unknown): void => {
      if ((m as { entity?: string }).entity === 'handshake') {
        diagnostics.unsubscribe('sim:sb:enqueued', fn);
        resolve();
      }
    };
    diagnostics.subscribe('sim:sb:enqueued', fn);
  });

  const relay = rw.startRelay();
  await enqueued;
  const peeker = sb.createReceiver('handshake', { skipParsingBodyAsJson: true });
  const [captured] = await peeker.peekMessages(1);
  await peeker.close();
  if (captured === undefined) throw new Error('no HELLO on the queue');
  const body = Buffer.from(captured.body as Buffer);

  const tenant = await startTenantDriver({
    tenant: tenantCfg.id,
    keys: tenantCfg.keys.map((k) => ({ kid: k.kid, key: k.secret })),
    entities: { ...RELAY_ENTITIES },
    serviceBus: sb,
  });
  t.teardown(() => tenant.close());
  await rw.live(relay);
  const instanceId = String(
    (await relay.waitFor(isEvent('relay:session', { state: 'live' }), 'live')).data.instanceId,
  );

  const replies = await sb.acceptSession('handshake-replies', 'mallory', {
    skipParsingBodyAsJson: true,
  });
  await sb.createSender('handshake').sendMessages({
    body,
    messageId: 'replayed-hello',
    subject: 'hello',
    contentType: 'application/json',
    replyTo: 'handshake-replies',
    replyToSessionId: 'mallory',
  });
  const [answer] = await replies.receiveMessages(1, { maxWaitTimeInMs: 30_000 });
  if (answer === undefined) throw new Error('no answer to the replayed HELLO');
  t.equal(
    Buffer.from(answer.body as Buffer).toString('utf8'),
    REJECT_MESSAGE,
    'REJECT on the wire',
  );
  await replies.completeMessage(answer);
  await replies.close();
  t.match(
    hellos.find((h) => h.instanceId === 'mallory'),
    { outcome: 'reject', code: 'HS_E_REPLAY' },
    'the tenant refused it as a replay',
  );
  t.ok(tenant.session(instanceId) !== undefined, 'the relay keeps its own session');
  t.same(
    tenant.sessions().map((s) => s.instanceId),
    [instanceId],
    'and the replay made no session',
  );
  // Closed here, before the world's own teardown: the simulator waits for open clients.
  await relay.stop();
  await tenant.close();
  await sb.close();
});
