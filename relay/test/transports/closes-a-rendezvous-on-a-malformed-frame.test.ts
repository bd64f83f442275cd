// The listener's own WebSocket client against a raw server on 127.0.0.1 that answers the
// rendezvous handshake by hand: a malformed frame closes that socket with the close code it
// calls for (1002, 1007) and never throws; a wrong Sec-WebSocket-Accept or a refused handshake
// fails the rendezvous as RELAY_E_HC_RENDEZVOUS; pings get a pong with the same payload, and
// every client frame is masked. The listener keeps serving after each.
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import t from 'tap';
import WebSocket, { WebSocketServer } from 'ws';
import { HybridListener } from '../../src/transports/hc-listener';
import { EventLog } from './helpers/events';
import { FakeScheduler } from './helpers/fake-scheduler';
import { Inbox } from './helpers/mock-service';

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

/** Reads the client's (masked) frames from a raw socket; ends it after the client's close. */
class ClientFrames {
  readonly frames = new Inbox<{ opcode: number; payload: Buffer; masked: boolean }>();
  readonly #socket: Socket;
  #buffer = Buffer.alloc(0);

  constructor(socket: Socket) {
    this.#socket = socket;
    socket.on('data', (chunk: Buffer) => {
      this.#buffer = Buffer.concat([this.#buffer, chunk]);
      this.#parse();
    });
  }

  #parse(): void {
    for (;;) {
      const b = this.#buffer;
      if (b.length < 2) return;
      const masked = ((b[1] ?? 0) & 0x80) !== 0;
      const len7 = (b[1] ?? 0) & 0x7f;
      const ext = len7 === 126 ? 2 : len7 === 127 ? 8 : 0;
      const head = 2 + ext + (masked ? 4 : 0);
      if (b.length < head) return;
      const length = ext === 0 ? len7 : ext === 2 ? b.readUInt16BE(2) : b.readUInt32BE(6);
      if (b.length < head + length) return;
      const payload = Buffer.from(b.subarray(head, head + length));
      if (masked) {
        const mask = b.subarray(2 + ext, 6 + ext);
        for (let i = 0; i < payload.length; i++)
          payload[i] = (payload[i] ?? 0) ^ (mask[i & 3] ?? 0);
      }
      const opcode = (b[0] ?? 0) & 0x0f;
      this.frames.put({ opcode, payload, masked });
      this.#buffer = b.subarray(head + length);
      if (opcode === 0x8) this.#socket.end(); // the server's side of the closing handshake
    }
  }
}

type Rendezvous = (req: IncomingMessage, socket: Socket) => void;

async function start(t: tap.Test) {
  const wss = new WebSocketServer({ noServer: true });
  const control = new Inbox<WebSocket>();
  const raw = new Inbox<Rendezvous>();
  const server = createServer();
  const sockets = new Set<Socket>();
  server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    socket.on('error', () => undefined);
    sockets.add(socket);
    socket.on('end', () => socket.end());
    const url = new URL(req.url ?? '/', 'ws://127.0.0.1');
    if (url.searchParams.get('sb-hc-action') === 'listen') {
      wss.handleUpgrade(req, socket, head, (ws) => {
        control.put(ws);
      });
      return;
    }
    void raw.take().then((handle) => {
      handle(req, socket);
    });
  });
  server.listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', resolve));
  const port = (server.address() as AddressInfo).port;
  const scheduler = new FakeScheduler();
  const events = new EventLog(t, 'council-tax');
  const listener = new HybridListener(
    {
      endpoint: `ws://127.0.0.1:${port}`,
      path: 'council-tax',
      keyName: 'RootListen',
      key: randomBytes(32).toString('base64'),
      insecure: true,
    },
    {
      scheduler,
      handler: async (req, res) => {
        req.body.resume();
        await res.send(200, 'served');
      },
    },
  );
  t.teardown(async () => {
    const closing = listener.close();
    scheduler.advance(listener.config.shutdownGraceMs + listener.config.closeTimeoutMs);
    await closing;
    for (const c of wss.clients) c.terminate();
    for (const s of sockets) s.destroy();
    server.closeAllConnections();
    await new Promise<void>((resolve) =>
      server.close(() => {
        resolve();
      }),
    );
  });
  listener.start();
  const ws = await control.take();
  await listener.ready();
  const answers = new Inbox<string>();
  ws.on('message', (data: Buffer, isBinary: boolean) => {
    if (!isBinary) answers.put(data.toString('utf8'));
  });
  let n = 0;
  return {
    listener,
    events,
    /** Announces a rendezvous whose handshake `handle` answers by hand. */
    rendezvous(handle: Rendezvous): string {
      const id = `r${++n}`;
      raw.put(handle);
      ws.send(
        JSON.stringify({
          request: {
            address: `ws://127.0.0.1:${port}/$hc/council-tax?sb-hc-action=request&sb-hc-id=${id}`,
            id,
          },
        }),
      );
      return id;
    },
    /** A small request on the control channel: answered while everything else goes on. */
    async stillServes(): Promise<unknown> {
      ws.send(
        JSON.stringify({
          request: { id: `c${++n}`, method: 'GET', requestTarget: '/', requestHeaders: {} },
        }),
      );
      return JSON.parse(await answers.take()) as unknown;
    },
  };
}

/** An unmasked server frame (payload under 64 KiB). */
function serverFrame(opcode: number, payload: Buffer): Buffer {
  const head =
    payload.length < 126
      ? Buffer.from([0x80 | opcode, payload.length])
      : Buffer.from([0x80 | opcode, 126, payload.length >> 8, payload.length & 0xff]);
  return Buffer.concat([head, payload]);
}

/** The 101 answer for `req` (with the right Sec-WebSocket-Accept unless told otherwise). */
function accept(req: IncomingMessage, socket: Socket, acceptValue?: string): void {
  const key = String(req.headers['sec-websocket-key']);
  const value =
    acceptValue ??
    createHash('sha1')
      .update(key + GUID)
      .digest('base64');
  socket.write(
    `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${value}\r\n\r\n`,
  );
}

void t.test('a frame with reserved bits set closes the rendezvous with 1002', async (t) => {
  const h = await start(t);
  const got = new Inbox<ClientFrames>();
  const id = h.rendezvous((req, socket) => {
    accept(req, socket);
    got.put(new ClientFrames(socket));
    socket.write(Buffer.from([0xc2, 0x01, 0x00])); // RSV1 + binary, 1 byte
  });
  const frames = await got.take();
  const close = await frames.frames.take();
  t.equal(close.opcode, 0x8, 'the client sent a close frame');
  t.ok(close.masked, 'masked');
  t.equal(close.payload.readUInt16BE(0), 1002, 'with 1002');
  t.match(await h.events.until('relay:hc:rendezvous', (e) => e.event === 'closed'), {
    requestId: id,
    code: 1002,
  });
  t.match(await h.stillServes(), { response: { statusCode: 200 } }, 'the listener serves on');
});

void t.test('a text frame that is not UTF-8 closes the rendezvous with 1007', async (t) => {
  const h = await start(t);
  const got = new Inbox<ClientFrames>();
  h.rendezvous((req, socket) => {
    accept(req, socket);
    got.put(new ClientFrames(socket));
    socket.write(Buffer.from([0x81, 0x02, 0xc3, 0x28]));
  });
  const close = await (await got.take()).frames.take();
  t.equal(close.opcode, 0x8);
  t.equal(close.payload.readUInt16BE(0), 1007);
  t.match(await h.events.until('relay:hc:rendezvous', (e) => e.event === 'closed'), {
    code: 1007,
  });
  t.match(await h.stillServes(), { response: { statusCode: 200 } });
});

void t.test('a wrong Sec-WebSocket-Accept fails the rendezvous handshake', async (t) => {
  const h = await start(t);
  const id = h.rendezvous((req, socket) => {
    accept(req, socket, 'bm90IHRoZSByaWdodCBhbnN3ZXI=');
  });
  t.match(await h.events.until('relay:hc:rendezvous', (e) => e.event === 'failed'), {
    requestId: id,
  });
  t.match(await h.events.until('relay:hc:fault', (e) => e.requestId === id), {
    code: 'RELAY_E_HC_RENDEZVOUS',
    message: /Sec-WebSocket-Accept/,
  });
  t.match(await h.stillServes(), { response: { statusCode: 200 } });
});

void t.test('a refused rendezvous handshake is reported with its status', async (t) => {
  const h = await start(t);
  const id = h.rendezvous((_req, socket) => {
    socket.end('HTTP/1.1 410 Gone\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
  });
  t.match(await h.events.until('relay:hc:rendezvous', (e) => e.event === 'failed'), {
    requestId: id,
    status: 410,
  });
  t.match(await h.stillServes(), { response: { statusCode: 200 } });
});

void t.test(
  'a ping gets a masked pong with the same payload, then a request is served',
  async (t) => {
    const h = await start(t);
    const got = new Inbox<{ frames: ClientFrames; socket: Socket }>();
    const id = h.rendezvous((req, socket) => {
      accept(req, socket);
      got.put({ frames: new ClientFrames(socket), socket });
      socket.write(Buffer.from([0x89, 0x04, ...Buffer.from('ping')]));
    });
    const { frames, socket } = await got.take();
    const pong = await frames.frames.take();
    t.equal(pong.opcode, 0xa);
    t.ok(pong.masked);
    t.equal(pong.payload.toString(), 'ping');
    const request = Buffer.from(
      JSON.stringify({ request: { id, method: 'GET', requestTarget: '/', requestHeaders: {} } }),
    );
    socket.write(serverFrame(0x1, request));
    const head = await frames.frames.take();
    t.equal(head.opcode, 0x1, 'the response frame');
    t.ok(head.masked);
    t.match(JSON.parse(head.payload.toString()), { response: { requestId: id, statusCode: 200 } });
    const body = await frames.frames.take();
    t.equal(body.opcode, 0x2);
    t.equal(body.payload.toString(), 'served');
  },
);
