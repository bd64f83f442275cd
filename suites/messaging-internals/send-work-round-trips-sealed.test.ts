// sendWork end to end. In: a plaintext request for route council-tax from the tenant driver.
// Out: on `requests` only sealed bytes (subject = route, rc-env/kid/salt/iv/ts + rc-route,
// replyTo replies, replyToSessionId = the tenant's session); the relay's handler gets the plain
// body, the route and the message id; its answer comes back sealed on the tenant's replies
// session and opens there with the handler's status, body and content type; the request is
// completed (relay:work completed) and leaves the queue.
import t from 'tap';
import { createWorkReceiver, MESSAGING_CHANNELS, type WorkMeta } from '../../relay/src/messaging';
import { TENANT_CHANNELS } from '../../simulator/src/cloud/tenant';
import { newTenantKey, startWorld, TENANT } from './lib/world';

void t.test(
  'a sealed request reaches the handler in plain and its sealed reply opens at the tenant',
  async (t) => {
    const world = await startWorld(t);
    const k1 = newTenantKey();
    const tenant = await world.startTenant({ keys: [{ kid: 'k1', key: k1 }] });
    const relay = world.startRelay({ keys: [{ kid: 'k1', key: k1 }] });
    await relay.handshake.whenLive();

    const plaintext = Buffer.from(JSON.stringify({ account: 'CT-1001', question: 'balance' }));
    const pending = tenant.sendWork('council-tax', plaintext, { contentType: 'application/json' });
    const sent = await world.events.until(TENANT_CHANNELS.work, (e) => e.outcome === 'sent');

    // What travels: sealed bytes and metadata only.
    const root = world.client();
    const [onWire] = await root
      .createReceiver('requests', { skipParsingBodyAsJson: true })
      .peekMessages(1);
    if (onWire === undefined) throw new Error('no request on the queue');
    t.equal(onWire.messageId, sent.messageId);
    t.equal(onWire.subject, 'council-tax');
    t.equal(onWire.replyTo, 'replies');
    t.equal(onWire.replyToSessionId, tenant.replySessionId);
    t.match(onWire.applicationProperties, {
      'rc-env': 'v1',
      'rc-kid': 'k1',
      'rc-salt': /^[A-Za-z0-9_-]{22}$/,
      'rc-iv': /^[A-Za-z0-9_-]{16}$/,
      'rc-ts': /^\d+$/,
      'rc-route': 'council-tax',
    });
    const wireBody = Buffer.from(onWire.body as Buffer);
    t.equal(wireBody.length, plaintext.length + 16, 'one sealed segment: plaintext + tag');
    t.notOk(
      wireBody.includes(Buffer.from('CT-1001')),
      'the account number is not readable on the queue',
    );

    // Now the relay takes work.
    const seen: { route: string; body: string; meta: WorkMeta }[] = [];
    const receiver = createWorkReceiver(
      { tenant: TENANT, routes: ['council-tax'] },
      {
        serviceBus: relay.client,
        keys: relay.keys,
        session: relay.handshake,
        handler: (route, body, meta) => {
          seen.push({ route, body: body.toString('utf8'), meta });
          return Promise.resolve({
            status: 201,
            body: Buffer.from(JSON.stringify({ account: 'CT-1001', balance: 1234.5 })),
            contentType: 'application/json',
          });
        },
      },
    ).start();
    t.teardown(() => receiver.close());

    const reply = await pending;
    t.equal(reply.status, 201);
    t.same(JSON.parse(reply.body.toString('utf8')), { account: 'CT-1001', balance: 1234.5 });
    t.equal(reply.contentType, 'application/json');
    t.equal(reply.kid, 'k1');
    t.equal(reply.messageId, sent.messageId);

    t.equal(seen.length, 1, 'the handler ran once');
    t.equal(seen[0]?.route, 'council-tax');
    t.equal(seen[0]?.body, plaintext.toString('utf8'), 'the handler saw the plain body');
    t.match(seen[0]?.meta, {
      via: 'servicebus',
      messageId: sent.messageId,
      deliveryCount: 0,
      sealed: true,
      kid: 'k1',
      contentType: 'application/json',
    });

    const done = await world.events.until(
      MESSAGING_CHANNELS.work,
      (e) => e.outcome === 'completed',
    );
    t.match(done, {
      via: 'servicebus',
      route: 'council-tax',
      messageId: sent.messageId,
      status: 201,
    });
    t.match(
      world.events.of(TENANT_CHANNELS.work, (e) => e.outcome === 'answered'),
      [{ via: 'servicebus', route: 'council-tax', messageId: sent.messageId, status: 201 }],
    );
    await world.events.until(
      'sim:sb:settled',
      (e) => e.entity === 'requests' && e.messageId === sent.messageId,
    );
    const left = await root.createReceiver('requests').peekMessages(1);
    t.equal(left.length, 0, 'the request was completed');
  },
);
