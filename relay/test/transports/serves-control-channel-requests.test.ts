// Requests that arrive on the control channel: the handler gets method, target, headers and the
// body as a stream; the response goes back on the control channel as a `response` frame,
// followed by one binary message when there is a body.
import t from 'tap';
import type { HcRequest } from '../../src/transports/hc-handler';
import { readAll, requestFrame, setup } from './helpers/setup';

void t.test('a GET without a body is answered on the control channel', async (t) => {
  const seen: HcRequest[] = [];
  const s = setup(t, {
    handler: async (req, res) => {
      seen.push(req);
      t.equal((await readAll(req.body)).length, 0, 'the body stream is empty');
      res.status(204, undefined, { 'X-Trace': 'abc' });
      res.body.end();
    },
  });
  const peer = await s.connect();
  peer.sendJson(
    requestFrame('r1', {
      requestTarget: '/council-tax/accounts/42?year=2024',
      requestHeaders: { Accept: 'application/json', 'X-Forwarded-For': '51.140.1.1' },
      address: s.address('r1'),
    }),
  );
  t.same(await peer.nextJson(), {
    response: {
      requestId: 'r1',
      statusCode: 204,
      statusDescription: 'No Content',
      responseHeaders: { 'X-Trace': 'abc' },
      body: false,
    },
  });
  t.equal(seen.length, 1);
  const req = seen[0];
  t.equal(req?.method, 'GET');
  t.equal(req?.target, '/council-tax/accounts/42?year=2024');
  t.same(req?.headers, { accept: 'application/json', 'x-forwarded-for': '51.140.1.1' });
  t.equal(req?.mode, 'control');
  t.equal(req?.size, 0);
  t.same(await s.events.until('relay:hc:request-received'), {
    listener: s.path,
    instance: (await s.events.until('relay:hc:request-received')).instance,
    requestId: 'r1',
    mode: 'control',
    method: 'GET',
    size: 0,
  });
  const sent = await s.events.until('relay:hc:response-sent');
  t.match(sent, { requestId: 'r1', status: 204, mode: 'control', bytes: 0 });
  t.equal(peer.pending, 0, 'nothing else was sent');
});

void t.test('a POST body sent as a binary message reaches the handler as a stream', async (t) => {
  const s = setup(t, {
    handler: async (req, res) => {
      const text = (await readAll(req.body)).toString('utf8');
      res.status(200, 'OK', { 'Content-Type': 'text/plain' });
      res.body.write('received: ');
      res.body.end(text.toUpperCase());
    },
  });
  const peer = await s.connect();
  peer.sendJson(
    requestFrame('p1', {
      method: 'POST',
      requestHeaders: { 'Content-Type': 'application/xml' },
      body: true,
      address: s.address('p1'),
    }),
  );
  peer.sendBinary(Buffer.from('<claim>housing benefit</claim>'));
  t.same(await peer.nextJson(), {
    response: {
      requestId: 'p1',
      statusCode: 200,
      statusDescription: 'OK',
      responseHeaders: { 'Content-Type': 'text/plain' },
      body: true,
    },
  });
  t.equal((await peer.nextBinary()).toString(), 'received: <CLAIM>HOUSING BENEFIT</CLAIM>');
  t.match(await s.events.until('relay:hc:request-received'), { size: 30, method: 'POST' });
  t.match(await s.events.until('relay:hc:response-sent'), {
    status: 200,
    bytes: Buffer.byteLength('received: <CLAIM>HOUSING BENEFIT</CLAIM>'),
    mode: 'control',
  });
});

void t.test(
  'connection headers of RFC 7230 are not sent back and repeated request headers are joined',
  async (t) => {
    let headers: Readonly<Record<string, string>> = {};
    const s = setup(t, {
      handler: (req, res) => {
        headers = req.headers;
        res.status(200, undefined, {
          'Content-Length': 2,
          Connection: 'keep-alive',
          'Transfer-Encoding': 'chunked',
          ETag: '"v1"',
        });
        res.body.end('ok');
      },
    });
    const peer = await s.connect();
    peer.sendJson({
      request: {
        id: 'h1',
        method: 'GET',
        requestTarget: '/',
        requestHeaders: { 'Accept-Language': ['en-GB', 'cy'] },
        body: false,
      },
    });
    const frame = await peer.nextJson();
    t.same((frame.response as Record<string, unknown>).responseHeaders, { ETag: '"v1"' });
    t.equal((await peer.nextBinary()).toString(), 'ok');
    t.same(headers, { 'accept-language': 'en-GB, cy' });
  },
);

void t.test(
  'responses to concurrent requests carry their own request ids, in completion order',
  async (t) => {
    const release = new Map<string, () => void>();
    const s = setup(t, {
      handler: async (req, res) => {
        await new Promise<void>((resolve) => release.set(req.id, resolve));
        await res.send(200, `answer ${req.id}`);
      },
    });
    const peer = await s.connect();
    peer.sendJson(requestFrame('a'));
    peer.sendJson(requestFrame('b'));
    await s.events.nth('relay:hc:request-received', 2);
    t.same([...release.keys()].sort(), ['a', 'b'], 'both are running');
    release.get('b')?.();
    t.match(await peer.nextJson(), { response: { requestId: 'b', statusCode: 200, body: true } });
    t.equal((await peer.nextBinary()).toString(), 'answer b');
    release.get('a')?.();
    t.match(await peer.nextJson(), { response: { requestId: 'a' } });
    t.equal((await peer.nextBinary()).toString(), 'answer a');
  },
);

void t.test(
  'a response whose control channel was lost goes by rendezvous, not on the next connection',
  async (t) => {
    let finish: (() => void) | undefined;
    const s = setup(t, {
      handler: async (_req, res) => {
        await new Promise<void>((r) => (finish = r));
        await res.send(200, 'late answer');
      },
    });
    const first = await s.connect();
    first.sendJson(requestFrame('orphan', { address: s.address('orphan') }));
    await s.events.until('relay:hc:request-received');
    first.close(1011, 'service error');
    await s.events.until('relay:hc:reconnect-scheduled');
    s.scheduler.runNext();
    const second = await s.control.nextPeer();
    await s.events.nth('relay:hc:connected', 2);
    finish?.();
    const rdv = await s.rdv.nextPeer();
    t.equal(rdv.param('sb-hc-id'), 'orphan');
    t.match(await rdv.nextJson(), { response: { requestId: 'orphan', statusCode: 200 } });
    t.equal((await rdv.nextBinary()).toString(), 'late answer');
    t.equal(second.pending, 0, 'nothing was sent on the new control channel');
  },
);
