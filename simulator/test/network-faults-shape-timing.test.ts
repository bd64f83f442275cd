// Faults that shape time, observed from a real client through the proxy and asserted on the
// injected scheduler, never on the wall clock: latency asks for exactly latencyMs (± jitter),
// bandwidth for exactly bytes / rate, the slicer delivers every byte in many small reads
// delayMs apart, slow_close holds the FIN for delayMs.
import type { Socket } from 'node:net';
import t from 'tap';
import {
  FAULT_KINDS,
  createPrng,
  startNetworkModel,
  type FaultInput,
  type StageContext,
} from '../src/network';
import { ManualScheduler, dial, startTestServer } from '../src/network/testing';

const HOST = 'council-42.servicebus.windows.net';

async function setup(t: tap.Test, faults: FaultInput[]) {
  const echo = await startTestServer('echo');
  t.teardown(() => echo.close());
  const scheduler = new ManualScheduler();
  const model = await startNetworkModel(
    {
      hosts: [
        {
          name: HOST,
          addresses: ['51.140.146.50'],
          services: [{ port: 5671, target: { host: echo.host, port: echo.port } }],
        },
      ],
      faults,
    },
    { scheduler },
  );
  t.teardown(() => model.close());
  const port = model.endpoints.get('51.140.146.50:5671')?.dial.port ?? 0;
  const open = async (): Promise<Socket> => {
    const r = await dial(port);
    if (r.socket === undefined) throw new Error(`dial failed: ${r.error}`);
    t.teardown(() => r.socket.destroy());
    return r.socket;
  };
  return { model, scheduler, open, echo };
}

/** Collects a socket's reads; next() resolves at the next read (or now, if one is waiting). */
function reads(socket: Socket) {
  const chunks: Buffer[] = [];
  let seen = 0;
  let wake: (() => void) | undefined;
  socket.on('data', (c: Buffer) => {
    chunks.push(c);
    wake?.();
  });
  return {
    chunks,
    bytes: () => chunks.reduce((n, c) => n + c.length, 0),
    next: () =>
      new Promise<void>((resolve) => {
        if (chunks.length > seen) {
          seen = chunks.length;
          resolve();
          return;
        }
        wake = () => {
          wake = undefined;
          seen = chunks.length;
          resolve();
        };
      }),
  };
}

void t.test(
  'latency asks the scheduler for exactly latencyMs before a byte comes back',
  async (t) => {
    const { scheduler, open, echo } = await setup(t, [
      { type: 'latency', direction: 'downstream', attributes: { latencyMs: 100 } },
    ]);
    const client = await open();
    const got = reads(client);
    client.write('hello');
    await scheduler.nextTimer();
    t.same(scheduler.pending(), [100], 'one chunk waits 100 ms');
    t.equal(echo.received().toString(), 'hello', 'upstream is not delayed');
    t.equal(got.bytes(), 0, 'nothing reached the client before the delay elapsed');
    scheduler.advance(99);
    t.same(scheduler.pending(), [1], 'still waiting one millisecond before the end');
    scheduler.advance(1);
    await got.next();
    t.equal(Buffer.concat(got.chunks).toString(), 'hello');
    t.same(scheduler.requested, [100]);
  },
);

void t.test('latency jitter stays within latencyMs ± jitterMs and keeps the chunk order', (t) => {
  const scheduler = new ManualScheduler();
  const out: string[] = [];
  const ctx: StageContext = {
    scheduler,
    random: createPrng(42),
    forward: (c) => out.push(c.toString()),
    end: () => out.push('<end>'),
    discard: () => undefined,
    finish: () => undefined,
    close: () => undefined,
    reset: () => undefined,
    note: () => undefined,
  };
  const kind = FAULT_KINDS.get('latency');
  if (kind === undefined) throw new Error('no latency kind');
  const stage = kind.create({ latencyMs: 100, jitterMs: 30 }, ctx);
  const dues: number[] = [];
  for (let i = 0; i < 50; i++) {
    stage.write(Buffer.from(String(i)));
  }
  stage.end();
  // The first chunk's wait is its own delay; later ones wait at most their delay.
  t.ok(
    scheduler.requested[0] !== undefined &&
      scheduler.requested[0] >= 70 &&
      scheduler.requested[0] <= 130,
  );
  for (let step = 0; step < 500 && out.length < 51; step++) {
    const [next] = scheduler.pending();
    if (next === undefined) break;
    dues.push(next);
    scheduler.advance(next);
  }
  t.same(
    out,
    [...Array.from({ length: 50 }, (_, i) => String(i)), '<end>'],
    'in order, then the end',
  );
  t.ok(
    scheduler.now() - 1_000_000 >= 70 && scheduler.now() - 1_000_000 <= 130,
    'all released within the jitter window',
  );
  t.end();
});

void t.test(
  'bandwidth asks for exactly bytes / rate and sends no piece over 100 ms of data',
  async (t) => {
    const { scheduler, open } = await setup(t, [
      { type: 'bandwidth', direction: 'downstream', attributes: { rateKBps: 10 } },
    ]);
    const client = await open();
    const got = reads(client);
    const payload = Buffer.alloc(25_000, 7);
    client.write(payload);
    for (let step = 0; step < 1000 && got.bytes() < payload.length; step++) {
      await scheduler.nextTimer();
      const [wait = 0] = scheduler.pending();
      const before = got.chunks.length;
      scheduler.advance(wait);
      if (got.chunks.length === before) await got.next();
    }
    t.equal(got.bytes(), payload.length, 'every byte arrived');
    t.ok(Buffer.concat(got.chunks).equals(payload), 'unchanged');
    const total = scheduler.requested.reduce((a, b) => a + b, 0);
    t.equal(total, 2500, '25,000 bytes at 10 KB/s take 2,500 ms of scheduled time');
    t.ok(Math.max(...scheduler.requested) <= 100, 'no piece is over 100 ms (1,000 bytes) of data');
    t.ok(
      got.chunks.every((c) => c.length <= 1000),
      'the client never reads more than one piece at once',
    );
  },
);

void t.test('the slicer delivers every byte in many small reads, delayMs apart', async (t) => {
  const { scheduler, open } = await setup(t, [
    {
      type: 'slicer',
      direction: 'downstream',
      attributes: { averageSize: 10, sizeVariation: 4, delayMs: 5 },
    },
  ]);
  const client = await open();
  const got = reads(client);
  const payload = Buffer.from('0123456789'.repeat(12));
  client.write(payload);
  await got.next();
  for (let step = 0; step < 200 && got.bytes() < payload.length; step++) {
    t.same(scheduler.pending(), [5], 'the next slice waits 5 ms');
    scheduler.advance(5);
    await got.next();
  }
  t.ok(Buffer.concat(got.chunks).equals(payload), 'all 120 bytes, in order');
  t.ok(got.chunks.length >= 8, `${got.chunks.length} reads of about 10 bytes`);
  t.ok(
    got.chunks.every((c) => c.length <= 14 + 4),
    'no slice far above averageSize + sizeVariation',
  );
});

void t.test('slow_close holds the end of the stream for delayMs', async (t) => {
  const { scheduler, open } = await setup(t, [
    { type: 'slow_close', direction: 'downstream', attributes: { delayMs: 300 } },
  ]);
  const client = await open();
  const got = reads(client);
  let ended = false;
  const end = new Promise<void>((resolve) => {
    client.once('end', () => {
      ended = true;
      resolve();
    });
  });
  client.end('bye');
  await got.next();
  t.equal(Buffer.concat(got.chunks).toString(), 'bye', 'data passes at once');
  await scheduler.nextTimer();
  t.same(scheduler.pending(), [300]);
  t.notOk(ended, 'the FIN has not arrived');
  scheduler.advance(300);
  await end;
  t.ok(ended, 'the FIN arrives once the delay has elapsed');
});

void t.test(
  'a fault added at run time reaches open connections and its removal releases held data',
  async (t) => {
    const { scheduler, open, model } = await setup(t, []);
    const client = await open();
    const got = reads(client);
    client.write('a');
    await got.next();
    await model.faults.add({ name: 'lag', type: 'latency', attributes: { latencyMs: 1000 } });
    client.write('b');
    await scheduler.nextTimer();
    t.same(scheduler.pending(), [1000]);
    await model.faults.remove('lag');
    await got.next();
    t.equal(
      Buffer.concat(got.chunks).toString(),
      'ab',
      'the held chunk went on when the fault was removed',
    );
    t.same(scheduler.pending(), [], 'its timer was cancelled');
  },
);
