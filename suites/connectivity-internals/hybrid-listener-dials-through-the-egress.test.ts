// The Hybrid Connections listener through the egress layer and the network model. In: the
// relay's own listener given hybridEndpointFor(mode), hybridDial and hybridSockets, in tcp
// mode (9352) and https mode (443), and requests from the simulator's sender front, one
// small (control channel) and one with a large response (rendezvous socket). Out: both are
// answered; the control and rendezvous URLs were planned and checked (relay:egress:dial
// hc-control / hc-rendezvous to the logical address, mapped to loopback) and the model saw
// only the mode's logical port for the Hybrid Connections host.
import t from 'tap';
import {
  createEgress,
  hybridDial,
  hybridEndpointFor,
  hybridSockets,
  type Mode,
} from '../../relay/src/connectivity';
import { createHybridListener } from '../../relay/src/transports';
import { relayRequest } from '../../simulator/src/cloud/hybrid';
import { captureEvents, startConnectivityWorld } from './lib/world';

const BIG = 100 * 1024;

void t.test('the listener connects and serves through the egress layer', async (t) => {
  const world = await startConnectivityWorld(t);
  const egress = await createEgress(world.settings());
  const cases: [Mode, number][] = [
    ['tcp', 9352],
    ['https', 443],
  ];
  for (const [mode, port] of cases) {
    await t.test(`${mode} mode: the control channel on logical port ${port}`, async (t) => {
      const events = captureEvents(t, ['relay:egress:dial', 'sim:net:dial']);
      const listener = createHybridListener(
        {
          endpoint: hybridEndpointFor(mode, egress),
          path: 'open',
          keyName: 'listen',
          key: world.hcListenKey,
        },
        {
          handler: async (req, res) => {
            const size = req.target.includes('big') ? BIG : 5;
            await res.send(200, Buffer.alloc(size, 0x61), { 'content-type': 'text/plain' });
          },
          dial: hybridDial(egress),
          sockets: hybridSockets(egress),
        },
      );
      t.teardown(() => listener.close());
      listener.start();
      await listener.ready();

      const small = await relayRequest(world.hc.senderUrl('open') + '/small', {
        ca: world.hc.caPem,
      });
      t.equal(small.status, 200);
      t.equal(small.body.toString(), 'aaaaa');
      const big = await relayRequest(world.hc.senderUrl('open') + '/big', { ca: world.hc.caPem });
      t.equal(big.status, 200);
      t.equal(big.body.length, BIG, 'the large response came back');

      const address = world.net.dns.record(world.hc.host).addresses[0];
      const dials = events.filter((e) => e.channel === 'relay:egress:dial').map((e) => e.data);
      t.match(dials[0], {
        purpose: 'hc-control',
        host: world.hc.host,
        port,
        address,
        verdict: 'allowed',
        dial: /^127\.0\.0\.1:\d+$/,
      });
      t.ok(
        dials.some((d) => d.purpose === 'hc-rendezvous' && d.verdict === 'allowed'),
        'the rendezvous address was checked too',
      );
      t.ok(
        dials.every((d) => d.verdict === 'allowed' && d.address === address),
        'every dial went to the checked logical address',
      );
      const ports = new Set(
        events
          .filter((e) => e.channel === 'sim:net:dial' && e.data.host === world.hc.host)
          .map((e) => e.data.port),
      );
      t.same([...ports], [port], `the model saw only logical port ${port}`);
    });
  }
});
