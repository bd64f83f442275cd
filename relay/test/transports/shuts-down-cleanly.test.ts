// close(): no more reconnects; waiting requests answered 503 before the control channel is
// closed with 1000; running requests may finish within shutdownGraceMs (their responses then go
// by rendezvous); whatever is left is aborted; the promise resolves when every socket is closed.
import t from 'tap';
import type { HcRequest } from '../../src/transports/hc-handler';
import { requestFrame, setup } from './helpers/setup';

function gatedHandler() {
  const release = new Map<string, () => void>();
  const signals = new Map<string, AbortSignal>();
  return {
    release,
    signals,
    handler: async (req: HcRequest, res: { send(code: number, data?: string): Promise<void> }) => {
      signals.set(req.id, req.signal);
      await new Promise<void>((resolve) => release.set(req.id, resolve));
      await res.send(200, `done ${req.id}`);
    },
  };
}

void t.test(
  'running requests finish, waiting ones get 503, then everything is closed',
  async (t) => {
    const g = gatedHandler();
    const s = setup(t, { handler: g.handler, config: { maxConcurrent: 1, maxQueued: 4 } });
    const peer = await s.connect();
    peer.sendJson(requestFrame('running', { address: s.address('running') }));
    peer.sendJson(requestFrame('waiting', { address: s.address('waiting') }));
    await s.events.until('relay:hc:request-received', (e) => e.requestId === 'waiting');
    let closedEmitted = false;
    s.listener.once('closed', () => (closedEmitted = true));
    const closing = s.listener.close();
    t.equal(s.listener.close(), closing, 'close() twice gives the same promise');
    t.equal(s.listener.state, 'closing');
    t.match(await peer.nextJson(), { response: { requestId: 'waiting', statusCode: 503 } });
    t.match(JSON.parse((await peer.nextBinary()).toString()), { code: 'RELAY_E_HC_SHUTDOWN' });
    t.equal((await peer.closed).code, 1000, 'the control channel is closed normally');
    t.match(await s.events.until('relay:hc:closed'), { by: 'listener', code: 1000 });
    t.equal(s.listener.state, 'closing', 'still waiting for the running request');
    g.release.get('running')?.();
    const rdv = await s.rdv.nextPeer();
    t.equal(rdv.param('sb-hc-id'), 'running', 'the answer goes by the request address');
    t.match(await rdv.nextJson(), { response: { requestId: 'running', statusCode: 200 } });
    t.equal((await rdv.nextBinary()).toString(), 'done running');
    t.equal((await rdv.closed).code, 1000);
    await closing;
    t.equal(s.listener.state, 'closed');
    t.ok(closedEmitted);
    t.match(await s.events.until('relay:hc:shutdown'), { aborted: 0 });
    t.equal(g.signals.get('running')?.aborted, false, 'the finished request was never aborted');
    s.scheduler.advance(3_600_000);
    t.equal(s.control.all.length, 1, 'no reconnect after close');
  },
);

void t.test('a request still running after the grace period is aborted', async (t) => {
  const g = gatedHandler();
  const s = setup(t, { handler: g.handler, config: { shutdownGraceMs: 5_000 } });
  const peer = await s.connect();
  peer.sendJson(requestFrame('stuck'));
  await s.events.until('relay:hc:request-received');
  const closing = s.listener.close();
  await peer.closed;
  s.scheduler.advance(4_999);
  t.equal(g.signals.get('stuck')?.aborted, false);
  s.scheduler.advance(1);
  await closing;
  t.equal(g.signals.get('stuck')?.aborted, true, 'the handler was told to stop');
  t.match(await s.events.until('relay:hc:response-aborted'), {
    requestId: 'stuck',
    code: 'RELAY_E_HC_SHUTDOWN',
  });
  t.match(await s.events.until('relay:hc:shutdown'), { aborted: 1 });
  g.release.get('stuck')?.();
});

void t.test(
  'idle rendezvous sockets are closed and a pending reconnect is cancelled',
  async (t) => {
    const s = setup(t, {
      handler: async (_req, res) => {
        await res.send(200, 'x');
      },
    });
    const peer = await s.connect();
    peer.sendJson({ request: { address: s.address('r') } });
    const rdv = await s.rdv.nextPeer();
    rdv.sendJson(requestFrame('r'));
    await rdv.nextJson();
    await rdv.nextBinary();
    await s.events.until('relay:hc:response-sent');
    t.equal(s.listener.rendezvousCount, 1, 'kept open for the same sender');
    peer.close(1011, 'service error');
    await s.events.until('relay:hc:reconnect-scheduled');
    await s.listener.close();
    t.equal((await rdv.closed).code, 1000);
    s.scheduler.advance(3_600_000);
    t.equal(s.control.all.length, 1, 'the scheduled reconnect never ran');
    t.equal(s.listener.state, 'closed');
  },
);

void t.test('close() on a listener that never started resolves at once', async (t) => {
  const s = setup(t);
  await s.listener.close();
  t.equal(s.listener.state, 'closed');
  s.listener.start();
  t.equal(s.listener.state, 'closed', 'a closed listener does not start');
});
