// The client builders. In: the egress layer over a static network map and a fake socket
// connector. Out: the Hybrid Connections endpoint per mode; the listener's dial maps the
// control and rendezvous URLs to the loopback target (path and query kept) or, without a
// map, to the checked address; refused URLs throw typed errors with an event;
// serviceBusClientFor refuses mode none,
// plain AMQP in production and refused ports before any client or socket exists.
import t from 'tap';
import {
  createEgress,
  hybridDial,
  hybridEndpointFor,
  serviceBusClientFor,
  staticNetworkMap,
} from '../../src/connectivity';
import {
  FakeSockets,
  HC_HOST,
  RANGES,
  SB_HOST,
  recordEvents,
  tableResolver,
  testSettings,
} from './helpers/fakes';

const MAP = {
  version: 1,
  hosts: [
    { name: HC_HOST, addresses: ['198.51.100.20'] },
    { name: SB_HOST, addresses: ['198.51.100.10'] },
  ],
  endpoints: [
    {
      host: HC_HOST,
      logicalAddress: '198.51.100.20',
      port: 9352,
      dial: { host: '127.0.0.1', port: 42001 },
      current: true,
    },
    {
      host: HC_HOST,
      logicalAddress: '198.51.100.20',
      port: 443,
      dial: { host: '127.0.0.1', port: 42002 },
      current: true,
    },
    {
      host: SB_HOST,
      logicalAddress: '198.51.100.10',
      port: 443,
      dial: { host: '127.0.0.1', port: 42003 },
      current: true,
    },
  ],
};

async function setup(overrides: Parameters<typeof testSettings>[0] = {}, map: unknown = MAP) {
  const sockets = new FakeSockets();
  const egress = await createEgress(testSettings(overrides), {
    sockets,
    networkMap: map === null ? null : staticNetworkMap(map),
    resolver: tableResolver({ [HC_HOST]: ['198.51.100.20'], [SB_HOST]: ['198.51.100.10'] }),
  });
  return { egress, sockets };
}

void t.test('the Hybrid Connections endpoint follows the mode', async (t) => {
  const { egress } = await setup();
  t.equal(hybridEndpointFor('tcp', egress), `wss://${HC_HOST}:9352`);
  t.equal(hybridEndpointFor('https', egress), `wss://${HC_HOST}:443`);
  t.throws(() => hybridEndpointFor('none', egress), { code: 'RELAY_E_EGRESS_MODE' });
  const noHc = await setup({ hybrid: undefined });
  t.throws(() => hybridEndpointFor('tcp', noHc.egress), { code: 'RELAY_E_EGRESS_CONFIG' });
});

void t.test('the listener dial maps control and rendezvous URLs through the map', async (t) => {
  const rec = recordEvents(['relay:egress:dial']);
  t.teardown(rec.stop);
  const { egress, sockets } = await setup();
  const dial = hybridDial(egress);
  const control = await dial(
    new URL(`wss://${HC_HOST}:9352/$hc/council-tax?sb-hc-action=listen&sb-hc-id=a`),
    'control',
  );
  t.equal(
    control.toString(),
    'wss://127.0.0.1:42001/$hc/council-tax?sb-hc-action=listen&sb-hc-id=a',
  );
  const rendezvous = await dial(
    new URL(`wss://${HC_HOST}/$hc/council-tax?sb-hc-action=accept&id=1`),
    'rendezvous',
  );
  t.equal(rendezvous.host, '127.0.0.1:42002', 'default port 443 is mapped');
  t.match(
    rec.events.map((e) => e.data),
    [
      { purpose: 'hc-control', port: 9352, verdict: 'allowed', dial: '127.0.0.1:42001' },
      { purpose: 'hc-rendezvous', port: 443, verdict: 'allowed', dial: '127.0.0.1:42002' },
    ],
  );
  await t.rejects(dial(new URL(`wss://${HC_HOST}:8443/$hc/x`), 'rendezvous'), {
    code: 'RELAY_E_EGRESS_PORT',
  });
  await t.rejects(dial(new URL(`wss://${HC_HOST}:9351/$hc/x`), 'rendezvous'), {
    code: 'RELAY_E_EGRESS_UNMAPPED',
  });
  t.equal(sockets.opened.length, 0, 'the dial function opens nothing itself');
});

void t.test('without a map the listener dials the checked address, not the name', async (t) => {
  const { egress } = await setup({}, null);
  const url = await hybridDial(egress)(new URL(`wss://${HC_HOST}:9352/$hc/p?x=1`), 'control');
  t.equal(url.toString(), 'wss://198.51.100.20:9352/$hc/p?x=1');
});

void t.test('serviceBusClientFor refuses before any client or socket exists', async (t) => {
  const rec = recordEvents(['relay:egress:dial']);
  t.teardown(rec.stop);
  const { egress, sockets } = await setup();
  await t.rejects(serviceBusClientFor('none', egress), { code: 'RELAY_E_EGRESS_MODE' });
  await t.rejects(serviceBusClientFor('tcp', egress, { plain: true }), {
    code: 'RELAY_E_EGRESS_PLAIN',
  });
  await t.rejects(serviceBusClientFor('https', egress, { plain: true }), {
    code: 'RELAY_E_EGRESS_MODE',
  });
  await t.rejects(
    serviceBusClientFor('tcp', egress),
    {
      code: 'RELAY_E_EGRESS_UNMAPPED',
    },
    'the map has no 5671 endpoint',
  );
  const noHttps = await setup({ egress: { ports: [5671], ranges: { prefixes: RANGES } } });
  await t.rejects(serviceBusClientFor('https', noHttps.egress), { code: 'RELAY_E_EGRESS_PORT' });
  t.equal(sockets.opened.length, 0);
  t.match(
    rec.events.map((e) => e.data),
    [
      { verdict: 'refused', code: 'RELAY_E_EGRESS_PLAIN', port: 5672 },
      { verdict: 'refused', code: 'RELAY_E_EGRESS_UNMAPPED', port: 5671 },
      { verdict: 'refused', code: 'RELAY_E_EGRESS_PORT', port: 443 },
    ],
  );
  for (const e of rec.events)
    t.notMatch(JSON.stringify(e.data), /not-a-real-key/, 'no key in events');
});

void t.test('an https client is built after one allowed check of port 443', async (t) => {
  const rec = recordEvents(['relay:egress:dial']);
  t.teardown(rec.stop);
  const { egress, sockets } = await setup();
  const client = await serviceBusClientFor('https', egress);
  t.teardown(() => client.close());
  t.equal(client.fullyQualifiedNamespace, SB_HOST);
  t.match(
    rec.events.map((e) => e.data),
    [{ purpose: 'servicebus-wss', port: 443, verdict: 'allowed', dial: '127.0.0.1:42003' }],
  );
  t.equal(sockets.opened.length, 0, 'the SDK connects lazily');
});
