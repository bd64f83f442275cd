// Throttling (faults.serverBusy), as Azure answers a namespace over its limits. In: a running
// simulator with two queues, the real SDK, and the switch turned on (every entity, or only the
// ones named) and off. Out: a receiver's attach is refused with com.microsoft:server-busy, which
// the SDK reports as ServiceBusError ServiceBusy; a settlement is refused the same way and the
// message stays locked; a streaming receiver whose link would take a message is detached with
// the same error and, once the switch is off, re-attaches and gets it; sends are not throttled;
// with serverBusyEntities only those entities (and their sub-queues) are refused. The refusals
// are on sim:sb:attach, sim:sb:detach and sim:sb:disposition.
import diagnostics from 'node:diagnostics_channel';
import { randomBytes } from 'node:crypto';
import { ServiceBusClient, type ProcessErrorArgs } from '@azure/service-bus';
import t from 'tap';
import { startServiceBusSimulator, type ServiceBusSimulator } from '../src/cloud/servicebus';

const BUSY = 'com.microsoft:server-busy';

async function start(test: tap.Test): Promise<{
  sim: ServiceBusSimulator;
  client: ServiceBusClient;
  events: Record<string, unknown>[];
}> {
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
      queues: [{ name: 'q1' }, { name: 'q2' }],
    },
    listeners: { plain: {}, tls: false, websocket: false },
  });
  const client = new ServiceBusClient(sim.listeners.plain?.connectionString ?? '', {
    retryOptions: { maxRetries: 0, retryDelayInMs: 200, timeoutInMs: 5000 },
  });
  const events: Record<string, unknown>[] = [];
  const channels = ['sim:sb:attach', 'sim:sb:detach', 'sim:sb:disposition'];
  const subs = channels.map((channel) => {
    const fn = (m: unknown): void => {
      events.push({ channel, ...(m as Record<string, unknown>) });
    };
    diagnostics.subscribe(channel, fn);
    return { channel, fn };
  });
  test.teardown(async () => {
    for (const s of subs) diagnostics.unsubscribe(s.channel, s.fn);
    await client.close();
    await sim.close();
  });
  return { sim, client, events };
}

function failure(p: Promise<unknown>): Promise<{ code?: string; message?: string } | undefined> {
  return p.then(
    () => undefined,
    (e: unknown) => e as { code?: string; message?: string },
  );
}

void t.test('a receiver attach is refused with server-busy (ServiceBusy)', async (t) => {
  const { sim, client, events } = await start(t);
  await client.createSender('q1').sendMessages({ body: 'held' });
  sim.faults.serverBusy = true;
  const refused = await failure(
    client.createReceiver('q1').receiveMessages(1, { maxWaitTimeInMs: 1000 }),
  );
  t.equal(refused?.code, 'ServiceBusy', 'the SDK reports ServiceBusy');
  t.match(refused?.message, /throttled/);
  t.match(
    events.filter((e) => e.channel === 'sim:sb:attach' && e.outcome === 'refused'),
    [{ address: 'q1', code: 'SIM_E_AMQP_FAULT', condition: BUSY }],
    'sim:sb:attach says refused, server-busy',
  );
  await client.createSender('q1').sendMessages({ body: 'sent while busy' });
  t.equal(sim.engine.messages('q1').length, 2, 'sends are not throttled');
  sim.faults.serverBusy = undefined;
  const got = await client.createReceiver('q1').receiveMessages(2, { maxWaitTimeInMs: 2000 });
  t.equal(got.length, 2, 'once the throttling is over the receiver gets both');
});

void t.test('a settlement is refused with server-busy and the message stays locked', async (t) => {
  const { sim, client, events } = await start(t);
  await client.createSender('q1').sendMessages({ body: 'to settle' });
  const receiver = client.createReceiver('q1');
  const [m] = await receiver.receiveMessages(1, { maxWaitTimeInMs: 5000 });
  if (m === undefined) throw new Error('no message');
  sim.faults.serverBusy = true;
  const refused = await failure(receiver.completeMessage(m));
  t.equal(refused?.code, 'ServiceBusy', 'complete fails with ServiceBusy');
  t.match(
    events.filter((e) => e.channel === 'sim:sb:disposition'),
    [{ entity: 'q1', refused: 'SIM_E_AMQP_FAULT', condition: BUSY }],
  );
  const [held] = sim.engine.messages('q1');
  t.equal(held?.state, 'active', 'the message is still there');
  t.ok(held?.lockToken, 'and still locked');
  sim.faults.serverBusy = undefined;
});

void t.test('a streaming receiver is detached while busy and resumes after', async (t) => {
  const { sim, client, events } = await start(t);
  const receiver = client.createReceiver('q1');
  const errors: ProcessErrorArgs[] = [];
  const bodies: unknown[] = [];
  let gotOne: () => void = () => undefined;
  const received = new Promise<void>((resolve) => {
    gotOne = resolve;
  });
  let erred: () => void = () => undefined;
  const firstError = new Promise<void>((resolve) => {
    erred = resolve;
  });
  const sub = receiver.subscribe({
    processMessage: async (m) => {
      bodies.push(m.body);
      await receiver.completeMessage(m);
      gotOne();
    },
    processError: (args) => {
      errors.push(args);
      erred();
      return Promise.resolve();
    },
  });
  t.teardown(() => sub.close());
  // Wait for the link to be attached with credit.
  for (let i = 0; i < 100; i++) {
    if (events.some((e) => e.channel === 'sim:sb:attach' && e.role === 'receive')) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  sim.faults.serverBusy = true;
  await client.createSender('q1').sendMessages({ body: 'arrives while busy' });
  await firstError;
  t.equal(errors[0]?.errorSource, 'receive');
  t.equal((errors[0]?.error as { code?: string }).code, 'ServiceBusy');
  t.ok(
    events.some((e) => e.channel === 'sim:sb:detach' && e.reason === BUSY),
    'the link was detached with server-busy',
  );
  t.same(bodies, [], 'nothing delivered while busy');
  sim.faults.serverBusy = undefined;
  await received;
  t.same(bodies, ['arrives while busy'], 'delivered once the throttling is over');
});

void t.test('serverBusyEntities throttles only the entities named', async (t) => {
  const { sim, client } = await start(t);
  await client.createSender('q2').sendMessages({ body: 'q2' });
  sim.faults.serverBusy = true;
  sim.faults.serverBusyEntities = ['Q1'];
  const q1 = await failure(
    client.createReceiver('q1').receiveMessages(1, { maxWaitTimeInMs: 500 }),
  );
  t.equal(q1?.code, 'ServiceBusy', 'q1 (named, any case) is refused');
  const dlq = await failure(
    client
      .createReceiver('q1', { subQueueType: 'deadLetter' })
      .receiveMessages(1, { maxWaitTimeInMs: 500 }),
  );
  t.equal(dlq?.code, 'ServiceBusy', 'and its dead-letter queue');
  const got = await client.createReceiver('q2').receiveMessages(1, { maxWaitTimeInMs: 2000 });
  t.equal(got.length, 1, 'q2 is not throttled');
});
