// Faults a suite can inject into the simulated namespace. In: faults.refuseCbs,
// faults.dispositionDelayMs and dropConnections() on a running simulator. Out: the real SDK
// sees a refused put-token as ServiceBusy (503) or UnauthorizedAccess (401) and a delayed
// settlement that still succeeds; a dropped peer loses its socket without a close frame.
import { randomBytes } from 'node:crypto';
import { ServiceBusClient } from '@azure/service-bus';
import { create_container } from 'rhea';
import t from 'tap';
import { startServiceBusSimulator, type ServiceBusSimulator } from '../src/cloud/servicebus';

async function start(
  test: tap.Test,
): Promise<{ sim: ServiceBusSimulator; client: ServiceBusClient }> {
  const sim = await startServiceBusSimulator({
    config: {
      namespace: 'council-42',
      authorizationRules: [
        {
          keyName: 'RootManageSharedAccessKey',
          key: randomBytes(32).toString('base64'),
          rights: ['Manage', 'Listen', 'Send'],
        },
      ],
      queues: [{ name: 'q1' }],
    },
    listeners: { plain: {}, tls: false, websocket: false },
  });
  const client = new ServiceBusClient(sim.listeners.plain?.connectionString ?? '', {
    retryOptions: { maxRetries: 0, timeoutInMs: 5000 },
  });
  test.teardown(async () => {
    await client.close();
    await sim.close();
  });
  return { sim, client };
}

void t.test('refuseCbs turns put-token answers into the injected status', async (t) => {
  const { sim, client } = await start(t);
  sim.faults.refuseCbs = 503;
  const busy = await client
    .createSender('q1')
    .sendMessages({ body: 'x' })
    .then(
      () => undefined,
      (e: unknown) => e as { code?: string },
    );
  t.equal(busy?.code, 'ServiceBusy', '503 → ServiceBusy');
  sim.faults.refuseCbs = 401;
  const denied = await client
    .createReceiver('q1')
    .receiveMessages(1, { maxWaitTimeInMs: 500 })
    .then(
      () => undefined,
      (e: unknown) => e as { code?: string },
    );
  t.equal(denied?.code, 'UnauthorizedAccess', '401 → UnauthorizedAccess');
  sim.faults.refuseCbs = undefined;
  await client.createSender('q1').sendMessages({ body: 'after the fault' });
  t.equal(sim.engine.messages('q1').length, 1, 'works again once the fault is lifted');
});

void t.test('dispositionDelayMs holds the settlement answer', async (t) => {
  const { sim, client } = await start(t);
  await client.createSender('q1').sendMessages({ body: 'slow ack' });
  const receiver = client.createReceiver('q1');
  const [m] = await receiver.receiveMessages(1, { maxWaitTimeInMs: 5000 });
  if (m === undefined) throw new Error('no message');
  sim.faults.dispositionDelayMs = 300;
  const started = Date.now();
  await receiver.completeMessage(m);
  t.ok(Date.now() - started >= 250, 'complete waited for the delayed answer');
  t.equal(sim.engine.messages('q1').length, 0, 'and succeeded');
});

void t.test('dropConnections cuts peers off without an AMQP close', async (t) => {
  const { sim, client } = await start(t);
  const peer = create_container({ id: 'peer' }).connect({
    host: '127.0.0.1',
    port: sim.listeners.plain?.port ?? 0,
    reconnect: false,
  });
  await new Promise<void>((resolve) =>
    peer.once('connection_open', () => {
      resolve();
    }),
  );
  const gone = new Promise<boolean>((resolve) => {
    peer.once('disconnected', () => {
      resolve(true);
    });
    peer.once('connection_close', () => {
      resolve(false);
    });
  });
  t.equal(sim.dropConnections(), 1, 'one connection dropped');
  t.equal(await gone, true, 'the peer sees the socket go, with no close frame');
  t.equal(sim.connectionCount, 0);
  await client.createSender('q1').sendMessages({ body: 'after the drop' });
  t.equal(sim.engine.messages('q1').length, 1, 'new connections are served');
});
