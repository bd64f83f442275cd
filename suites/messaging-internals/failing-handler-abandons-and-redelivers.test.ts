// A handler that fails once. In: one request; the handler throws on its first delivery. Out:
// the relay abandons it (relay:work abandoned, RELAY_E_WORK_HANDLER), the broker delivers it
// again with deliveryCount + 1, the handler succeeds and the tenant gets the one reply.
import t from 'tap';
import { MESSAGING_CHANNELS } from '../../relay/src/messaging';
import { newTenantKey, startWorld } from './lib/world';

void t.test('a handler that throws gets its request abandoned and redelivered', async (t) => {
  const world = await startWorld(t);
  const k1 = newTenantKey();
  const tenant = await world.startTenant({ keys: [{ kid: 'k1', key: k1 }] });
  const deliveries: number[] = [];
  const relay = world.startRelay({
    keys: [{ kid: 'k1', key: k1 }],
    handler: (_route, body, meta) => {
      deliveries.push(meta.deliveryCount);
      if (meta.deliveryCount === 0) return Promise.reject(new Error('back office unavailable'));
      return Promise.resolve({ status: 200, body: Buffer.concat([Buffer.from('ok:'), body]) });
    },
  });
  await relay.handshake.whenLive();

  const reply = await tenant.sendWork('council-tax', Buffer.from('CT-7'));
  t.equal(reply.status, 200);
  t.equal(reply.body.toString(), 'ok:CT-7');
  t.same(deliveries, [0, 1], 'delivered twice: deliveryCount 0, then 1');
  // The reply goes out before the request is completed: wait for the completion.
  await world.events.until(MESSAGING_CHANNELS.work, (e) => e.outcome === 'completed');
  t.match(
    world.events.of(MESSAGING_CHANNELS.work).map((e) => [e.outcome, e.code, e.deliveryCount]),
    [
      ['abandoned', 'RELAY_E_WORK_HANDLER', 0],
      ['completed', undefined, 1],
    ],
  );
});
