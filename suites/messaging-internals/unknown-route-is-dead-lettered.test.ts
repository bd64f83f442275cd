// An unknown route. In: a properly sealed request for route planning, which the relay does not
// serve. Out: the relay dead-letters it (reason RELAY_E_WORK_ROUTE) without calling its handler;
// the tenant driver, watching the dead-letter queue, fails that sendWork with
// SIM_E_TENANT_DEAD_LETTERED carrying the reason and description, and publishes the dead letter.
import t from 'tap';
import { MESSAGING_CHANNELS } from '../../relay/src/messaging';
import { TENANT_CHANNELS } from '../../simulator/src/cloud/tenant';
import { codeOf, echoHandler, newTenantKey, rejectionOf, startWorld } from './lib/world';

void t.test(
  'a request for an unknown route is dead-lettered and the tenant learns why',
  async (t) => {
    const world = await startWorld(t);
    const k1 = newTenantKey();
    const tenant = await world.startTenant({
      keys: [{ kid: 'k1', key: k1 }],
      watchDeadLetters: true,
    });
    let handled = 0;
    const relay = world.startRelay({
      keys: [{ kid: 'k1', key: k1 }],
      handler: (route, body, meta) => {
        handled++;
        return echoHandler(route, body, meta);
      },
    });
    await relay.handshake.whenLive();

    const error = await rejectionOf(tenant.sendWork('planning', Buffer.from('{"ref":"PL-1"}')));
    t.equal(codeOf(error), 'SIM_E_TENANT_DEAD_LETTERED');
    const details = (error as { details: Record<string, unknown> }).details;
    t.equal(details.reason, 'RELAY_E_WORK_ROUTE');
    t.match(details.description, /no route planning/);
    t.equal(handled, 0, 'the handler never ran');
    t.match(world.events.of(MESSAGING_CHANNELS.work), [
      {
        via: 'servicebus',
        route: 'planning',
        outcome: 'dead-lettered',
        code: 'RELAY_E_WORK_ROUTE',
      },
    ]);
    t.match(world.events.of(TENANT_CHANNELS.deadLetter), [
      { route: 'planning', reason: 'RELAY_E_WORK_ROUTE', messageId: details.messageId },
    ]);

    // A known route still works afterwards.
    const ok = await tenant.sendWork('council-tax', Buffer.from('x'));
    t.equal(ok.body.toString(), 'council-tax:x');
  },
);
