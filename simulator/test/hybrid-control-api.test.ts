// The Hybrid Connections control API over real HTTP on loopback. In: JSON requests to list
// listeners, close a control channel with a chosen code, expire tokens early, and drop or
// delay rendezvous handshakes. Out: the listings, the close codes the listeners observe, the
// faults' effect on the next rendezvous, and typed 400/404 answers for bad requests.
import t from 'tap';
import {
  HC_CHANNELS,
  HandshakeRefused,
  ManualScheduler,
  TestListener,
  nextEvent,
  openQueue,
  relayRequest,
  startHybridSimulator,
  testHybridConfig,
} from '../src/cloud/hybrid';

async function setup(t: tap.Test) {
  const { config } = testHybridConfig();
  const scheduler = new ManualScheduler();
  const sim = await startHybridSimulator(config, {
    listeners: { https: false, tcp: false },
    scheduler,
  });
  t.teardown(() => sim.close());
  const base = sim.control?.url ?? '';
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${base}${path}`, {
      method,
      ...(body !== undefined
        ? { body: typeof body === 'string' ? body : JSON.stringify(body) }
        : {}),
    });
    return { status: res.status, json: (await res.json()) as Record<string, unknown> };
  };
  const listen = async (path = 'hyco', id?: string) => {
    const l = await TestListener.connect(
      sim.listenerUrl(path, 'plain', id === undefined ? {} : { id }),
      sim.token(path),
    );
    t.teardown(() => l.close());
    return l;
  };
  return { sim, scheduler, call, listen };
}

void t.test('the control API listens on loopback and lists listeners per path', async (t) => {
  const { sim, call, listen } = await setup(t);
  t.match(sim.control?.url, /^http:\/\/127\.0\.0\.1:\d+$/);
  await listen('hyco', 'relay-a');
  await listen('hyco', 'relay-b');
  await listen('tax');
  const all = await call('GET', '/listeners');
  t.equal((all.json.listeners as unknown[]).length, 3);
  const hyco = await call('GET', '/listeners?path=HYCO');
  const views = hyco.json.listeners as { clientId: string; via: string; pending: number }[];
  t.same(views.map((v) => v.clientId).sort(), ['relay-a', 'relay-b']);
  t.equal(views[0]?.via, 'plain');
  const paths = await call('GET', '/hybrid-connections');
  t.same(paths.json.hybridConnections, [
    { path: 'hyco', requiresClientAuthorization: true, listeners: 2 },
    { path: 'open', requiresClientAuthorization: false, listeners: 0 },
    { path: 'tax', requiresClientAuthorization: true, listeners: 1 },
  ]);
});

void t.test('a control channel can be closed with a chosen code', async (t) => {
  const { call, listen } = await setup(t);
  const a = await listen('hyco', 'relay-a');
  const b = await listen('hyco', 'relay-b');
  const res = await call('POST', '/listeners/close', {
    id: 'relay-a',
    code: 1011,
    reason: 'chaos',
  });
  t.same(res.json, { closed: 1 });
  const closed = await a.closed;
  t.equal(closed.code, 1011);
  t.equal(closed.reason, 'chaos');
  t.equal(b.ws.readyState, b.ws.OPEN, 'the other listener stays');
  const all = await call('POST', '/listeners/close', { path: 'hyco', code: 1001 });
  t.same(all.json, { closed: 1 });
  t.equal((await b.closed).code, 1001);
});

void t.test('tokens can be expired early: the channel closes with 1008', async (t) => {
  const { call, listen } = await setup(t);
  const a = await listen('hyco');
  const expired = nextEvent(HC_CHANNELS.token, (e) => e.action === 'expired');
  const res = await call('POST', '/listeners/expire-token', { path: 'hyco' });
  t.same(res.json, { expired: 1 });
  t.equal((await a.closed).code, 1008);
  t.equal((await expired).path, 'hyco');
});

void t.test(
  'a dropped rendezvous cuts the listener socket; the address still works until it expires',
  async (t) => {
    const { sim, call, listen } = await setup(t);
    const listener = await listen('hyco');
    const set = await call('POST', '/faults/rendezvous', { mode: 'drop', count: 1 });
    t.same(set.json, { rendezvous: { mode: 'drop', delayMs: 0, remaining: 1 } });
    const answered = relayRequest(sim.senderUrl('hyco', 'plain'), {
      method: 'POST',
      body: Buffer.alloc(70_000, 5),
      headers: { ServiceBusAuthorization: sim.token('hyco', { right: 'Send' }) },
    });
    const notice = await listener.nextJson('request');
    const dropped = await openQueue(String(notice.address)).then(
      () => 'opened',
      (e: unknown) => (e instanceof HandshakeRefused ? `refused ${e.status}` : 'dropped'),
    );
    t.equal(dropped, 'dropped', 'the socket was cut without an HTTP answer');
    const retry = await TestListener.rendezvous(String(notice.address));
    t.teardown(() => retry.close());
    const { request, body } = await retry.nextRequest();
    t.equal(body?.length, 70_000);
    retry.respond(String(request.id), 200);
    t.equal((await answered).status, 200);
    t.same((await call('GET', '/faults')).json, {
      rendezvous: { mode: 'drop', delayMs: 0, remaining: 0 },
    });
    t.same((await call('POST', '/faults/rendezvous', { mode: null })).json, { rendezvous: null });
  },
);

void t.test('a delayed rendezvous completes only when the clock reaches the delay', async (t) => {
  const { sim, scheduler, call, listen } = await setup(t);
  const listener = await listen('hyco');
  await call('POST', '/faults/rendezvous', { mode: 'delay', delayMs: 10_000 });
  const answered = relayRequest(sim.senderUrl('hyco', 'plain'), {
    headers: { ServiceBusAuthorization: sim.token('hyco', { right: 'Send' }) },
  });
  const request = await listener.nextJson('request');
  const delayed = nextEvent(HC_CHANNELS.rendezvous, (e) => e.event === 'delayed');
  const opening = TestListener.rendezvous(String(request.address));
  t.equal((await delayed).delayMs, 10_000);
  const opened = nextEvent(HC_CHANNELS.rendezvous, (e) => e.event === 'opened');
  scheduler.advance(10_000);
  await opened;
  const rendezvous = await opening;
  t.teardown(() => rendezvous.close());
  rendezvous.respond(String(request.id), 200, { body: 'late but fine' });
  t.equal((await answered).body.toString(), 'late but fine');
});

void t.test('bad control requests get typed 400 and 404 answers', async (t) => {
  const { call } = await setup(t);
  t.equal((await call('POST', '/listeners/close', { code: 1005 })).json.code, 'SIM_E_CTL_REQUEST');
  t.equal((await call('POST', '/listeners/close', { code: 'x' })).status, 400);
  t.equal((await call('POST', '/faults/rendezvous', { mode: 'explode' })).status, 400);
  t.equal((await call('POST', '/faults/rendezvous', { mode: 'delay', delayMs: -1 })).status, 400);
  t.equal((await call('POST', '/listeners/expire-token', '{oops')).status, 400);
  const missing = await call('GET', '/nothing');
  t.equal(missing.status, 404);
  t.equal(missing.json.code, 'SIM_E_CTL_ROUTE');
});
