// Abusive peers against the simulated namespace's AMQP edge. In: raw sockets and a bare rhea
// client sending a bad protocol header, a 10 MB frame, an unknown performative, undecodable
// bytes and 10,000 link attaches. Out: each gets an AMQP error (or the AMQP header, for a
// non-AMQP peer) and a closed connection; the simulator keeps serving the real SDK.
import { randomBytes } from 'node:crypto';
import diagnostics from 'node:diagnostics_channel';
import { connect as netConnect } from 'node:net';
import { ServiceBusClient } from '@azure/service-bus';
import { create_container, type Connection, type EventContext } from 'rhea';
import t from 'tap';
import { startServiceBusSimulator, type ServiceBusSimulator } from '../src/cloud/servicebus';

const KEY = randomBytes(32).toString('base64');

async function start(test: tap.Test): Promise<ServiceBusSimulator> {
  const sim = await startServiceBusSimulator({
    config: {
      namespace: 'council-42',
      authorizationRules: [
        { keyName: 'RootManageSharedAccessKey', key: KEY, rights: ['Manage', 'Listen', 'Send'] },
      ],
      queues: [{ name: 'q1' }],
    },
    listeners: { plain: {}, tls: false, websocket: false },
  });
  test.teardown(() => sim.close());
  return sim;
}

/** Opens a bare rhea connection (no SASL) and resolves once the simulator's open arrived. */
function openBare(
  port: number,
): Promise<{ conn: Connection; closed: Promise<string | undefined> }> {
  const container = create_container({ id: 'abuser' });
  return new Promise((resolve, reject) => {
    const conn = container.connect({ host: '127.0.0.1', port, reconnect: false });
    const closed = new Promise<string | undefined>((done) => {
      let condition: string | undefined;
      conn.on('connection_error', (ctx: EventContext) => {
        condition = (ctx.connection.error as { condition?: string } | undefined)?.condition;
      });
      conn.on('connection_close', () => {
        // connection_error came first when there was one.
        done(condition);
      });
      conn.on('disconnected', () => {
        done(condition);
      });
      conn.on('error', () => {
        // reported through connection_error / disconnected
      });
    });
    conn.once('connection_open', () => {
      resolve({ conn, closed });
    });
    conn.once('disconnected', () => {
      reject(new Error('disconnected before open'));
    });
  });
}

function rawSocketOf(conn: Connection): { write(b: Buffer): void } {
  return (conn as unknown as { socket: { write(b: Buffer): void } }).socket;
}

/** An AMQP frame (type 0, channel 0) around `body`. */
function frame(body: Buffer, announced?: number): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(announced ?? body.length + 8, 0);
  head[4] = 2;
  head[5] = 0;
  head.writeUInt16BE(0, 6);
  return Buffer.concat([head, body]);
}

/** The real SDK still sends and receives on this simulator. */
async function stillServes(test: tap.Test, sim: ServiceBusSimulator): Promise<void> {
  const client = new ServiceBusClient(sim.listeners.plain?.connectionString ?? '');
  try {
    await client.createSender('q1').sendMessages({ body: 'still here' });
    const [m] = await client
      .createReceiver('q1', { receiveMode: 'receiveAndDelete' })
      .receiveMessages(1, {
        maxWaitTimeInMs: 5000,
      });
    test.equal(m?.body, 'still here', 'the simulator still serves the SDK');
  } finally {
    await client.close();
  }
}

void t.test(
  'a peer that does not speak AMQP gets the AMQP header and a closed socket',
  async (t) => {
    const sim = await start(t);
    const bytes = await new Promise<Buffer>((resolve, reject) => {
      const chunks: Buffer[] = [];
      const s = netConnect({ host: '127.0.0.1', port: sim.listeners.plain?.port ?? 0 }, () => {
        s.write('GET / HTTP/1.1\r\nHost: council-42.servicebus.windows.net\r\n\r\n');
      });
      s.on('data', (c: Buffer) => chunks.push(c));
      s.on('close', () => {
        resolve(Buffer.concat(chunks));
      });
      s.on('error', reject);
    });
    t.same(
      [...bytes],
      [0x41, 0x4d, 0x51, 0x50, 3, 1, 0, 0],
      'the AMQP 1.0 SASL header, then close',
    );
    await stillServes(t, sim);
  },
);

void t.test('a 10 MB frame is refused with framing-error and a closed connection', async (t) => {
  const sim = await start(t);
  const errors: unknown[] = [];
  const onError = (m: unknown): void => {
    errors.push(m);
  };
  diagnostics.subscribe('sim:sb:protocol-error', onError);
  t.teardown(() => diagnostics.unsubscribe('sim:sb:protocol-error', onError));
  const { conn, closed } = await openBare(sim.listeners.plain?.port ?? 0);
  const tenMb = 10 * 1024 * 1024;
  rawSocketOf(conn).write(frame(Buffer.alloc(tenMb - 8), tenMb));
  t.equal(
    await closed,
    'amqp:connection:framing-error',
    'closed with amqp:connection:framing-error',
  );
  t.match(errors, [
    {
      code: 'SIM_E_AMQP_FRAME_TOO_LARGE',
      message: /10485760 bytes exceeds the max-frame-size of 65536/,
    },
  ]);
  await stillServes(t, sim);
});

void t.test('an unknown performative is refused with decode-error', async (t) => {
  const sim = await start(t);
  const { conn, closed } = await openBare(sim.listeners.plain?.port ?? 0);
  // A described list with descriptor 0x7f: no AMQP performative has that code.
  rawSocketOf(conn).write(frame(Buffer.from([0x00, 0x53, 0x7f, 0x45])));
  t.equal(await closed, 'amqp:decode-error', 'closed with amqp:decode-error');
  await stillServes(t, sim);
});

void t.test('undecodable frame bodies are refused with decode-error', async (t) => {
  const sim = await start(t);
  const { conn, closed } = await openBare(sim.listeners.plain?.port ?? 0);
  rawSocketOf(conn).write(frame(randomBytes(64)));
  const condition = await closed;
  t.ok(
    condition === 'amqp:decode-error' || condition === 'amqp:connection:framing-error',
    `closed with an AMQP error (${String(condition)})`,
  );
  await stillServes(t, sim);
});

void t.test(
  '10,000 links on one connection: resource-limit-exceeded, connection closed',
  async (t) => {
    const sim = await start(t);
    const { conn, closed } = await openBare(sim.listeners.plain?.port ?? 0);
    const serverSide = new Promise<void>((resolve) => {
      const listener = (m: unknown): void => {
        if ((m as { state?: string }).state !== 'closed') return;
        diagnostics.unsubscribe('sim:sb:connection', listener);
        resolve();
      };
      diagnostics.subscribe('sim:sb:connection', listener);
    });
    for (let i = 0; i < 10_000; i++) {
      conn.open_sender({ name: `flood-${i}`, target: { address: '$cbs' } });
    }
    t.equal(
      await closed,
      'amqp:resource-limit-exceeded',
      'closed with amqp:resource-limit-exceeded',
    );
    await serverSide;
    t.equal(sim.connectionCount, 0, 'the flooding connection is gone');
    await stillServes(t, sim);
  },
);
