// The egress policy refuses before any packet. In: dial requests for ports outside the
// allowed set, plain AMQP in production, and names whose DNS answers (IPv4, IPv6, mixed,
// IPv4-mapped) fall outside the allowed ranges. Out: typed EgressErrors, a refused
// relay:egress:dial event for each, no DNS query for a refused port, and no socket opened.
import t from 'tap';
import { createEgress, isEgressError, staticNetworkMap } from '../../src/connectivity';
import { rangeSetOf } from '../../src/egress/ranges';
import { parseCidr } from '../../src/egress/cidr';
import {
  FakeSockets,
  ManualClock,
  RANGES,
  SB_HOST,
  recordEvents,
  tableResolver,
  testSettings,
} from './helpers/fakes';

async function setup(
  t: tap.Test,
  answers: readonly string[],
  overrides: Parameters<typeof testSettings>[0] = {},
) {
  const sockets = new FakeSockets();
  const resolver = tableResolver({ [SB_HOST]: answers });
  const egress = await createEgress(testSettings(overrides), {
    resolver,
    sockets,
    scheduler: new ManualClock(),
    networkMap: null,
  });
  const rec = recordEvents(['relay:egress:dial']);
  t.teardown(rec.stop);
  return { egress, sockets, resolver, rec };
}

void t.test(
  'a port outside the allowed set is refused without a DNS query or a socket',
  async (t) => {
    const { egress, sockets, resolver, rec } = await setup(t, ['198.51.100.10']);
    for (const port of [80, 8080, 22, 5672, 9355]) {
      const e = await egress.connect({ host: SB_HOST, port, purpose: 'test' }).then(
        () => undefined,
        (err: unknown) => err,
      );
      t.ok(
        isEgressError(e, port === 5672 ? 'RELAY_E_EGRESS_PLAIN' : 'RELAY_E_EGRESS_PORT'),
        `port ${port} refused with a typed error`,
      );
    }
    t.equal(resolver.queries.length, 0, 'no name was resolved for a refused port');
    t.equal(sockets.opened.length, 0, 'no socket was opened');
    t.equal(rec.events.length, 5, 'one event per refused dial');
    t.match(rec.events[0]?.data, {
      purpose: 'test',
      host: SB_HOST,
      port: 80,
      verdict: 'refused',
      code: 'RELAY_E_EGRESS_PORT',
    });
    t.match(String(rec.events[0]?.data.reason), /not in the allowed egress ports \(443, 5671/);
  },
);

void t.test('plain AMQP is refused in production even when the port set names it', async (t) => {
  // The config refuses 5672 in production; the dial check refuses it again on its own.
  t.throws(() => testSettings({ egress: { ports: [443, 5672], ranges: { prefixes: RANGES } } }), {
    code: 'RELAY_E_EGRESS_CONFIG',
    message: /egress\.ports\[1\]: plain AMQP \(5672\)/,
  });
  const { egress, sockets } = await setup(t, ['198.51.100.10'], {
    profile: 'development',
    egress: { ports: [443, 5672], ranges: { prefixes: RANGES } },
  });
  const plan = await egress.plan({ host: SB_HOST, port: 5672, purpose: 'dev' });
  t.equal(plan.port, 5672, 'the development profile may dial 5672');
  t.equal(sockets.opened.length, 0);
});

void t.test('an address outside the ranges is refused before any socket is opened', async (t) => {
  const { egress, sockets, rec } = await setup(t, ['203.0.113.7']);
  await t.rejects(egress.connect({ host: SB_HOST, port: 5671, purpose: 'amqps' }), {
    code: 'RELAY_E_EGRESS_RANGE',
    message: /203\.0\.113\.7 is outside the allowed ranges; nothing was dialled/,
  });
  t.equal(sockets.opened.length, 0, 'no socket was opened');
  t.match(rec.events, [
    {
      data: {
        verdict: 'refused',
        code: 'RELAY_E_EGRESS_RANGE',
        address: '203.0.113.7',
        port: 5671,
      },
    },
  ]);
});

void t.test(
  'every resolved address must be inside: one poisoned answer refuses the dial',
  async (t) => {
    const { egress, sockets } = await setup(t, ['198.51.100.10', '198.51.100.11', '192.0.2.1']);
    await t.rejects(egress.plan({ host: SB_HOST, port: 443, purpose: 'wss' }), {
      code: 'RELAY_E_EGRESS_RANGE',
      details: { address: '192.0.2.1' },
    });
    t.equal(sockets.opened.length, 0);
  },
);

void t.test('IPv6 answers are checked against the IPv6 ranges', async (t) => {
  const inside = await setup(t, ['2001:db8:1::50', '198.51.100.10']);
  const plan = await inside.egress.plan({ host: SB_HOST, port: 443, purpose: 'v6' });
  t.same(plan.addresses, ['2001:db8:1::50', '198.51.100.10']);
  t.same(plan.dial, { host: '2001:db8:1::50', port: 443 }, 'production dials the checked address');

  const outside = await setup(t, ['2001:db8:2::50']);
  await t.rejects(outside.egress.plan({ host: SB_HOST, port: 443, purpose: 'v6' }), {
    code: 'RELAY_E_EGRESS_RANGE',
  });

  const mapped = await setup(t, ['::ffff:198.51.100.10']);
  const p = await mapped.egress.plan({ host: SB_HOST, port: 443, purpose: 'mapped' });
  t.equal(p.address, '198.51.100.10', 'an IPv4-mapped IPv6 answer is checked as IPv4');

  const mappedOut = await setup(t, ['::ffff:203.0.113.9']);
  await t.rejects(mappedOut.egress.plan({ host: SB_HOST, port: 443, purpose: 'mapped' }), {
    code: 'RELAY_E_EGRESS_RANGE',
  });
});

void t.test('a resolver answer that is not an address is refused with a typed error', async (t) => {
  const { egress } = await setup(t, ['not-an-address']);
  await t.rejects(egress.plan({ host: SB_HOST, port: 443, purpose: 'x' }), {
    code: 'RELAY_E_EGRESS_RANGE',
    message: /not an IP address/,
  });
});

void t.test(
  'a name that does not resolve is RELAY_E_EGRESS_DNS with a refused event',
  async (t) => {
    const { egress, rec } = await setup(t, ['198.51.100.10']);
    await t.rejects(
      egress.plan({ host: 'unknown.servicebus.windows.net', port: 443, purpose: 'x' }),
      {
        code: 'RELAY_E_EGRESS_DNS',
      },
    );
    t.match(rec.events, [{ data: { verdict: 'refused', code: 'RELAY_E_EGRESS_DNS' } }]);
  },
);

void t.test('an allowed dial publishes its event before the socket is opened', async (t) => {
  const sockets = new FakeSockets();
  const order: string[] = [];
  const rec = recordEvents(['relay:egress:dial']);
  t.teardown(rec.stop);
  sockets.onOpen = (s) => {
    order.push(`socket ${s.target.host}:${s.target.port} after ${rec.events.length} event(s)`);
    setImmediate(() => {
      s.emit('connect');
      s.emit('secureConnect');
    });
  };
  const egress = await createEgress(testSettings(), {
    resolver: tableResolver({ [SB_HOST]: ['198.51.100.10'] }),
    networkMap: staticNetworkMap({
      version: 1,
      hosts: [],
      endpoints: [
        {
          host: SB_HOST,
          logicalAddress: '198.51.100.10',
          port: 5671,
          dial: { host: '127.0.0.1', port: 40001 },
          current: true,
        },
      ],
    }),
    sockets,
    scheduler: new ManualClock(),
  });
  const c = await egress.connect({ host: SB_HOST, port: 5671, purpose: 'amqps' });
  t.same(order, ['socket 127.0.0.1:40001 after 1 event(s)']);
  t.match(rec.events[0]?.data, {
    verdict: 'allowed',
    address: '198.51.100.10',
    dial: '127.0.0.1:40001',
    port: 5671,
  });
  t.equal(c.tlsVersion, 'TLSv1.3');
  t.equal(c.plan.mapped, true);
});

void t.test('the policy can be given a prepared range set', async (t) => {
  const egress = await createEgress(testSettings(), {
    ranges: rangeSetOf([parseCidr('192.0.2.0/24')]),
    resolver: tableResolver({ [SB_HOST]: ['192.0.2.5'] }),
    networkMap: null,
    sockets: new FakeSockets(),
  });
  const plan = await egress.plan({ host: SB_HOST, port: 443, purpose: 'x' });
  t.equal(plan.address, '192.0.2.5');
});
