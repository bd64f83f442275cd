// A failing dispatcher never crashes the listener: before the response is committed it is
// answered 500 with a body naming only a code and the request id (no message, no stack); a
// forbidden status (502/504) is refused; a dispatcher that never answers gets 503 at the
// deadline and its signal is aborted; after a streamed response began, the socket is dropped.
import t from 'tap';
import { browserCloseCode } from '../../src/transports/browser-socket';
import { isHcError } from '../../src/transports/errors';
import type { HcHandler } from '../../src/transports/hc-handler';
import { CLOSE } from '../../src/transports/socket';
import { requestFrame, setup } from './helpers/setup';

const SECRET = 'connection string Password=hunter2 at /srv/backoffice/db.js:12';

async function answerTo(
  t: tap.Test,
  handler: HcHandler,
): Promise<{ status: unknown; body: Record<string, unknown>; faults: unknown[] }> {
  const s = setup(t, { handler });
  const peer = await s.connect();
  peer.sendJson(requestFrame('f1'));
  const head = (await peer.nextJson()).response as Record<string, unknown>;
  const text = (await peer.nextBinary()).toString();
  t.notMatch(text, /hunter2|backoffice|at /, 'the body leaks nothing of the error');
  await s.events.until('relay:hc:response-sent');
  const faults = s.events.list('relay:hc:fault').map((f) => f.code);
  peer.sendJson(requestFrame('f2'));
  await s.events.until('relay:hc:request-received', (e) => e.requestId === 'f2');
  t.equal(s.listener.state, 'connected', 'the listener keeps serving');
  return {
    status: head.statusCode,
    body: JSON.parse(text) as Record<string, unknown>,
    faults,
  };
}

void t.test('a handler that throws is answered 500 with a safe body', async (t) => {
  const r = await answerTo(t, () => {
    throw new Error(SECRET);
  });
  t.equal(r.status, 500);
  t.same(r.body, {
    code: 'RELAY_E_HC_HANDLER',
    message: 'the request could not be handled',
    requestId: 'f1',
  });
  t.same(r.faults, ['RELAY_E_HC_HANDLER']);
});

void t.test('a handler whose promise rejects is answered 500', async (t) => {
  const r = await answerTo(t, async () => {
    await Promise.resolve();
    throw new TypeError(SECRET);
  });
  t.equal(r.status, 500);
  t.equal(r.body.code, 'RELAY_E_HC_HANDLER');
});

void t.test('a handler that destroys the response body is answered 500', async (t) => {
  const r = await answerTo(t, (_req, res) => {
    res.status(200);
    res.body.destroy(new Error(SECRET));
  });
  t.equal(r.status, 500);
});

for (const status of [502, 504, 101, 600, 200.5]) {
  void t.test(`status ${status} is refused with RELAY_E_HC_STATUS`, async (t) => {
    let thrown: unknown;
    const r = await answerTo(t, (_req, res) => {
      try {
        res.status(status);
      } catch (e) {
        thrown = e;
        throw e;
      }
    });
    t.ok(isHcError(thrown, 'RELAY_E_HC_STATUS'));
    t.equal(r.status, 500, 'answered 500, never the forbidden status');
    t.equal(r.body.code, 'RELAY_E_HC_STATUS');
  });
}

void t.test('a header with a line break is refused', async (t) => {
  const r = await answerTo(t, (_req, res) => {
    res.status(200, undefined, { 'X-Injected': 'a\r\nSet-Cookie: x=1' });
  });
  t.equal(r.body.code, 'RELAY_E_HC_STATUS');
});

void t.test(
  'a handler that never answers gets 503 at the deadline and its signal is aborted',
  async (t) => {
    let signal: AbortSignal | undefined;
    const s = setup(t, {
      config: { responseDeadlineMs: 2_000 },
      handler: (req) => {
        signal = req.signal;
        return new Promise<void>(() => undefined);
      },
    });
    const peer = await s.connect();
    peer.sendJson(requestFrame('hang'));
    await s.events.until('relay:hc:request-received');
    s.scheduler.advance(1_999);
    t.equal(signal?.aborted, false);
    s.scheduler.advance(1);
    t.match(await peer.nextJson(), {
      response: { requestId: 'hang', statusCode: 503, statusDescription: 'Service Unavailable' },
    });
    t.match(JSON.parse((await peer.nextBinary()).toString()), { code: 'RELAY_E_HC_DEADLINE' });
    t.equal(signal?.aborted, true, 'the handler was told to stop');
    t.equal(s.listener.inFlight, 0, 'its slot is free');
  },
);

void t.test('a failure after a streamed response began drops the rendezvous socket', async (t) => {
  let headSeen: (() => void) | undefined;
  const seen = new Promise<void>((r) => (headSeen = r));
  const s = setup(t, {
    handler: async (_req, res) => {
      res.status(200);
      res.body.write(Buffer.alloc(70_000));
      await seen;
      throw new Error(SECRET);
    },
  });
  const peer = await s.connect();
  peer.sendJson(requestFrame('mid', { address: s.address('mid') }));
  const rdv = await s.rdv.nextPeer();
  t.match(await rdv.nextJson(), { response: { requestId: 'mid', statusCode: 200, body: true } });
  headSeen?.();
  t.equal((await rdv.closed).code, browserCloseCode(CLOSE.internalError), 'closed with 1011');
  t.match(await s.events.until('relay:hc:response-aborted'), {
    requestId: 'mid',
    code: 'RELAY_E_HC_HANDLER',
  });
  t.equal(rdv.pending, 0, 'no body fragment was completed');
});
