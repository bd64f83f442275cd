// What the sealed HC adapter refuses, on the real path (sender front → simulated Azure Relay →
// OUR listener). In: raw HTTP requests with a Send token: a sealed body with one flipped bit, a
// plain body without rc-* headers, a route the relay does not serve, no rc-message-id. Out:
// plain JSON refusals {code, envCode?, message} with the code's status (403 ENV_E_AUTH, 403
// ENV_E_PLAIN, 404 route, 400 malformed); the dispatcher is never called; relay:work says so.
import { randomUUID } from 'node:crypto';
import t from 'tap';
import { MESSAGING_CHANNELS, sealedHcHandler } from '../../relay/src/messaging';
import { metadataToHeaders, sealBody } from '../../relay/src/protocol/envelope';
import { relayRequest } from '../../simulator/src/cloud/hybrid';
import { startHybridPath } from './lib/hybrid';
import { newTenantKey, startWorld, TENANT } from './lib/world';

void t.test(
  'the sealed HC adapter refuses bad envelopes, unknown routes and malformed requests',
  async (t) => {
    const world = await startWorld(t);
    const hc = await startHybridPath(t);
    const k1 = newTenantKey();
    await world.startTenant({ keys: [{ kid: 'k1', key: k1 }] });
    const relay = world.startRelay({ keys: [{ kid: 'k1', key: k1 }] });
    await relay.handshake.whenLive();
    let dispatched = 0;
    await hc.listen(
      sealedHcHandler(
        { tenant: TENANT, routes: ['council-tax'] },
        {
          keys: relay.keys,
          session: relay.handshake,
          dispatch: () => {
            dispatched++;
            return Promise.resolve({ status: 200, body: Buffer.from('no') });
          },
        },
      ),
    );

    const url = hc.sim.senderUrl('council-tax/accounts/CT-1', 'https');
    const send = (headers: Record<string, string>, body: Buffer) =>
      relayRequest(url, {
        method: 'POST',
        headers: { ...headers, ServiceBusAuthorization: hc.sendToken('council-tax') },
        body,
        ca: hc.sim.caPem,
      });
    const sealed = (route: string) => {
      const messageId = randomUUID();
      const s = sealBody(
        { tenant: TENANT, messageId, route, direction: 'c2r', key: k1, kid: 'k1' },
        Buffer.from('{"account":"CT-1"}'),
      );
      return {
        body: s.sealed,
        headers: {
          ...metadataToHeaders(s.metadata),
          'rc-message-id': messageId,
          'rc-route': route,
        },
      };
    };

    const flipped = sealed('council-tax');
    flipped.body[0] = (flipped.body[0] ?? 0) ^ 0x80;
    const cases = [
      {
        name: 'a flipped bit',
        ...flipped,
        status: 403,
        json: { code: 'RELAY_E_WORK_ENVELOPE', envCode: 'ENV_E_AUTH' },
      },
      {
        name: 'a plain body',
        headers: { 'rc-message-id': randomUUID(), 'rc-route': 'council-tax' },
        body: Buffer.from('{"account":"CT-1"}'),
        status: 403,
        json: { code: 'RELAY_E_WORK_ENVELOPE', envCode: 'ENV_E_PLAIN' },
      },
      {
        name: 'an unknown route',
        ...sealed('planning'),
        status: 404,
        json: { code: 'RELAY_E_WORK_ROUTE' },
      },
      {
        name: 'no rc-message-id',
        headers: { 'rc-route': 'council-tax' },
        body: Buffer.alloc(0),
        status: 400,
        json: { code: 'RELAY_E_WORK_MALFORMED' },
      },
    ];
    for (const c of cases) {
      const answer = await send(c.headers, c.body);
      t.equal(answer.status, c.status, `${c.name}: ${c.status}`);
      t.match(JSON.parse(answer.body.toString('utf8')), c.json, `${c.name}: the code says why`);
      t.equal(answer.headers['rc-env'], undefined, `${c.name}: the refusal is not sealed`);
    }
    t.equal(dispatched, 0, 'the dispatcher was never called');
    t.match(
      world.events.of(MESSAGING_CHANNELS.work).map((e) => [e.via, e.outcome, e.status, e.code]),
      [
        ['hybrid', 'answered', 403, 'RELAY_E_WORK_ENVELOPE'],
        ['hybrid', 'answered', 403, 'RELAY_E_WORK_ENVELOPE'],
        ['hybrid', 'answered', 404, 'RELAY_E_WORK_ROUTE'],
        ['hybrid', 'answered', 400, 'RELAY_E_WORK_MALFORMED'],
      ],
    );
  },
);
