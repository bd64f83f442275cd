// AMQP over WebSockets through the egress layer and the network model. In: the model's
// firewall rejecting 5671, auto-detect choosing https, and the real @azure/service-bus SDK
// built by serviceBusClientFor('https'). Out: a message is sent, received (peekLock) and
// completed; every WebSocket dial the SDK made was checked first (relay:egress:dial on
// logical port 443 to the logical address, mapped to the model's loopback port), the model
// saw logical port 443 accepted and never 5671, and the simulator saw the logical host.
import t from 'tap';
import { createConnectivity } from '../../relay/src/connectivity';
import { QUEUE, captureEvents, startConnectivityWorld } from './lib/world';

void t.test(
  'a client from serviceBusClientFor(https) sends and receives through 443',
  async (t) => {
    const world = await startConnectivityWorld(t);
    await world.firewall([
      { name: 'no-amqps', verdict: 'reject', destination: 'any', ports: 5671 },
    ]);
    const egress = await world.egress();
    const conn = createConnectivity(egress.settings, { egress });
    t.teardown(() => {
      conn.close();
    });
    t.equal((await conn.start()).mode, 'https');

    const events = captureEvents(t, ['relay:egress:dial', 'sim:net:dial', 'sim:sb:connection']);
    const client = await conn.serviceBusClientFor();
    t.teardown(() => client.close());
    const body = { via: 'https', n: 1 };
    await client.createSender(QUEUE).sendMessages({ body, messageId: 'm-443' });
    const receiver = client.createReceiver(QUEUE);
    const [msg] = await receiver.receiveMessages(1, { maxWaitTimeInMs: 10_000 });
    t.same(msg?.body, body, 'the message came back');
    if (msg !== undefined) await receiver.completeMessage(msg);
    t.equal(world.sb.engine.messages(QUEUE).length, 0, 'completed');

    const address = world.net.dns.record(world.sb.host).addresses[0];
    const dials = events.filter((e) => e.channel === 'relay:egress:dial').map((e) => e.data);
    t.ok(dials.length >= 2, 'the check at creation and at least one WebSocket dial');
    for (const d of dials) {
      t.match(d, {
        host: world.sb.host,
        port: 443,
        address,
        verdict: 'allowed',
        purpose: 'servicebus-wss',
        dial: /^127\.0\.0\.1:\d+$/,
      });
    }
    const modelDials = events.filter((e) => e.channel === 'sim:net:dial').map((e) => e.data);
    t.ok(modelDials.length >= 1, 'the model saw the dial');
    t.ok(
      modelDials.every((d) => d.port === 443 && d.verdict === 'accept' && d.address === address),
      'only logical port 443 of the logical address was dialled',
    );
    t.ok(
      events.some(
        (e) =>
          e.channel === 'sim:sb:connection' &&
          e.data.state === 'open' &&
          e.data.listener === 'websocket' &&
          e.data.hostname === world.sb.host,
      ),
      'AMQP opened on the WebSocket listener naming the logical host',
    );
  },
);
