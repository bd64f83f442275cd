// A request body on a rendezvous socket streams: the handler gets its first bytes while the
// rest is still on the wire, and reading stops while the handler's body stream is full, so a
// handler that reads slowly never makes the listener hold more than a bounded number of bytes
// (listener.peakBufferedRequestBytes). Scripted streaming sockets drive the listener core; a
// real WebSocket server on 127.0.0.1 drives the listener's own client end to end.
import { createHash, randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import t from 'tap';
import WebSocket, { WebSocketServer } from 'ws';
import { BODY_HIGH_WATER } from '../../src/transports/hc-exchange';
import type { HcRequest, HcResponse } from '../../src/transports/hc-handler';
import { HybridListener } from '../../src/transports/hc-listener';
import { FakeScheduler } from './helpers/fake-scheduler';
import { Inbox } from './helpers/mock-service';
import { requestFrame, setup } from './helpers/setup';
import { StreamingFactory } from './helpers/streaming-socket';

const KIB = 1024;
const PIECE = 16 * KIB;

function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** A handler that hands each request to the test and answers when told. */
function heldHandler() {
  const requests = new Inbox<{ req: HcRequest; res: HcResponse }>();
  return {
    requests,
    handler: (req: HcRequest, res: HcResponse) => {
      requests.put({ req, res });
    },
  };
}

void t.test('the handler gets the first piece of a body before the body is whole', async (t) => {
  const sockets = new StreamingFactory();
  const held = heldHandler();
  const s = setup(t, { handler: held.handler, sockets });
  const peer = await s.connect();
  peer.sendJson({ request: { address: s.address('s1'), id: 's1' } });
  const rdv = await sockets.next();
  rdv.accept();
  rdv.json(requestFrame('s1', { method: 'POST', body: true }));
  t.equal(held.requests.size, 0, 'nothing is dispatched before the first body bytes');
  rdv.piece(Buffer.from('first '), false);
  const { req, res } = await held.requests.take();
  t.equal(req.mode, 'rendezvous');
  const first = await new Promise<Buffer>((resolve) => req.body.once('data', resolve));
  t.equal(first.toString(), 'first ', 'the first piece arrived on its own');
  t.equal(req.size, 6, 'size counts what arrived so far');
  t.same(s.events.list('relay:hc:request-received'), [], 'not yet received whole');
  const rest: Buffer[] = [];
  req.body.on('data', (c: Buffer) => rest.push(c));
  const ended = new Promise((resolve) => req.body.once('end', resolve));
  rdv.piece(Buffer.from('second '), false);
  rdv.piece(Buffer.from('last'), true);
  await ended;
  t.equal(Buffer.concat(rest).toString(), 'second last');
  t.equal(req.size, 17, 'the whole size once the body ended');
  t.match(await s.events.until('relay:hc:request-received'), {
    requestId: 's1',
    mode: 'rendezvous',
    size: 17,
  });
  await res.send(200, 'ok');
  t.match(await rdv.nextJson(), { response: { requestId: 's1', statusCode: 200 } });
});

void t.test(
  'a handler that reads slowly never makes the listener hold more than a bound',
  async (t) => {
    const sockets = new StreamingFactory();
    const held = heldHandler();
    const s = setup(t, { handler: held.handler, sockets });
    const peer = await s.connect();
    peer.sendJson({ request: { address: s.address('slow'), id: 'slow' } });
    const rdv = await sockets.next();
    rdv.accept();
    rdv.json(requestFrame('slow', { method: 'PUT', body: true }));
    const body = randomBytes(4 * 1024 * KIB);
    let read = 0;
    const got = createHash('sha256');
    // Whenever the socket is not paused the "network" hands over another piece; whenever it
    // is, the handler reads one small chunk. Bounded: each turn moves at least one byte.
    rdv.piece(body.subarray(0, PIECE), false);
    let sent = PIECE;
    const { req, res } = await held.requests.take();
    let turns = 0;
    while ((sent < body.length || read < body.length) && turns++ < 100_000) {
      if (!rdv.paused && sent < body.length) {
        const end = Math.min(sent + PIECE, body.length);
        rdv.piece(body.subarray(sent, end), end === body.length);
        sent = end;
        continue;
      }
      const chunk = req.body.read(4 * KIB) as Buffer | null;
      const rest = chunk ?? (req.body.read() as Buffer | null);
      if (rest === null) break;
      read += rest.length;
      got.update(rest);
    }
    t.equal(read, body.length, 'every byte was read');
    t.equal(got.digest('hex'), sha256(body), 'in order and intact');
    t.ok(rdv.pauses > 10, `reading stopped and started again (${rdv.pauses} pauses)`);
    t.ok(
      s.listener.peakBufferedRequestBytes <= BODY_HIGH_WATER + PIECE,
      `at most ${BODY_HIGH_WATER + PIECE} bytes were held (peak ${s.listener.peakBufferedRequestBytes})`,
    );
    t.ok(s.listener.peakBufferedRequestBytes >= BODY_HIGH_WATER, 'the bound was reached');
    await res.send(201);
    t.match(await rdv.nextJson(), { response: { requestId: 'slow', statusCode: 201 } });
  },
);

void t.test('bytes the socket keeps while paused count towards the figure too', async (t) => {
  const sockets = new StreamingFactory();
  const held = heldHandler();
  const s = setup(t, { handler: held.handler, sockets });
  const peer = await s.connect();
  peer.sendJson({ request: { address: s.address('kept'), id: 'kept' } });
  const rdv = await sockets.next();
  rdv.accept();
  rdv.json(requestFrame('kept', { method: 'PUT', body: true }));
  rdv.held = 10_000;
  rdv.piece(Buffer.alloc(BODY_HIGH_WATER), false);
  t.ok(rdv.paused, 'a full stream pauses the socket');
  t.equal(s.listener.peakBufferedRequestBytes, BODY_HIGH_WATER + 10_000);
  const { req, res } = await held.requests.take();
  req.body.read();
  t.notOk(rdv.paused, 'reading resumes the socket');
  rdv.piece(Buffer.alloc(0), true);
  await res.send(200);
  await rdv.nextJson();
});

void t.test('a request waiting for a slot holds its body within the same bound', async (t) => {
  const sockets = new StreamingFactory();
  const held = heldHandler();
  const s = setup(t, { handler: held.handler, sockets, config: { maxConcurrent: 1 } });
  const peer = await s.connect();
  peer.sendJson(requestFrame('busy'));
  const busy = await held.requests.take();
  peer.sendJson({ request: { address: s.address('queued'), id: 'queued' } });
  const rdv = await sockets.next();
  rdv.accept();
  rdv.json(requestFrame('queued', { method: 'PUT', body: true }));
  let pieces = 0;
  while (!rdv.paused && pieces < 1_000) {
    rdv.piece(Buffer.alloc(PIECE, 1), false);
    pieces++;
  }
  t.ok(rdv.paused, 'the socket stopped although no handler runs yet');
  t.equal(s.listener.queued, 1);
  t.ok(s.listener.peakBufferedRequestBytes <= BODY_HIGH_WATER + PIECE);
  await busy.res.send(200);
  const queued = await held.requests.take();
  t.equal(queued.req.id, 'queued', 'it runs when the slot is free');
  queued.req.body.read();
  t.notOk(rdv.paused);
  rdv.piece(Buffer.alloc(0), true);
  await queued.res.send(200);
  t.match(await rdv.nextJson(), { response: { requestId: 'queued', statusCode: 200 } });
});

void t.test(
  'a response sent before the body was read closes the socket instead of reading on',
  async (t) => {
    const sockets = new StreamingFactory();
    const held = heldHandler();
    const s = setup(t, { handler: held.handler, sockets });
    const peer = await s.connect();
    peer.sendJson({ request: { address: s.address('early'), id: 'early' } });
    const rdv = await sockets.next();
    rdv.accept();
    rdv.json(requestFrame('early', { method: 'PUT', body: true }));
    rdv.piece(Buffer.alloc(PIECE), false);
    const { res } = await held.requests.take();
    await res.send(202, 'not reading that');
    t.match(await rdv.nextJson(), { response: { requestId: 'early', statusCode: 202 } });
    t.same(await rdv.closed, { code: 1000, reason: 'request body not read' });
  },
);

// ---------------------------------------------------------------------------------------
// End to end over a real socket

void t.test(
  'over a real socket the body streams, and a slow handler holds at most a bound',
  async (t) => {
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise<void>((resolve) => wss.once('listening', resolve));
    t.teardown(
      () =>
        new Promise<void>((resolve) => {
          for (const c of wss.clients) c.terminate();
          wss.close(() => {
            resolve();
          });
        }),
    );
    const port = (wss.address() as AddressInfo).port;
    const sockets = new Inbox<{ ws: WebSocket; url: string }>();
    wss.on('connection', (ws, req) => {
      sockets.put({ ws, url: req.url ?? '' });
    });
    const scheduler = new FakeScheduler();
    let firstSeen: () => void = () => undefined;
    const first = new Promise<void>((resolve) => {
      firstSeen = resolve;
    });
    const listener = new HybridListener(
      {
        endpoint: `ws://127.0.0.1:${port}`,
        path: 'council-tax',
        keyName: 'RootListen',
        key: randomBytes(32).toString('base64'),
        insecure: true,
        maxRequestBytes: 64 * 1024 * KIB,
      },
      {
        scheduler,
        handler: async (req, res) => {
          const hash = createHash('sha256');
          let size = 0;
          for await (const chunk of req.body as AsyncIterable<Buffer>) {
            if (size === 0) firstSeen();
            size += chunk.length;
            hash.update(chunk);
            // A slow reader: a turn of the event loop per chunk.
            await new Promise((resolve) => setImmediate(resolve));
          }
          await res.send(200, JSON.stringify({ size, sha256: hash.digest('hex') }));
        },
      },
    );
    t.teardown(async () => {
      const closing = listener.close();
      scheduler.advance(listener.config.shutdownGraceMs + listener.config.closeTimeoutMs);
      await closing;
    });
    listener.start();
    const control = await sockets.take();
    await listener.ready();
    const address = `ws://127.0.0.1:${port}/$hc/council-tax?sb-hc-action=request&sb-hc-id=big`;
    control.ws.send(JSON.stringify({ request: { address, id: 'big' } }));
    const rdv = await sockets.take();
    const answers = new Inbox<string | Buffer>();
    rdv.ws.on('message', (data: Buffer, isBinary: boolean) => {
      answers.put(isBinary ? data : data.toString('utf8'));
    });
    const body = randomBytes(8 * 1024 * KIB);
    const send = (data: Buffer, fin: boolean): Promise<void> =>
      new Promise((resolve, reject) => {
        rdv.ws.send(data, { binary: true, fin }, (err) => {
          if (err) reject(err);
          else resolve();
        });
      });
    rdv.ws.send(
      JSON.stringify({ request: { id: 'big', method: 'PUT', requestTarget: '/', body: true } }),
    );
    await send(body.subarray(0, 64 * KIB), false);
    // A transport that joins the message before handing it over would never get here.
    await first;
    t.pass('the handler read the first bytes while the rest was still unsent');
    for (let at = 64 * KIB; at < body.length; at += 64 * KIB) {
      const end = Math.min(at + 64 * KIB, body.length);
      await send(body.subarray(at, end), end === body.length);
    }
    const head = await answers.take();
    t.match(JSON.parse(String(head)), { response: { requestId: 'big', statusCode: 200 } });
    t.same(JSON.parse(String(await answers.take())), {
      size: body.length,
      sha256: sha256(body),
    });
    const peak = listener.peakBufferedRequestBytes;
    t.ok(peak > 0, 'the figure counted the body');
    t.ok(peak <= 256 * KIB, `at most 256 KiB of 8 MiB was held at once (peak ${peak})`);
  },
);
