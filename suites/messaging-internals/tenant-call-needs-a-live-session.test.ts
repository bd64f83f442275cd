// The tenant's synchronous call and the session gate. In: tenant.call() through the HC sender
// front before any relay handshake, after one, and after the relay's key is retired. Out: no
// request leaves the tenant without a live session (SIM_E_TENANT_NO_SESSION, sim:tenant:work
// refused, the relay's dispatcher never called); with one, the sealed call works; once the key
// is retired the tenant refuses again.
import t from 'tap';
import { sealedHcHandler } from '../../relay/src/messaging';
import { TENANT_CHANNELS } from '../../simulator/src/cloud/tenant';
import { startHybridPath } from './lib/hybrid';
import { codeOf, newTenantKey, rejectionOf, startWorld, TENANT } from './lib/world';

void t.test(
  'tenant call() works through the HC sender front only with a live session',
  async (t) => {
    const world = await startWorld(t);
    const hc = await startHybridPath(t);
    const k1 = newTenantKey();
    const tenant = await world.startTenant({
      keys: [{ kid: 'k1', key: k1 }],
      hybrid: hc.tenantOptions,
    });
    const relay = world.startRelay({ keys: [{ kid: 'k1', key: k1 }], start: false });
    let dispatched = 0;
    await hc.listen(
      sealedHcHandler(
        { tenant: TENANT },
        {
          keys: relay.keys,
          dispatch: async (req) => {
            dispatched++;
            const chunks: Buffer[] = [];
            for await (const c of req.body) chunks.push(c as Buffer);
            return { status: 200, body: Buffer.concat([Buffer.from('rates:'), ...chunks]) };
          },
        },
      ),
      'business-rates',
    );

    const before = await rejectionOf(
      tenant.call('business-rates/NNDR-9', { body: Buffer.from('q') }),
    );
    t.equal(codeOf(before), 'SIM_E_TENANT_NO_SESSION', 'refused before any handshake');
    t.equal(dispatched, 0, 'nothing reached the relay');

    await relay.handshake.rehandshake();
    const answer = await tenant.call('business-rates/NNDR-9', { body: Buffer.from('q') });
    t.equal(answer.status, 200);
    t.equal(answer.sealed, true);
    t.equal(answer.body.toString(), 'rates:q');
    t.equal(answer.route, 'business-rates');
    t.equal(dispatched, 1);

    tenant.addKey('k2', newTenantKey());
    tenant.retireKey('k1');
    const after = await rejectionOf(
      tenant.call('business-rates/NNDR-9', { body: Buffer.from('q') }),
    );
    t.equal(codeOf(after), 'SIM_E_TENANT_NO_SESSION', 'refused once the session is dropped');
    t.equal(dispatched, 1, 'still only the one call reached the relay');
    t.match(
      world.events.of(TENANT_CHANNELS.work).map((e) => [e.via, e.outcome, e.code ?? e.status]),
      [
        ['hybrid', 'refused', 'SIM_E_TENANT_NO_SESSION'],
        ['hybrid', 'answered', 200],
        ['hybrid', 'refused', 'SIM_E_TENANT_NO_SESSION'],
      ],
    );
  },
);
