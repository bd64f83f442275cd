// At most maxConcurrent requests run; up to maxQueued wait for a slot (in arrival order) and the
// rest are answered 503 at once; a queued request that waits past the deadline gets 503. A
// streamed response only takes more body when the socket has taken the previous fragment.
import t from 'tap';
import { WebSocket } from 'mock-socket';
import {
  browserSocketFactory,
  type BrowserWebSocketConstructor,
} from '../../src/transports/browser-socket';
import type { SocketFactory } from '../../src/transports/socket';
import { Inbox } from './helpers/mock-service';
import { requestFrame, setup } from './helpers/setup';

function blockingHandler() {
  const started: string[] = [];
  const release = new Map<string, () => void>();
  return {
    started,
    release,
    handler: async (
      req: { id: string },
      res: { send(code: number, data?: string): Promise<void> },
    ) => {
      started.push(req.id);
      await new Promise<void>((resolve) => release.set(req.id, resolve));
      await res.send(200, req.id);
    },
  };
}

void t.test(
  'requests beyond maxConcurrent wait in the queue and beyond maxQueued get 503',
  async (t) => {
    const b = blockingHandler();
    const s = setup(t, { handler: b.handler, config: { maxConcurrent: 2, maxQueued: 1 } });
    const peer = await s.connect();
    for (const id of ['r1', 'r2', 'r3', 'r4']) peer.sendJson(requestFrame(id));
    t.match(await peer.nextJson(), { response: { requestId: 'r4', statusCode: 503 } });
    t.match(JSON.parse((await peer.nextBinary()).toString()), {
      code: 'RELAY_E_HC_BUSY',
      requestId: 'r4',
    });
    t.same(b.started, ['r1', 'r2'], 'two run');
    t.equal(s.listener.inFlight, 2);
    t.equal(s.listener.queued, 1);
    b.release.get('r2')?.();
    t.match(await peer.nextJson(), { response: { requestId: 'r2', statusCode: 200 } });
    await peer.nextBinary();
    await s.events.until('relay:hc:response-sent', (e) => e.requestId === 'r2');
    t.same(b.started, ['r1', 'r2', 'r3'], 'the queued one took the freed slot');
    t.equal(s.listener.queued, 0);
    b.release.get('r1')?.();
    b.release.get('r3')?.();
    const done = new Set<unknown>();
    for (let i = 0; i < 2; i++) {
      done.add(((await peer.nextJson()).response as Record<string, unknown>).requestId);
      await peer.nextBinary();
    }
    t.same([...done].sort(), ['r1', 'r3']);
    await s.events.until('relay:hc:response-sent', (e) => e.requestId === 'r3');
    t.equal(s.listener.inFlight, 0, 'every slot is free again');
  },
);

void t.test('a request that waits in the queue past the deadline is answered 503', async (t) => {
  const b = blockingHandler();
  const s = setup(t, {
    handler: b.handler,
    config: { maxConcurrent: 1, maxQueued: 5, responseDeadlineMs: 5_000 },
  });
  const peer = await s.connect();
  peer.sendJson(requestFrame('running'));
  await s.events.until('relay:hc:request-received', (e) => e.requestId === 'running');
  s.scheduler.advance(1_000);
  peer.sendJson(requestFrame('waiting'));
  await s.events.until('relay:hc:request-received', (e) => e.requestId === 'waiting');
  s.scheduler.advance(3_999);
  t.equal(peer.pending, 0, 'nothing answered before any deadline');
  s.scheduler.advance(1);
  // The running request hit its own deadline first: it has no status, so it is answered 503.
  t.match(await peer.nextJson(), { response: { requestId: 'running', statusCode: 503 } });
  t.match(JSON.parse((await peer.nextBinary()).toString()), { code: 'RELAY_E_HC_DEADLINE' });
  await s.events.until('relay:hc:response-sent', (e) => e.requestId === 'running');
  t.same(b.started, ['running', 'waiting'], 'the freed slot went to the waiting request');
  s.scheduler.advance(1_000);
  t.match(await peer.nextJson(), { response: { requestId: 'waiting', statusCode: 503 } });
  t.match(JSON.parse((await peer.nextBinary()).toString()), { code: 'RELAY_E_HC_DEADLINE' });
  t.equal(s.listener.inFlight, 0);
  b.release.get('running')?.();
  b.release.get('waiting')?.();
});

void t.test('a streamed response waits for the socket to take each fragment', async (t) => {
  const inner = browserSocketFactory(WebSocket as unknown as BrowserWebSocketConstructor);
  const held = new Inbox<() => void>();
  let taken = 0;
  let written = 0;
  const gated: SocketFactory = {
    canSetHeaders: false,
    canPing: false,
    open: (options, handlers) => {
      const socket = inner.open(options, handlers);
      if (!options.url.includes('sb-hc-action=request')) return socket;
      return {
        ...socket,
        sendBinary: (data, fin) =>
          new Promise<void>((resolve, reject) => {
            held.put(() => {
              taken += data.length;
              socket.sendBinary(data, fin).then(resolve, reject);
            });
          }),
      };
    },
  };
  const chunk = Buffer.alloc(64 * 1024, 1);
  const chunks = 8;
  const s = setup(t, {
    sockets: gated,
    handler: async (_req, res) => {
      res.status(200);
      for (let i = 0; i < chunks; i++) {
        written += chunk.length;
        if (!res.body.write(chunk)) await new Promise((r) => res.body.once('drain', r));
      }
      res.body.end();
    },
  });
  const peer = await s.connect();
  peer.sendJson(requestFrame('stream', { address: s.address('stream') }));
  const rdv = await s.rdv.nextPeer();
  let maxAhead = 0;
  // Every fragment (8 chunks, then the empty final one) is held until the test lets it go.
  for (let i = 0; i <= chunks; i++) {
    const release = await held.take();
    maxAhead = Math.max(maxAhead, written - taken);
    release();
  }
  t.ok(maxAhead <= 3 * chunk.length, `the handler was never more than ${maxAhead} bytes ahead`);
  t.equal(taken, chunks * chunk.length);
  t.match(await rdv.nextJson(), { response: { requestId: 'stream', body: true } });
  t.equal((await rdv.nextBinary()).length, chunks * chunk.length);
  t.match(await s.events.until('relay:hc:response-sent'), {
    mode: 'rendezvous',
    bytes: chunks * chunk.length,
  });
});
