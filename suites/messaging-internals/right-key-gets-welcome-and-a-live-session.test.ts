// A relay with the tenant's key. In: HELLO from our HandshakeClient. Out: the HELLO on the
// `handshake` queue as docs/protocol/messaging.md says (subject hello, JSON body, replyTo
// handshake-replies, replyToSessionId = instance id, 120 s time-to-live, rc-tenant); a WELCOME
// on the relay's reply session; a live session whose sid and kid the tenant registry shows.
import t from 'tap';
import { MESSAGING_CHANNELS } from '../../relay/src/messaging';
import { TENANT_CHANNELS } from '../../simulator/src/cloud/tenant';
import { newTenantKey, startWorld, TENANT } from './lib/world';

void t.test(
  'a relay with the right key gets WELCOME and a live session the tenant lists',
  async (t) => {
    const world = await startWorld(t);
    const k1 = newTenantKey();
    const relay = world.startRelay({ keys: [{ kid: 'k1', key: k1 }], start: false });

    const handshake = relay.handshake.rehandshake();
    await world.events.until('sim:sb:enqueued', (e) => e.entity === 'handshake');
    const root = world.client();
    const [hello] = await root
      .createReceiver('handshake', { skipParsingBodyAsJson: true })
      .peekMessages(1);
    if (hello === undefined) throw new Error('no HELLO on the handshake queue');
    t.equal(hello.subject, 'hello');
    t.equal(hello.contentType, 'application/json');
    t.equal(hello.replyTo, 'handshake-replies');
    t.equal(hello.replyToSessionId, 'relay-a');
    t.equal(hello.timeToLive, 120_000);
    t.same(hello.applicationProperties, { 'rc-tenant': TENANT });
    t.match(hello.messageId, /^[0-9a-f-]{36}$/, 'a random UUID');
    const body = JSON.parse(Buffer.from(hello.body as Buffer).toString('utf8')) as Record<
      string,
      unknown
    >;
    t.match(body, { v: 1, t: 'hello', tenant: TENANT, kid: 'k1' });

    const tenant = await world.startTenant({ keys: [{ kid: 'k1', key: k1 }] });
    const session = await handshake;
    t.equal(session.kid, 'k1');
    t.equal(session.ttl, 3600, 'the tenant grants its default ttl');
    t.ok(relay.handshake.isLive());
    t.equal(relay.handshake.state, 'live');

    const listed = tenant.sessions();
    t.equal(listed.length, 1, 'the registry holds one session');
    t.match(listed[0], { instanceId: 'relay-a', kid: 'k1', sid: session.sid });
    t.equal(tenant.session('relay-a')?.sid, session.sid);

    t.match(world.events.of(MESSAGING_CHANNELS.session), [
      { state: 'handshaking', instanceId: 'relay-a', kid: 'k1' },
      { state: 'live', instanceId: 'relay-a', kid: 'k1', sid: session.sid.slice(0, 8) },
    ]);
    t.match(world.events.of(TENANT_CHANNELS.hello), [
      { tenant: TENANT, instanceId: 'relay-a', outcome: 'welcome', kid: 'k1' },
    ]);
    t.match(world.events.of(TENANT_CHANNELS.session), [
      { instanceId: 'relay-a', kid: 'k1', state: 'live', sid: session.sid.slice(0, 8) },
    ]);
    for (const e of world.events.all) {
      t.notOk(JSON.stringify(e.data).includes(session.sid), `${e.channel} carries no whole sid`);
    }
  },
);
