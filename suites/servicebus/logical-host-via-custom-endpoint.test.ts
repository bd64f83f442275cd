// SB-028: the logical namespace host. In: a connection string naming the logical host
// council-42.servicebus.windows.net, with customEndpointAddress pointing the SDK at the
// simulator's loopback port (how a relay keeps logical names while dialling the simulator).
// Out: the SDK opens AMQP with the logical hostname, signs its tokens for the logical host,
// the simulator accepts them, and messages flow; the logical name is never dialled.
import { ServiceBusClient } from '@azure/service-bus';
import { kase } from '../lib/case';
import { nextEvent, ROOT_KEY_NAME, startSim } from './lib/sim';

void kase('SB-028', async (t) => {
  const { sim, keys } = await startSim(t);
  const port = sim.listeners.plain?.port ?? 0;
  const opened = nextEvent<{ state: string; hostname?: string }>(
    'sim:sb:connection',
    (e) => e.state === 'open',
  );
  const granted = nextEvent<{ decision: string; path?: string }>('sim:sb:cbs');
  const sb = new ServiceBusClient(
    `Endpoint=sb://${sim.host}/;SharedAccessKeyName=${ROOT_KEY_NAME};SharedAccessKey=${keys[ROOT_KEY_NAME] ?? ''};UseDevelopmentEmulator=true`,
    { customEndpointAddress: `sb://localhost:${port}` },
  );
  t.teardown(() => sb.close());
  await sb.createSender('q1').sendMessages({ body: 'logical' });
  t.equal(
    (await opened).hostname,
    'council-42.servicebus.windows.net',
    'AMQP open names the logical host',
  );
  t.match(
    await granted,
    { decision: 'accepted', path: 'q1' },
    'a token signed for the logical host is accepted',
  );
  const [m] = await sb
    .createReceiver('q1', { receiveMode: 'receiveAndDelete' })
    .receiveMessages(1, {
      maxWaitTimeInMs: 5000,
    });
  t.equal(m?.body, 'logical');
});
