// The 64 KiB rule for responses: a body of at most 64 KiB goes back on the control channel;
// anything larger (found out while buffering, declared by Content-Length, or with headers over
// 32 KiB) goes over a rendezvous socket opened to the request's address.
import t from 'tap';
import { CONTROL_BODY_LIMIT } from '../../src/transports/hc-config';
import { requestFrame, setup } from './helpers/setup';

for (const [size, via] of [
  [CONTROL_BODY_LIMIT - 1, 'control'],
  [CONTROL_BODY_LIMIT, 'control'],
  [CONTROL_BODY_LIMIT + 1, 'rendezvous'],
] as const) {
  void t.test(`a ${size}-byte response goes over the ${via} channel`, async (t) => {
    const payload = Buffer.alloc(size, 0x61);
    payload[size - 1] = 0x7a;
    const s = setup(t, {
      handler: (_req, res) => {
        res.status(200, 'OK', { 'Content-Type': 'application/pdf' });
        res.body.end(payload);
      },
    });
    const peer = await s.connect();
    const id = `resp-${size}`;
    peer.sendJson(requestFrame(id, { address: s.address(id) }));
    const expectedHead = {
      response: {
        requestId: id,
        statusCode: 200,
        statusDescription: 'OK',
        responseHeaders: { 'Content-Type': 'application/pdf' },
        body: true,
      },
    };
    if (via === 'control') {
      t.same(await peer.nextJson(), expectedHead);
      t.ok((await peer.nextBinary()).equals(payload), 'the whole body in one binary message');
    } else {
      const rdv = await s.rdv.nextPeer();
      t.equal(rdv.param('sb-hc-id'), id);
      t.equal(rdv.param('sb-hc-action'), 'request');
      t.same(await rdv.nextJson(), expectedHead);
      t.ok((await rdv.nextBinary()).equals(payload), 'the whole body, fragments joined at fin');
    }
    t.match(await s.events.until('relay:hc:response-sent'), {
      mode: via,
      bytes: size,
      status: 200,
    });
    t.equal(peer.pending, 0, 'nothing else on the control channel');
  });
}

void t.test(
  'a response that starts small and grows past 64 KiB moves to rendezvous intact',
  async (t) => {
    const parts = [1000, 30_000, 30_000, 30_000, 17].map((n, i) => Buffer.alloc(n, 0x30 + i));
    const s = setup(t, {
      handler: async (_req, res) => {
        res.status(200);
        for (const p of parts) {
          const ok = res.body.write(p);
          if (!ok) await new Promise((r) => res.body.once('drain', r));
        }
        res.body.end();
      },
    });
    const peer = await s.connect();
    peer.sendJson(requestFrame('grow', { address: s.address('grow') }));
    const rdv = await s.rdv.nextPeer();
    t.match(await rdv.nextJson(), { response: { requestId: 'grow', statusCode: 200, body: true } });
    t.ok((await rdv.nextBinary()).equals(Buffer.concat(parts)));
    t.match(await s.events.until('relay:hc:response-sent'), { mode: 'rendezvous', bytes: 91_017 });
    t.equal(peer.pending, 0);
  },
);

void t.test(
  'a declared Content-Length over 64 KiB opens the rendezvous before the body ends',
  async (t) => {
    let finish: (() => void) | undefined;
    const s = setup(t, {
      handler: (_req, res) => {
        res.status(200, undefined, { 'Content-Length': 70_000 });
        res.body.write(Buffer.alloc(10));
        finish = () => res.body.end(Buffer.alloc(69_990));
      },
    });
    const peer = await s.connect();
    peer.sendJson(requestFrame('declared', { address: s.address('declared') }));
    const rdv = await s.rdv.nextPeer();
    t.match(await rdv.nextJson(), {
      response: { requestId: 'declared', body: true, responseHeaders: {} },
    });
    t.type(finish, 'function', 'the body is not finished yet');
    finish?.();
    t.equal((await rdv.nextBinary()).length, 70_000);
  },
);

void t.test('response headers over 32 KiB send the response by rendezvous', async (t) => {
  const s = setup(t, {
    handler: (_req, res) => {
      res.status(200, undefined, { 'X-Big': 'x'.repeat(33 * 1024) });
      res.body.end('small');
    },
  });
  const peer = await s.connect();
  peer.sendJson(requestFrame('hdr', { address: s.address('hdr') }));
  const rdv = await s.rdv.nextPeer();
  t.match(await rdv.nextJson(), { response: { requestId: 'hdr' } });
  t.equal((await rdv.nextBinary()).toString(), 'small');
});

void t.test(
  'a status set in time with a slow body is committed by rendezvous at the deadline',
  async (t) => {
    let finish: (() => void) | undefined;
    const s = setup(t, {
      config: { responseDeadlineMs: 10_000 },
      handler: (_req, res) => {
        res.status(200);
        res.body.write('first part, ');
        finish = () => res.body.end('last part');
      },
    });
    const peer = await s.connect();
    peer.sendJson(requestFrame('slow', { address: s.address('slow') }));
    await s.events.until('relay:hc:request-received');
    s.scheduler.advance(10_000);
    const rdv = await s.rdv.nextPeer();
    t.match(await rdv.nextJson(), { response: { requestId: 'slow', statusCode: 200, body: true } });
    finish?.();
    t.equal((await rdv.nextBinary()).toString(), 'first part, last part');
    t.match(await s.events.until('relay:hc:response-sent'), { mode: 'rendezvous', status: 200 });
  },
);

void t.test('a large response without a rendezvous address is aborted and reported', async (t) => {
  const s = setup(t, {
    handler: (req, res) => {
      res.status(200);
      res.body.end(Buffer.alloc(req.id === 'no-address' ? CONTROL_BODY_LIMIT + 1 : 1));
    },
  });
  const peer = await s.connect();
  peer.sendJson(requestFrame('no-address'));
  t.match(await s.events.until('relay:hc:response-aborted'), {
    requestId: 'no-address',
    code: 'RELAY_E_HC_RENDEZVOUS',
  });
  peer.sendJson(requestFrame('after'));
  t.match(await peer.nextJson(), { response: { requestId: 'after', statusCode: 200 } });
});
