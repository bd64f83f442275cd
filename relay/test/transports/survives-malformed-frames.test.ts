// Frames from the service that cannot be used — not JSON, an unknown verb, wrong field types, a
// binary frame nobody announced, a body that never comes — are typed faults
// (RELAY_E_HC_FRAME / RELAY_E_HC_BAD_REQUEST); the listener keeps serving, and a request with
// a usable id is answered 400 rather than left to time out.
import fc from 'fast-check';
import t from 'tap';
import type { HcError } from '../../src/transports/errors';
import { parseServiceFrame } from '../../src/transports/hc-frames';
import { isHcError } from '../../src/transports/errors';
import { checkProperty } from '../helpers/property';
import { requestFrame, setup } from './helpers/setup';

void t.test('unusable frames are faults and the listener keeps serving', async (t) => {
  const s = setup(t, {
    handler: async (req, res) => {
      await res.send(200, `ok ${req.id}`);
    },
  });
  const faults: HcError[] = [];
  s.listener.on('fault', (e) => faults.push(e));
  const peer = await s.connect();
  peer.sendText('this is not json');
  peer.sendText('[1,2,3]');
  peer.sendJson({ hello: { id: 'x' } });
  peer.sendJson({ request: { id: 'x' }, accept: { id: 'y' } });
  peer.sendJson({ request: { id: 42, method: 'GET' } });
  peer.sendJson({ request: { id: 'nobody', method: 'GET', body: 'yes' } });
  peer.sendBinary(Buffer.from('stray bytes'));
  peer.sendJson(requestFrame('good'));
  t.match(await peer.nextJson(), { response: { requestId: 'good', statusCode: 200 } });
  t.equal((await peer.nextBinary()).toString(), 'ok good');
  t.same(
    faults.map((f) => f.code),
    Array(7).fill('RELAY_E_HC_FRAME'),
  );
  t.same(
    s.events.list('relay:hc:fault').map((e) => e.code),
    Array(7).fill('RELAY_E_HC_FRAME'),
  );
  t.match(faults[2]?.message, /unknown verb "hello"/);
  t.equal(s.listener.state, 'connected');
});

void t.test('a request with an id but bad fields is answered 400', async (t) => {
  const s = setup(t);
  const peer = await s.connect();
  const bad = [
    { id: 'm1', method: 'GET POST' },
    { id: 'm2', method: 'CONNECT' },
    { id: 'm3', method: 'GET', requestTarget: '/a b' },
    { id: 'm4', method: 'GET', requestHeaders: { 'Bad Name': 'x' } },
    { id: 'm5', method: 'GET', requestHeaders: { 'X-Ok': { nested: true } } },
    { id: 'm6', method: 'POST', body: true, requestHeaders: 'nope' },
  ];
  for (const request of bad) peer.sendJson({ request });
  peer.sendBinary(Buffer.from('body of m6, skipped'));
  for (const { id } of bad) {
    t.match(await peer.nextJson(), { response: { requestId: id, statusCode: 400 } });
    t.match(JSON.parse((await peer.nextBinary()).toString()), { code: 'RELAY_E_HC_BAD_REQUEST' });
  }
  peer.sendJson(requestFrame('fine'));
  t.match(await peer.nextJson(), { response: { requestId: 'fine', statusCode: 200 } });
  t.equal(
    s.events.list('relay:hc:fault').filter((e) => e.code !== 'RELAY_E_HC_BAD_REQUEST').length,
    0,
    'the skipped body is not a stray frame',
  );
});

void t.test('a body frame that never follows its request is answered 400', async (t) => {
  const s = setup(t);
  const peer = await s.connect();
  peer.sendJson(requestFrame('no-body', { method: 'POST', body: true }));
  peer.sendJson(requestFrame('next'));
  const answers = new Map<unknown, unknown>();
  for (let i = 0; i < 2; i++) {
    const r = (await peer.nextJson()).response as Record<string, unknown>;
    answers.set(r.requestId, r.statusCode);
    if (r.body === true) await peer.nextBinary();
  }
  t.same(Object.fromEntries(answers), { 'no-body': 400, next: 200 });
});

void t.test('an accept offer (WebSocket mode) is rejected with 501 on its address', async (t) => {
  const s = setup(t);
  const peer = await s.connect();
  peer.sendJson({
    accept: {
      address: s.address('ws-1').replace('sb-hc-action=request', 'sb-hc-action=accept'),
      id: 'ws-1',
      connectHeaders: { 'Sec-WebSocket-Protocol': 'chat' },
    },
  });
  const rdv = await s.rdv.nextPeer();
  t.equal(rdv.param('sb-hc-statusCode'), '501');
  t.equal(rdv.param('sb-hc-action'), 'accept');
  t.match(rdv.param('sb-hc-statusDescription'), /HTTP requests only/);
  t.match(await s.events.until('relay:hc:accept-rejected'), { id: 'ws-1', status: 501 });
});

void t.test('parsing any text never throws anything but a typed frame error', (t) => {
  const verbs = fc.constantFrom('request', 'accept', 'renewToken', 'x', '');
  const value = fc.jsonValue({ maxDepth: 3 });
  const text = fc.oneof(
    fc.string({ maxLength: 200 }),
    fc
      .tuple(
        verbs,
        fc.dictionary(
          fc.constantFrom('id', 'method', 'address', 'body', 'requestHeaders', 'requestTarget'),
          value,
        ),
      )
      .map(([verb, body]) => JSON.stringify({ [verb]: body })),
  );
  checkProperty(
    t,
    fc.property(text, (input) => {
      try {
        parseServiceFrame(input);
        return true;
      } catch (e) {
        return isHcError(e, 'RELAY_E_HC_FRAME');
      }
    }),
  );
  t.end();
});
