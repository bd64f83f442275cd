// maxRequestBytes while a body streams in by rendezvous: as soon as the bytes received pass the
// limit the request is answered 413 RELAY_E_HC_TOO_LARGE and the socket is closed with 1009;
// what follows is never handed to anyone. A handler that already started sees its body stream
// fail with that error; one whose streamed response already began has it aborted. A first
// piece already over the limit, or a declared Content-Length over it, never reaches a handler.
// On the control channel (bodies arrive whole) the answer is 413 as well.
import t from 'tap';
import { isHcError } from '../../src/transports/errors';
import type { HcRequest, HcResponse } from '../../src/transports/hc-handler';
import { Inbox } from './helpers/mock-service';
import { requestFrame, setup } from './helpers/setup';
import { StreamingFactory, type StreamingScriptedSocket } from './helpers/streaming-socket';

const KIB = 1024;
const LIMIT = 100 * KIB;

/** A handler that reads its body, counting bytes, and records how the body ended. */
function readingHandler() {
  const seen: string[] = [];
  const outcomes = new Inbox<{ bytes: number; error: unknown }>();
  return {
    seen,
    outcomes,
    handler: async (req: HcRequest, res: HcResponse) => {
      seen.push(req.id);
      let bytes = 0;
      try {
        for await (const chunk of req.body as AsyncIterable<Buffer>) bytes += chunk.length;
      } catch (error) {
        outcomes.put({ bytes, error });
        return;
      }
      outcomes.put({ bytes, error: undefined });
      await res.send(200, `got ${bytes}`);
    },
  };
}

async function rendezvousFor(
  t: tap.Test,
  handler: (req: HcRequest, res: HcResponse) => void | Promise<void>,
  id: string,
) {
  const sockets = new StreamingFactory();
  const s = setup(t, {
    handler,
    sockets,
    config: { maxRequestBytes: LIMIT },
  });
  const peer = await s.connect();
  peer.sendJson({ request: { address: s.address(id), id } });
  const rdv: StreamingScriptedSocket = await sockets.next();
  rdv.accept();
  return { s, peer, rdv };
}

void t.test(
  'a streamed body is answered 413 at the piece that passes the limit, and the rest is not read',
  async (t) => {
    const h = readingHandler();
    const { s, rdv } = await rendezvousFor(t, h.handler, 'big');
    rdv.json(requestFrame('big', { method: 'PUT', body: true }));
    let sent = 0;
    // 16 KiB pieces, each once the socket reads again: the seventh passes 100 KiB.
    while (sent <= LIMIT) {
      await rdv.whenReading();
      rdv.piece(Buffer.alloc(16 * KIB, 7), false);
      sent += 16 * KIB;
    }
    t.match(await rdv.nextJson(), {
      response: { requestId: 'big', statusCode: 413, body: true },
    });
    t.match(JSON.parse(String(await rdv.next())), {
      code: 'RELAY_E_HC_TOO_LARGE',
      requestId: 'big',
    });
    t.same(await rdv.closed, { code: 1009, reason: 'request refused' }, 'closed with 1009');
    // The socket still hands over what was on the wire: it goes nowhere.
    rdv.piece(Buffer.alloc(16 * KIB), false);
    rdv.piece(Buffer.alloc(16 * KIB), true);
    const outcome = await h.outcomes.take();
    t.ok(isHcError(outcome.error, 'RELAY_E_HC_TOO_LARGE'), 'the handler saw its body fail');
    t.ok(outcome.bytes <= LIMIT, `the handler got ${outcome.bytes} bytes, no more than the limit`);
    t.match(await s.events.until('relay:hc:request-received', (e) => e.requestId === 'big'), {
      size: sent,
    });
    t.match(await s.events.until('relay:hc:response-sent', (e) => e.requestId === 'big'), {
      status: 413,
      mode: 'rendezvous',
    });
    t.same(
      s.events.list('relay:hc:fault').map((f) => f.code),
      [],
      'a refusal, not a fault (the handler failing on its cut body is not one either)',
    );
  },
);

void t.test('a first piece already over the limit never reaches a handler', async (t) => {
  const h = readingHandler();
  const { rdv } = await rendezvousFor(t, h.handler, 'huge');
  rdv.json(requestFrame('huge', { method: 'PUT', body: true }));
  rdv.piece(Buffer.alloc(LIMIT + 1), false);
  t.match(await rdv.nextJson(), { response: { requestId: 'huge', statusCode: 413 } });
  t.same(await rdv.closed, { code: 1009, reason: 'request refused' });
  t.same(h.seen, [], 'the handler was never called');
});

void t.test(
  'a declared Content-Length over the limit is answered before any body arrives',
  async (t) => {
    const h = readingHandler();
    const { rdv } = await rendezvousFor(t, h.handler, 'declared');
    rdv.json(
      requestFrame('declared', {
        method: 'PUT',
        body: true,
        requestHeaders: { 'Content-Length': String(50 * 1024 * KIB) },
      }),
    );
    t.match(await rdv.nextJson(), { response: { requestId: 'declared', statusCode: 413 } });
    t.same(await rdv.closed, { code: 1009, reason: 'request refused' });
    t.same(h.seen, []);
  },
);

void t.test(
  'a streamed response already under way is aborted when the body passes the limit',
  async (t) => {
    const started = new Inbox<HcResponse>();
    const { s, rdv } = await rendezvousFor(
      t,
      (req: HcRequest, res: HcResponse) => {
        req.body.resume();
        res.status(200, 'OK', { 'Content-Length': String(LIMIT * 2) });
        res.body.write(Buffer.alloc(70 * KIB));
        started.put(res);
      },
      'both',
    );
    rdv.json(requestFrame('both', { method: 'PUT', body: true }));
    rdv.piece(Buffer.alloc(16 * KIB), false);
    await started.take();
    t.match(await rdv.nextJson(), { response: { requestId: 'both', statusCode: 200 } });
    rdv.piece(Buffer.alloc(LIMIT), false);
    t.match(await s.events.until('relay:hc:response-aborted', (e) => e.requestId === 'both'), {
      code: 'RELAY_E_HC_TOO_LARGE',
    });
    t.same(await rdv.closed, { code: 1009, reason: 'response aborted' });
  },
);

void t.test(
  'a control-channel body over the limit is answered 413 on the control channel',
  async (t) => {
    const h = readingHandler();
    const s = setup(t, { handler: h.handler, config: { maxRequestBytes: 10 * KIB } });
    const peer = await s.connect();
    peer.sendJson(requestFrame('ctl', { method: 'POST', body: true }));
    peer.sendBinary(Buffer.alloc(10 * KIB + 1));
    t.match(await peer.nextJson(), { response: { requestId: 'ctl', statusCode: 413 } });
    t.match(JSON.parse((await peer.nextBinary()).toString()), { code: 'RELAY_E_HC_TOO_LARGE' });
    t.same(h.seen, []);
    t.equal(s.listener.state, 'connected', 'the control channel stays up');
  },
);

void t.test(
  'a request queued behind another on its socket is answered 413 only in its turn',
  async (t) => {
    const held = new Inbox<HcResponse>();
    const { rdv } = await rendezvousFor(
      t,
      (req: HcRequest, res: HcResponse) => {
        req.body.resume();
        held.put(res);
      },
      'first',
    );
    rdv.json(requestFrame('first'));
    const first = await held.take();
    rdv.json(requestFrame('second', { method: 'PUT', body: true }));
    rdv.piece(Buffer.alloc(16 * KIB), false);
    rdv.piece(Buffer.alloc(LIMIT), false);
    t.same(rdv.sent, [], 'nothing is sent while the first request is being answered');
    await first.send(200, 'first done');
    t.match(await rdv.nextJson(), { response: { requestId: 'first', statusCode: 200 } });
    t.equal(String(await rdv.next()), 'first done');
    t.match(await rdv.nextJson(), { response: { requestId: 'second', statusCode: 413 } });
    t.match(JSON.parse(String(await rdv.next())), { code: 'RELAY_E_HC_TOO_LARGE' });
    t.same(await rdv.closed, { code: 1009, reason: 'request refused' });
  },
);
