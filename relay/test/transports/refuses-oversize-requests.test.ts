// maxRequestBytes: a request whose declared (Content-Length) or actual body is larger is answered
// 413 and never reaches the handler; on a rendezvous socket the socket is closed afterwards.
import t from 'tap';
import { browserCloseCode } from '../../src/transports/browser-socket';
import { CLOSE } from '../../src/transports/socket';
import type { HcRequest } from '../../src/transports/hc-handler';
import { readAll, requestFrame, setup } from './helpers/setup';

function counting(): {
  seen: HcRequest[];
  handler: (
    req: HcRequest,
    res: import('../../src/transports/hc-handler').HcResponse,
  ) => Promise<void>;
} {
  const seen: HcRequest[] = [];
  return {
    seen,
    handler: async (req, res) => {
      seen.push(req);
      const body = await readAll(req.body);
      await res.send(200, `got ${body.length}`);
    },
  };
}

void t.test(
  'a control-channel body one byte over the limit is answered 413 without dispatching',
  async (t) => {
    const c = counting();
    const s = setup(t, { handler: c.handler, config: { maxRequestBytes: 1024 } });
    const peer = await s.connect();
    peer.sendJson(requestFrame('over', { method: 'POST', body: true }));
    peer.sendBinary(Buffer.alloc(1025));
    const head = await peer.nextJson();
    t.match(head, {
      response: {
        requestId: 'over',
        statusCode: 413,
        statusDescription: 'Payload Too Large',
        body: true,
      },
    });
    t.same(JSON.parse((await peer.nextBinary()).toString()), {
      code: 'RELAY_E_HC_TOO_LARGE',
      message: 'the request body (1025 bytes) is larger than the limit (1024 bytes)',
      requestId: 'over',
    });
    peer.sendJson(requestFrame('at', { method: 'POST', body: true }));
    peer.sendBinary(Buffer.alloc(1024));
    t.match(await peer.nextJson(), { response: { requestId: 'at', statusCode: 200 } });
    t.equal((await peer.nextBinary()).toString(), 'got 1024', 'exactly the limit is accepted');
    t.same(
      c.seen.map((r) => r.id),
      ['at'],
      'the oversize request never reached the handler',
    );
    t.match(await s.events.until('relay:hc:request-received', (e) => e.requestId === 'over'), {
      size: 1025,
    });
    t.match(await s.events.until('relay:hc:response-sent', (e) => e.requestId === 'over'), {
      status: 413,
    });
  },
);

void t.test(
  'a declared Content-Length over the limit is answered 413 at once and its body skipped',
  async (t) => {
    const c = counting();
    const s = setup(t, { handler: c.handler, config: { maxRequestBytes: 1024 } });
    const peer = await s.connect();
    peer.sendJson(
      requestFrame('declared', {
        method: 'POST',
        body: true,
        requestHeaders: { 'Content-Length': '5000' },
      }),
    );
    t.match(await peer.nextJson(), { response: { requestId: 'declared', statusCode: 413 } });
    await peer.nextBinary();
    peer.sendBinary(Buffer.alloc(5000));
    peer.sendJson(requestFrame('next'));
    t.match(await peer.nextJson(), { response: { requestId: 'next', statusCode: 200 } });
    await peer.nextBinary();
    t.same(
      c.seen.map((r) => r.id),
      ['next'],
    );
    t.same(s.events.list('relay:hc:fault'), [], 'the skipped body is not a fault');
  },
);

void t.test(
  'an oversize body on a rendezvous socket is answered 413 and the socket closed',
  async (t) => {
    const c = counting();
    const s = setup(t, { handler: c.handler, config: { maxRequestBytes: 100_000 } });
    const peer = await s.connect();
    peer.sendJson({ request: { address: s.address('huge'), id: 'huge' } });
    const rdv = await s.rdv.nextPeer();
    rdv.sendJson(requestFrame('huge', { method: 'PUT', body: true }));
    rdv.sendBinary(Buffer.alloc(100_001));
    t.match(await rdv.nextJson(), { response: { requestId: 'huge', statusCode: 413 } });
    t.match(JSON.parse((await rdv.nextBinary()).toString()), { code: 'RELAY_E_HC_TOO_LARGE' });
    t.equal(
      (await rdv.closed).code,
      browserCloseCode(CLOSE.tooBig),
      'closed with 1009 (4009 on a browser socket)',
    );
    t.same(c.seen, []);
  },
);

void t.test(
  'a declared oversize body on a rendezvous socket is refused before it arrives',
  async (t) => {
    const c = counting();
    const s = setup(t, { handler: c.handler, config: { maxRequestBytes: 100 } });
    const peer = await s.connect();
    peer.sendJson({ request: { address: s.address('decl') } });
    const rdv = await s.rdv.nextPeer();
    rdv.sendJson(
      requestFrame('decl', {
        method: 'PUT',
        body: true,
        requestHeaders: { 'content-length': '1048576' },
      }),
    );
    t.match(await rdv.nextJson(), { response: { requestId: 'decl', statusCode: 413 } });
    await rdv.nextBinary();
    t.equal((await rdv.closed).code, browserCloseCode(CLOSE.tooBig));
    t.same(c.seen, []);
  },
);
