// Both production socket factories (`ws` for the control channel with the own client for
// rendezvous, the default; and the listener's own client for everything) against a real
// WebSocket server on 127.0.0.1 (port 0) that speaks the Hybrid Connections protocol minimally: the token arrives in the ServiceBusAuthorization header, bodies cross as
// (fragmented) binary messages, a 2 MB response streams over a rendezvous socket, a 401
// handshake is classified, a silent peer is detected by ping, and a rendezvous body over the
// limit is answered 413 while it streams in. Over `ws`, the frames sent in one tick leave in
// one write.
import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import t from 'tap';
import WebSocket, { WebSocketServer } from 'ws';
import { verifySasToken } from '../../src/protocol/sas';
import { HybridListener } from '../../src/transports/hc-listener';
import type { SocketFactory } from '../../src/transports/socket';
import { clientSocketFactory, wsSocketFactory } from '../../src/transports/ws-socket';
import type { HcHandler } from '../../src/transports/hc-handler';
import { EventLog } from './helpers/events';
import { FakeScheduler } from './helpers/fake-scheduler';
import { Inbox } from './helpers/mock-service';
import { readAll } from './helpers/setup';

type Data = string | Buffer;

class WsPeer {
  readonly inbox = new Inbox<Data>();
  readonly closed: Promise<number>;
  constructor(
    readonly ws: WebSocket,
    readonly req: IncomingMessage,
  ) {
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      this.inbox.put(isBinary ? data : data.toString('utf8'));
    });
    this.closed = new Promise((r) =>
      ws.on('close', (code: number) => {
        r(code);
      }),
    );
  }
  get url(): URL {
    return new URL(this.req.url ?? '/', 'ws://127.0.0.1');
  }
  async json(): Promise<Record<string, unknown>> {
    const m = await this.inbox.take();
    if (typeof m !== 'string') throw new Error('expected text');
    return JSON.parse(m) as Record<string, unknown>;
  }
  async binary(): Promise<Buffer> {
    const m = await this.inbox.take();
    if (typeof m === 'string') throw new Error(`expected binary, got ${m.slice(0, 60)}`);
    return m;
  }
}

interface Service {
  readonly port: number;
  readonly control: Inbox<WsPeer>;
  readonly rendezvous: Inbox<WsPeer>;
  refuseWith: number | undefined;
}

async function startService(t: tap.Test, autoPong = true): Promise<Service> {
  const service = {
    port: 0,
    control: new Inbox<WsPeer>(),
    rendezvous: new Inbox<WsPeer>(),
    refuseWith: undefined as number | undefined,
  };
  const wss = new WebSocketServer({
    host: '127.0.0.1',
    port: 0,
    autoPong,
    verifyClient: (_info, cb) => {
      if (service.refuseWith === undefined) cb(true);
      else cb(false, service.refuseWith, 'Unauthorized');
    },
  });
  await new Promise<void>((resolve) => wss.once('listening', resolve));
  service.port = (wss.address() as AddressInfo).port;
  wss.on('connection', (ws, req) => {
    const peer = new WsPeer(ws, req);
    const action = peer.url.searchParams.get('sb-hc-action');
    if (action === 'listen') service.control.put(peer);
    else service.rendezvous.put(peer);
  });
  t.teardown(
    () =>
      new Promise<void>((resolve) => {
        for (const c of wss.clients) c.terminate();
        wss.close(() => {
          resolve();
        });
      }),
  );
  return service;
}

/** Each production socket factory runs every case below. */
const FACTORIES: readonly [string, () => SocketFactory][] = [
  ['own client', () => clientSocketFactory()],
  ['ws control channel', () => wsSocketFactory()],
];

function listenerFor(
  factory: () => SocketFactory,
  t: tap.Test,
  service: Service,
  handler: HcHandler,
  scheduler: FakeScheduler,
  extra: Record<string, unknown> = {},
) {
  const key = randomBytes(32).toString('base64');
  const listener = new HybridListener(
    {
      endpoint: `ws://127.0.0.1:${service.port}`,
      path: 'council-tax',
      keyName: 'RootListen',
      key,
      insecure: true,
      pingIntervalMs: 1_000,
      pongTimeoutMs: 500,
      ...extra,
    },
    { handler, scheduler, random: () => 0, sockets: factory() },
  );
  t.teardown(async () => {
    const closing = listener.close();
    scheduler.advance(listener.config.shutdownGraceMs + listener.config.closeTimeoutMs);
    await closing;
  });
  return { listener, key };
}

for (const [label, make] of FACTORIES) {
  void t.test(
    `${label}: headers, fragmented bodies and a 2 MB response by rendezvous over real ws`,
    async (t) => {
      const service = await startService(t);
      const scheduler = new FakeScheduler();
      const events = new EventLog(t, 'council-tax');
      const response = randomBytes(2 * 1024 * 1024);
      let received = '';
      const { listener, key } = listenerFor(
        make,
        t,
        service,
        async (req, res) => {
          received = (await readAll(req.body)).toString();
          res.status(200, 'OK', { 'Content-Type': 'application/pdf' });
          const chunk = 64 * 1024;
          for (let at = 0; at < response.length; at += chunk) {
            if (!res.body.write(response.subarray(at, at + chunk))) {
              await new Promise((r) => res.body.once('drain', r));
            }
          }
          res.body.end();
        },
        scheduler,
      );
      listener.start();
      const control = await service.control.take();
      await listener.ready();
      const auth =
        control.req.headers.serviceauthorization ?? control.req.headers.servicebusauthorization;
      t.type(auth, 'string', 'the token came in the ServiceBusAuthorization header');
      t.equal(control.url.searchParams.get('sb-hc-token'), null);
      const grant = verifySasToken(
        String(auth),
        {
          resource: 'sb://127.0.0.1/council-tax',
          right: 'Listen',
          rules: [
            { keyName: 'RootListen', key, rights: new Set(['Listen']), scope: 'sb://127.0.0.1/' },
          ],
          maxLifetimeSeconds: 3600,
        },
        { clock: { now: () => scheduler.now() } },
      );
      t.equal(grant.keyName, 'RootListen');

      const address = `ws://127.0.0.1:${service.port}/$hc/council-tax?sb-hc-action=request&sb-hc-id=doc-1`;
      control.ws.send(
        JSON.stringify({
          request: {
            address,
            id: 'doc-1',
            requestTarget: '/documents/1',
            method: 'POST',
            requestHeaders: { 'Content-Type': 'text/plain' },
            body: true,
          },
        }),
      );
      // One binary message in three frames.
      control.ws.send(Buffer.from('part one, '), { binary: true, fin: false });
      control.ws.send(Buffer.from('part two, '), { binary: true, fin: false });
      control.ws.send(Buffer.from('part three'), { binary: true, fin: true });

      const rdv = await service.rendezvous.take();
      t.equal(rdv.url.searchParams.get('sb-hc-id'), 'doc-1');
      t.equal(rdv.req.headers.servicebusauthorization, undefined, 'no token on the rendezvous');
      t.same(await rdv.json(), {
        response: {
          requestId: 'doc-1',
          statusCode: 200,
          statusDescription: 'OK',
          responseHeaders: { 'Content-Type': 'application/pdf' },
          body: true,
        },
      });
      const body = await rdv.binary();
      t.equal(body.length, response.length);
      t.ok(body.equals(response), 'the 2 MB body arrived intact as one message');
      t.equal(received, 'part one, part two, part three', 'the fragments were joined');
      t.match(await events.until('relay:hc:response-sent'), {
        mode: 'rendezvous',
        bytes: response.length,
      });
      t.equal(control.inbox.size, 0, 'nothing went back on the control channel');

      const closing = listener.close();
      t.equal(await control.closed, 1000, 'the server saw a normal close');
      scheduler.advance(listener.config.shutdownGraceMs);
      await closing;
    },
  );

  void t.test(`${label}: a 401 from a real server is RELAY_E_HC_UNAUTHORIZED`, async (t) => {
    const service = await startService(t);
    service.refuseWith = 401;
    const scheduler = new FakeScheduler();
    const events = new EventLog(t, 'council-tax');
    const { listener } = listenerFor(make, t, service, () => undefined, scheduler);
    listener.start();
    t.match(await events.until('relay:hc:refused'), {
      status: 401,
      code: 'RELAY_E_HC_UNAUTHORIZED',
      retryable: false,
    });
  });

  void t.test(
    `${label}: a real peer that stops answering pings is detected as half-open`,
    async (t) => {
      const service = await startService(t, false);
      const scheduler = new FakeScheduler();
      const events = new EventLog(t, 'council-tax');
      const { listener } = listenerFor(make, t, service, () => undefined, scheduler);
      listener.start();
      const control = await service.control.take();
      await listener.ready();
      const pinged = new Promise((r) => control.ws.once('ping', r));
      scheduler.advance(1_000);
      await pinged;
      scheduler.advance(500);
      t.match(await events.until('relay:hc:ping-timeout'), { waitedMs: 500 });
      t.equal(await control.closed, 1006, 'dropped without a closing handshake');
      t.match(await events.until('relay:hc:reconnect-scheduled'), {
        reason: 'RELAY_E_HC_PING_TIMEOUT',
      });
    },
  );

  void t.test(`${label}: a real peer that answers pings keeps the channel`, async (t) => {
    const service = await startService(t, true);
    const scheduler = new FakeScheduler();
    const events = new EventLog(t, 'council-tax');
    const { listener } = listenerFor(make, t, service, () => undefined, scheduler);
    listener.start();
    await service.control.take();
    await listener.ready();
    scheduler.advance(1_000);
    await events.until('relay:hc:pong');
    scheduler.advance(500);
    t.same(events.list('relay:hc:ping-timeout'), []);
    t.equal(listener.state, 'connected');
  });

  void t.test(
    `${label}: a rendezvous body over the limit is answered 413 as it streams in, then the socket closes with 1009`,
    async (t) => {
      const service = await startService(t);
      const scheduler = new FakeScheduler();
      let failed: (e: unknown) => void = () => undefined;
      const failure = new Promise<unknown>((resolve) => {
        failed = resolve;
      });
      const { listener } = listenerFor(
        make,
        t,
        service,
        async (req) => {
          // The body streams: the handler starts before the limit is known to be passed.
          try {
            await readAll(req.body);
          } catch (e) {
            failed(e);
          }
        },
        scheduler,
        { maxRequestBytes: 300 * 1024 },
      );
      listener.start();
      const control = await service.control.take();
      await listener.ready();
      const address = `ws://127.0.0.1:${service.port}/$hc/council-tax?sb-hc-action=request&sb-hc-id=big`;
      control.ws.send(JSON.stringify({ request: { address, id: 'big' } }));
      const rdv = await service.rendezvous.take();
      rdv.ws.send(
        JSON.stringify({ request: { id: 'big', method: 'PUT', requestTarget: '/', body: true } }),
      );
      rdv.ws.send(Buffer.alloc(1024 * 1024));
      t.match(await rdv.json(), { response: { requestId: 'big', statusCode: 413 } });
      t.match(JSON.parse((await rdv.binary()).toString()), { code: 'RELAY_E_HC_TOO_LARGE' });
      t.equal(await rdv.closed, 1009, 'closed as message too big');
      t.match(await failure, { code: 'RELAY_E_HC_TOO_LARGE' }, 'the handler saw its body fail');
    },
  );
}

void t.test(
  'ws control channel: a response head and body sent in one tick leave in one write',
  async (t) => {
    const service = await startService(t);
    // Counts the writes the connection under ws hands to the operating system: one _write or
    // _writev call each (a corked socket flushes all it holds in one _writev).
    let flushes = 0;
    class CountingWebSocket extends WebSocket {
      constructor(url: string, options: WebSocket.ClientOptions) {
        super(url, options);
        this.on('upgrade', (res: IncomingMessage) => {
          const socket = res.socket as unknown as {
            _write: (...a: unknown[]) => void;
            _writev: (...a: unknown[]) => void;
          };
          const write = socket._write.bind(socket);
          const writev = socket._writev.bind(socket);
          socket._write = (...a) => {
            flushes += 1;
            write(...a);
          };
          socket._writev = (...a) => {
            flushes += 1;
            writev(...a);
          };
        });
      }
    }
    const opened = new Inbox<true>();
    const socket = wsSocketFactory(CountingWebSocket).open(
      {
        url: `ws://127.0.0.1:${service.port}/$hc/x?sb-hc-action=listen`,
        headers: {},
        maxMessageBytes: 1 << 20,
      },
      {
        onOpen: () => {
          opened.put(true);
        },
        onText: () => undefined,
        onBinary: () => undefined,
        onPong: () => undefined,
        onRefused: () => undefined,
        onError: () => undefined,
        onClose: () => undefined,
      },
    );
    t.teardown(() => {
      socket.terminate();
    });
    const peer = await service.control.take();
    await opened.take();
    flushes = 0;
    const body = randomBytes(2048);
    await Promise.all([
      socket.sendText('{"response":{"requestId":"1","statusCode":200,"body":true}}'),
      socket.sendBinary(body, true),
    ]);
    t.equal(flushes, 1, 'the text frame and the binary frame went out in one write');
    t.match(await peer.json(), { response: { requestId: '1' } });
    t.same(await peer.binary(), body, 'the body arrived intact after its head');
    await Promise.all([socket.sendText('{"a":1}'), socket.sendText('{"b":2}')]);
    t.equal(flushes, 2, 'the next tick is its own write');
  },
);
