// The proxies copy bytes and never terminate TLS: a real TLS client verifies the simulator's
// certificate (by its Azure name) through a proxy, even with a slicer cutting the records
// apart; large transfers arrive intact with back-pressure; a flow pauses its source while its
// sink wants a drain or its stages hold more than HIGH_WATER bytes.
import { X509Certificate, createHash, randomBytes } from 'node:crypto';
import { connect as tlsConnect, createServer as tlsCreateServer, type TLSSocket } from 'node:tls';
import type { AddressInfo } from 'node:net';
import t from 'tap';
import { createTlsMaterial } from '../src/cloud/tls/ca';
import {
  HIGH_WATER,
  createPrng,
  startNetworkModel,
  systemScheduler,
  type FaultInput,
} from '../src/network';
import { FAULT_KINDS, Flow } from '../src/network/faults';
import { dial, readToClose, startTestServer } from '../src/network/testing';

const HOST = 'council-42.servicebus.windows.net';

async function tlsEcho(t: tap.Test) {
  const material = createTlsMaterial({ hosts: [HOST, '127.0.0.1'] });
  const server = tlsCreateServer(
    { key: material.key, cert: material.cert, minVersion: 'TLSv1.2' },
    (s) => {
      s.on('error', () => undefined);
      s.pipe(s);
    },
  );
  await new Promise<void>((resolve) => {
    server.listen(0, '127.0.0.1', resolve);
  });
  t.teardown(
    () =>
      new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
      }),
  );
  return { material, port: (server.address() as AddressInfo).port };
}

async function proxyTo(t: tap.Test, port: number, faults: FaultInput[] = []) {
  const model = await startNetworkModel({
    hosts: [
      {
        name: HOST,
        addresses: ['51.140.146.50'],
        services: [{ port: 5671, target: { host: '127.0.0.1', port } }],
      },
    ],
    faults,
  });
  t.teardown(() => model.close());
  return model.endpoints.get('51.140.146.50:5671')?.dial.port ?? 0;
}

function tlsDial(port: number, ca: string): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    const s = tlsConnect({ host: '127.0.0.1', port, servername: HOST, ca, minVersion: 'TLSv1.2' });
    s.once('secureConnect', () => {
      resolve(s);
    });
    s.once('error', reject);
  });
}

async function exchange(socket: TLSSocket, payload: Buffer): Promise<Buffer> {
  const done = readToClose(socket);
  socket.end(payload);
  const r = await done;
  return r.data;
}

void t.test(
  'TLS passes through untouched: the client verifies the simulator certificate',
  async (t) => {
    const { material, port } = await tlsEcho(t);
    const dialPort = await proxyTo(t, port);
    const socket = await tlsDial(dialPort, material.caPem);
    t.ok(socket.authorized, 'verified against the simulator CA for the Azure name');
    const peer = socket.getPeerX509Certificate();
    t.equal(
      peer?.subject.includes(HOST),
      true,
      'the certificate is the simulator’s own, not a proxy’s',
    );
    t.equal(peer?.toString(), new X509Certificate(material.cert).toString());
    const payload = randomBytes(100_000);
    t.ok((await exchange(socket, payload)).equals(payload));
  },
);

void t.test('TLS survives a slicer that cuts its records into 7-byte pieces', async (t) => {
  const { material, port } = await tlsEcho(t);
  const dialPort = await proxyTo(t, port, [
    { type: 'slicer', direction: 'downstream', attributes: { averageSize: 7, sizeVariation: 3 } },
    { type: 'slicer', direction: 'upstream', attributes: { averageSize: 7, sizeVariation: 3 } },
  ]);
  const socket = await tlsDial(dialPort, material.caPem);
  const payload = randomBytes(20_000);
  t.ok((await exchange(socket, payload)).equals(payload));
});

void t.test('8 MiB round trip through a proxy with no faults arrives intact', async (t) => {
  const echo = await startTestServer('echo');
  t.teardown(() => echo.close());
  const dialPort = await proxyTo(t, echo.port);
  const payload = randomBytes(8 * 1024 * 1024);
  const digest = (b: Buffer) => createHash('sha256').update(b).digest('hex');
  const time = async (port: number) => {
    const r = await dial(port);
    if (r.socket === undefined) throw new Error(`dial failed: ${r.error}`);
    const started = process.hrtime.bigint();
    const done = readToClose(r.socket);
    r.socket.end(payload);
    const { data } = await done;
    return { data, ms: Number(process.hrtime.bigint() - started) / 1e6 };
  };
  const direct = await time(echo.port);
  const proxied = await time(dialPort);
  t.equal(digest(proxied.data), digest(payload), 'every byte, in order');
  t.equal(digest(direct.data), digest(payload));
  // Reported, not asserted: timing never decides pass or fail.
  t.comment(
    `8 MiB echo: direct ${direct.ms.toFixed(0)} ms, through the proxy ${proxied.ms.toFixed(0)} ms`,
  );
});

void t.test('a flow pauses its source while the sink wants a drain, and resumes after it', (t) => {
  const pressure: boolean[] = [];
  let accept = true;
  const flow = new Flow('upstream', {
    sink: { write: () => accept, end: () => undefined },
    scheduler: systemScheduler,
    pressure: (p) => pressure.push(p),
    sinkEnded: () => undefined,
    close: () => undefined,
    reset: () => undefined,
    note: () => undefined,
  });
  flow.write(Buffer.alloc(10));
  accept = false;
  flow.write(Buffer.alloc(10));
  t.same(pressure, [true], 'paused when write() returned false');
  flow.drained();
  t.same(pressure, [true, false], 'resumed on drain');
  t.end();
});

void t.test('a flow pauses its source while its stages hold more than HIGH_WATER bytes', (t) => {
  const pressure: boolean[] = [];
  const written: number[] = [];
  const flow = new Flow('downstream', {
    sink: { write: (c) => (written.push(c.length), true), end: () => undefined },
    scheduler: systemScheduler,
    pressure: (p) => pressure.push(p),
    sinkEnded: () => undefined,
    close: () => undefined,
    reset: () => undefined,
    note: () => undefined,
  });
  const kind = FAULT_KINDS.get('timeout');
  if (kind === undefined) throw new Error('no timeout kind');
  flow.arm('hole#1', 'hole', 'timeout', (ctx) => kind.create({ timeoutMs: 0 }, ctx), createPrng(1));
  const chunk = Buffer.alloc(16 * 1024);
  let writes = 0;
  while (pressure.length === 0 && writes < 100) {
    flow.write(chunk);
    writes++;
  }
  t.equal(
    writes * chunk.length,
    HIGH_WATER + chunk.length,
    'paused as soon as the stages held more than HIGH_WATER',
  );
  t.same(written, [], 'nothing passed the blackhole');
  flow.detach('hole#1');
  t.same(pressure, [true, false], 'resumed once the held bytes went on');
  t.equal(
    written.reduce((a, b) => a + b, 0),
    writes * chunk.length,
  );
  t.end();
});
