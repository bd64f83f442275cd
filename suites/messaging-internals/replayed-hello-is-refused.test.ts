// A HELLO captured from the wire and sent again. In: our relay's HELLO, read off the `handshake`
// queue (peek) before the tenant answered it, then the same body re-sent by a stranger with its
// own reply session. Out: the original gets WELCOME; the copy gets exactly REJECT_MESSAGE, the
// tenant's event says HS_E_REPLAY, and the registry still holds only the relay's own session.
import t from 'tap';
import { REJECT_MESSAGE } from '../../relay/src/protocol/handshake';
import { TENANT_CHANNELS } from '../../simulator/src/cloud/tenant';
import { newTenantKey, startWorld } from './lib/world';

void t.test('a replayed HELLO is refused by the tenant with HS_E_REPLAY', async (t) => {
  const world = await startWorld(t);
  const k1 = newTenantKey();
  const relay = world.startRelay({ keys: [{ kid: 'k1', key: k1 }], start: false });

  const handshake = relay.handshake.rehandshake();
  await world.events.until('sim:sb:enqueued', (e) => e.entity === 'handshake');
  const root = world.client();
  const [captured] = await root
    .createReceiver('handshake', { skipParsingBodyAsJson: true })
    .peekMessages(1);
  if (captured === undefined) throw new Error('no HELLO to capture');
  const body = Buffer.from(captured.body as Buffer);

  const tenant = await world.startTenant({ keys: [{ kid: 'k1', key: k1 }] });
  const session = await handshake;

  const replies = await world.client().acceptSession('handshake-replies', 'mallory', {
    skipParsingBodyAsJson: true,
  });
  await root.createSender('handshake').sendMessages({
    body,
    messageId: 'replayed-hello',
    subject: 'hello',
    contentType: 'application/json',
    replyTo: 'handshake-replies',
    replyToSessionId: 'mallory',
  });
  const [answer] = await replies.receiveMessages(1, { maxWaitTimeInMs: 10_000 });
  if (answer === undefined) throw new Error('no answer to the replayed HELLO');
  t.equal(
    Buffer.from(answer.body as Buffer).toString('utf8'),
    REJECT_MESSAGE,
    'REJECT on the wire',
  );
  t.equal(answer.correlationId, 'replayed-hello');
  await replies.completeMessage(answer);

  const decisions = world.events.of(TENANT_CHANNELS.hello);
  t.match(decisions, [
    { instanceId: 'relay-a', outcome: 'welcome' },
    { instanceId: 'mallory', outcome: 'reject', code: 'HS_E_REPLAY' },
  ]);
  t.same(
    tenant.sessions().map((s) => [s.instanceId, s.sid]),
    [['relay-a', session.sid]],
    'only the relay’s own session is live',
  );
  t.ok(relay.handshake.isLive(), 'the relay keeps its session');
});
