// WebSocket mode and rendezvous addresses. In: WebSocket senders (sb-hc-action=connect) and
// listeners that accept, reject, reuse or come late to the rendezvous address. Out: an accept
// message with the sender's headers (no token), a bridged pair of sockets that relays text
// and binary both ways and mirrors the close, the sender's upgrade failing with the status a
// rejecting listener chose (and 410 for that listener), 403 for a used or expired address,
// 404 when no listener is connected, 504 when the listener never comes.
import t from 'tap';
import {
  HC_CHANNELS,
  HandshakeRefused,
  ManualScheduler,
  TestListener,
  captureEvents,
  openQueue,
  relayRequest,
  startHybridSimulator,
  testHybridConfig,
  type FrameQueue,
} from '../src/cloud/hybrid';

async function setup(t: tap.Test) {
  const { config } = testHybridConfig();
  const scheduler = new ManualScheduler();
  const sim = await startHybridSimulator(config, {
    listeners: { https: false, tcp: false },
    scheduler,
  });
  t.teardown(() => sim.close());
  const capture = captureEvents([HC_CHANNELS.connect, HC_CHANNELS.rendezvous]);
  t.teardown(() => {
    capture.stop();
  });
  const listener = await TestListener.connect(sim.listenerUrl('hyco', 'plain'), sim.token('hyco'));
  t.teardown(() => listener.close());
  const connect = (suffix = '', protocols: string[] = []) => {
    const [path = '', query] = suffix.split('?');
    const url = sim
      .connectUrl('hyco', 'plain')
      .replace('?', `${path}?${query === undefined ? '' : `${query}&`}`);
    return openQueue(url, {
      headers: {
        ServiceBusAuthorization: sim.token('hyco', { right: 'Send' }),
        'X-App': 'tax-portal',
      },
      protocols,
    });
  };
  return { sim, scheduler, capture, listener, connect };
}

async function refused<T>(p: Promise<T>): Promise<HandshakeRefused> {
  try {
    await p;
  } catch (e) {
    if (e instanceof HandshakeRefused) return e;
    throw e;
  }
  throw new Error('the handshake was accepted');
}

void t.test(
  'an accepted sender is bridged to the listener: messages flow both ways, close is mirrored',
  async (t) => {
    const { capture, listener, connect } = await setup(t);
    const senderP = connect('/invoices?year=2024', ['relaycheck.v1']);
    const accept = await listener.nextJson('accept');
    const headers = accept.connectHeaders as Record<string, string>;
    t.equal(headers['X-App'], 'tax-portal');
    t.equal(headers['Sec-WebSocket-Protocol'], 'relaycheck.v1');
    t.notOk(
      Object.keys(headers).some((h) => h.toLowerCase() === 'servicebusauthorization'),
      'no token',
    );
    t.match(accept.address, /\/\$hc\/hyco\/invoices\?year=2024&sb-hc-action=accept&sb-hc-id=/);
    t.type(accept.id, 'string');
    t.type((accept.remoteEndpoint as { port: unknown }).port, 'number');
    const side = await openQueue(String(accept.address), { protocols: ['relaycheck.v1'] });
    const sender = await senderP;
    t.equal(sender.ws.protocol, 'relaycheck.v1', 'the listener chose the subprotocol');
    sender.ws.send('hello listener');
    const m1 = await side.next();
    t.same(m1.kind === 'text' ? m1.text : undefined, 'hello listener');
    side.ws.send(Buffer.from([1, 2, 3]));
    const m2 = await sender.next();
    t.same(m2.kind === 'binary' ? [...m2.data] : undefined, [1, 2, 3]);
    side.ws.close(4000, 'done');
    const closed = await sender.closed;
    t.equal(closed.code, 4000);
    t.equal(closed.reason, 'done');
    t.same(
      capture.of(HC_CHANNELS.connect).map((e) => e.outcome),
      ['offered', 'accepted'],
    );
  },
);

void t.test(
  'a rejecting listener: the sender gets its status, the listener gets 410',
  async (t) => {
    const { capture, listener, connect } = await setup(t);
    const senderP = refused(connect());
    const accept = await listener.nextJson('accept');
    const reject = await refused(
      openQueue(
        `${String(accept.address)}&sb-hc-statusCode=403&sb-hc-statusDescription=${encodeURIComponent('Not for you')}`,
      ),
    );
    t.equal(reject.status, 410);
    const e = await senderP;
    t.equal(e.status, 403);
    t.equal(e.statusMessage, 'Not for you');
    t.equal(capture.of(HC_CHANNELS.connect).at(-1)?.outcome, 'rejected');
  },
);

void t.test(
  'a reject status outside 400-599 is refused with 400 and the sender still waits',
  async (t) => {
    const { listener, connect } = await setup(t);
    const senderP = connect();
    const accept = await listener.nextJson('accept');
    const bad = await refused(openQueue(`${String(accept.address)}&sb-hc-statusCode=200`));
    t.equal(bad.status, 400);
    const side = await openQueue(String(accept.address));
    const sender = await senderP;
    t.ok(sender.ws.readyState === sender.ws.OPEN && side.ws.readyState === side.ws.OPEN);
    await sender.close();
  },
);

void t.test('a rendezvous address works once: a second use gets 403', async (t) => {
  const { listener, connect } = await setup(t);
  const senderP = connect();
  const accept = await listener.nextJson('accept');
  const side: FrameQueue = await openQueue(String(accept.address));
  t.teardown(() => side.close());
  await senderP;
  const again = await refused(openQueue(String(accept.address)));
  t.equal(again.status, 403);
  t.match(again.statusMessage, /not valid/);
});

void t.test(
  'a rendezvous address expires after 30 s: the sender gets 504, the late listener 403',
  async (t) => {
    const { scheduler, capture, listener, connect } = await setup(t);
    const senderP = refused(connect());
    const accept = await listener.nextJson('accept');
    scheduler.advance(29_999);
    t.notOk(capture.of(HC_CHANNELS.rendezvous).some((e) => e.event === 'expired'));
    scheduler.advance(1);
    t.equal((await senderP).status, 504);
    const late = await refused(openQueue(String(accept.address)));
    t.equal(late.status, 403);
    t.match(late.statusMessage, /expired/);
  },
);

void t.test('an HTTP request rendezvous expires too: the sender gets 504', async (t) => {
  const { sim, scheduler, listener } = await setup(t);
  const answered = relayRequest(sim.senderUrl('hyco', 'plain'), {
    method: 'POST',
    body: Buffer.alloc(70_000),
    headers: { ServiceBusAuthorization: sim.token('hyco', { right: 'Send' }) },
  });
  const notice = await listener.nextJson('request');
  scheduler.advance(30_000);
  t.equal((await answered).status, 504);
  t.equal((await refused(openQueue(String(notice.address)))).status, 403);
});

void t.test('no listener: a WebSocket sender is refused with 404', async (t) => {
  const { sim, listener } = await setup(t);
  await listener.close();
  const e = await refused(
    openQueue(sim.connectUrl('hyco', 'plain'), {
      headers: { ServiceBusAuthorization: sim.token('hyco', { right: 'Send' }) },
    }),
  );
  t.equal(e.status, 404);
  t.match(e.statusMessage, /no listeners connected/);
});

void t.test(
  'a WebSocket sender without a Send token is refused with 401; an open path needs none',
  async (t) => {
    const { sim } = await setup(t);
    t.equal((await refused(openQueue(sim.connectUrl('hyco', 'plain')))).status, 401);
    const open = await TestListener.connect(sim.listenerUrl('open', 'plain'), sim.token('open'));
    t.teardown(() => open.close());
    const senderP = openQueue(sim.connectUrl('open', 'plain'));
    const accept = await open.nextJson('accept');
    const side = await openQueue(String(accept.address));
    t.teardown(() => side.close());
    const sender = await senderP;
    t.equal(sender.ws.readyState, sender.ws.OPEN);
  },
);
