// Faults that cut connections, observed from a real client through the proxy: reset_peer is
// a real ECONNRESET, limit_data closes after exactly N bytes, timeout is a blackhole that the
// client's own timeout notices (and that can close after N ms), down refuses with a real
// ECONNREFUSED; each applies to the direction it names only.
import type { Socket } from 'node:net';
import t from 'tap';
import { startNetworkModel, type FaultInput, type Scheduler } from '../src/network';
import {
  ManualScheduler,
  dial,
  readBytes,
  readToClose,
  startTestServer,
} from '../src/network/testing';

const HOST = 'council-42.servicebus.windows.net';

async function setup(
  t: tap.Test,
  faults: FaultInput[],
  options: { scheduler?: Scheduler; mode?: 'echo' | 'sink' } = {},
) {
  const server = await startTestServer(options.mode ?? 'echo');
  t.teardown(() => server.close());
  const model = await startNetworkModel(
    {
      hosts: [
        {
          name: HOST,
          addresses: ['51.140.146.50'],
          services: [{ port: 5671, target: { host: server.host, port: server.port } }],
        },
      ],
      faults,
    },
    options.scheduler === undefined ? {} : { scheduler: options.scheduler },
  );
  t.teardown(() => model.close());
  const port = (): number => model.endpoints.get('51.140.146.50:5671')?.dial.port ?? 0;
  const open = async (): Promise<Socket> => {
    const r = await dial(port());
    if (r.socket === undefined) throw new Error(`dial failed: ${r.error}`);
    t.teardown(() => r.socket.destroy());
    return r.socket;
  };
  return { model, server, open, port };
}

void t.test('reset_peer resets the connection: the client reads ECONNRESET', async (t) => {
  const { open, server, model } = await setup(t, [
    { type: 'reset_peer', direction: 'upstream', attributes: { timeoutMs: 0 } },
  ]);
  const client = await open();
  const done = readToClose(client);
  client.write('hello?');
  const r = await done;
  t.equal(r.error, 'ECONNRESET');
  t.equal(r.data.length, 0, 'no byte came back');
  t.equal(server.received().length, 0, 'the held chunk never reached the simulator');
  const fault = model.events
    .since(0)
    .filter((e) => e.channel === 'sim:net:fault')
    .map((e) => e.data.action);
  t.same(fault, ['armed', 'reset']);
  const close = model.events.since(0).find((e) => e.channel === 'sim:net:proxy-close');
  t.match(close?.data, { reason: 'reset_peer', bytesUp: 0 });
});

void t.test('reset_peer waits timeoutMs after the first byte, on the scheduler', async (t) => {
  const scheduler = new ManualScheduler();
  const { open } = await setup(
    t,
    [{ type: 'reset_peer', direction: 'downstream', attributes: { timeoutMs: 500 } }],
    { scheduler },
  );
  const client = await open();
  const done = readToClose(client);
  client.write('ping');
  await scheduler.nextTimer();
  t.same(scheduler.pending(), [500], 'armed by the first byte from the simulator');
  scheduler.advance(500);
  const r = await done;
  t.equal(r.error, 'ECONNRESET');
  t.equal(r.data.length, 0, 'the held reply was not delivered');
});

void t.test('limit_data closes after exactly N bytes in its direction', async (t) => {
  const { open } = await setup(t, [
    { type: 'limit_data', direction: 'downstream', attributes: { bytes: 40 } },
  ]);
  const client = await open();
  const done = readToClose(client);
  const payload = Buffer.alloc(100);
  for (let i = 0; i < payload.length; i++) payload[i] = i;
  client.write(payload);
  const r = await done;
  t.equal(r.data.length, 40, 'exactly 40 bytes');
  t.ok(r.data.equals(payload.subarray(0, 40)), 'the first 40');
  t.ok(r.ended, 'then a FIN');
  t.equal(r.error, undefined, 'a clean close, not a reset');
});

void t.test('a fault hits only the direction it names', async (t) => {
  const up = await setup(
    t,
    [{ type: 'limit_data', direction: 'upstream', attributes: { bytes: 5 } }],
    {
      mode: 'sink',
    },
  );
  const a = await up.open();
  const aDone = readToClose(a);
  a.write('0123456789');
  await aDone;
  t.equal(up.server.received().toString(), '01234', 'upstream: the simulator got exactly 5 bytes');

  const down = await setup(t, [
    { type: 'limit_data', direction: 'downstream', attributes: { bytes: 5 } },
  ]);
  const b = await down.open();
  const bDone = readToClose(b);
  b.write('0123456789');
  const r = await bDone;
  t.equal(r.data.toString(), '01234', 'downstream: the client got exactly 5 bytes');
  t.equal(down.server.received().toString(), '0123456789', 'and the simulator got all 10');
});

void t.test(
  'timeout is a blackhole: no byte and no close before the client gives up',
  async (t) => {
    const { open, server, model } = await setup(t, [
      { name: 'hole', type: 'timeout', direction: 'downstream', attributes: { timeoutMs: 0 } },
    ]);
    const client = await open();
    const seen: string[] = [];
    client.on('data', () => seen.push('data'));
    client.on('end', () => seen.push('end'));
    client.on('close', () => seen.push('close'));
    client.setTimeout(50);
    client.write('hello');
    await new Promise<void>((resolve) => client.once('timeout', resolve));
    client.setTimeout(0);
    t.same(seen, [], 'silence until the client timeout fired');
    t.equal(server.received().toString(), 'hello', 'upstream still flows');
    await model.faults.remove('hole');
    t.equal(
      (await readBytes(client, 5)).toString(),
      'hello',
      'removing the fault releases what it held',
    );
  },
);

void t.test('timeout closes the connection after timeoutMs on the scheduler', async (t) => {
  const scheduler = new ManualScheduler();
  const { open, model } = await setup(
    t,
    [{ type: 'timeout', direction: 'upstream', attributes: { timeoutMs: 1000 } }],
    { scheduler },
  );
  const client = await open();
  const done = readToClose(client);
  await scheduler.nextTimer();
  t.same(scheduler.pending(), [1000]);
  client.write('lost');
  scheduler.advance(1000);
  const r = await done;
  t.ok(r.ended, 'a FIN');
  t.equal(r.error, undefined);
  t.equal(r.data.length, 0);
  const close = model.events.since(0).find((e) => e.channel === 'sim:net:proxy-close');
  t.match(close?.data, { reason: 'timeout', bytesUp: 0 });
});

void t.test(
  'down refuses with ECONNREFUSED, closes open connections, and recovers on the same port',
  async (t) => {
    const { open, model, port } = await setup(t, []);
    const before = port();
    const client = await open();
    const done = readToClose(client);
    await model.faults.add({ name: 'outage', type: 'down', endpoint: { host: HOST, port: 5671 } });
    t.equal(model.endpoints.get('51.140.146.50:5671')?.state, 'refusing');
    const r = await done;
    t.ok(r.ended || r.error !== undefined, 'the open connection was closed');
    t.same(await dial(before), { error: 'ECONNREFUSED' });
    await model.faults.remove('outage');
    t.equal(port(), before);
    const again = await open();
    again.write('up');
    t.equal((await readBytes(again, 2)).toString(), 'up');
  },
);

void t.test(
  'a fault for the open connections blackholes them and passes the connections opened after it (a middlebox that forgot its flows)',
  async (t) => {
    const { open, model } = await setup(t, []);
    const before = await open();
    before.write('a');
    t.equal((await readBytes(before, 1)).toString(), 'a', 'the echo works before the fault');
    await model.faults.add({
      name: 'forgotten',
      type: 'timeout',
      direction: 'downstream',
      connections: 'open',
      attributes: { timeoutMs: 0 },
    });
    const after = await open();
    after.write('b');
    t.equal((await readBytes(after, 1)).toString(), 'b', 'a connection opened afterwards passes');
    const seen: string[] = [];
    before.on('data', () => seen.push('data'));
    before.on('end', () => seen.push('end'));
    before.setTimeout(50);
    before.write('c');
    await new Promise<void>((resolve) => before.once('timeout', resolve));
    before.setTimeout(0);
    t.same(seen, [], 'the connection open when it was added hears nothing, and is not closed');
    const notes = model.events
      .since(0)
      .filter((e) => e.channel === 'sim:net:fault')
      .map((e) => [e.data.action, e.data.connections]);
    t.same(notes, [
      ['armed', undefined],
      ['skipped', 'open'],
    ]);
    t.same(model.faults.list()[0]?.connections, 'open', 'the control view shows which connections');
  },
);

void t.test('a fault for new connections leaves the open ones alone', async (t) => {
  const { open, model } = await setup(t, []);
  const before = await open();
  await model.faults.add({
    name: 'from-now',
    type: 'limit_data',
    direction: 'downstream',
    connections: 'new',
    attributes: { bytes: 2 },
  });
  before.write('open');
  t.equal((await readBytes(before, 4)).toString(), 'open', 'the open connection passes all 4');
  const after = await open();
  const done = readToClose(after);
  after.write('new!');
  t.equal((await done).data.toString(), 'ne', 'a new one is cut after 2 bytes');
});

void t.test('a down fault must act on all connections', async (t) => {
  const { model } = await setup(t, []);
  await t.rejects(model.faults.add({ name: 'x', type: 'down', connections: 'open' }), {
    code: 'SIM_E_NET_FAULT',
    message: /connections.*must be "all"/,
  });
});
