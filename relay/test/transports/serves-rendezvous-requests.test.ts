// Requests the service sends by rendezvous: a notice with only an address on the control
// channel, then the request (and body) on the rendezvous socket the listener opens to that
// address as given; the response goes back on that socket, which then serves the same
// sender's next requests until it is idle.
import t from 'tap';
import { sameService } from '../../src/transports/hc-listener';
import { readAll, requestFrame, setup } from './helpers/setup';

const echo = async (
  req: import('../../src/transports/hc-handler').HcRequest,
  res: import('../../src/transports/hc-handler').HcResponse,
) => {
  const body = await readAll(req.body);
  res.status(201, 'Created', { 'Content-Type': 'application/octet-stream' });
  res.body.end(Buffer.concat([Buffer.from(`${req.method} ${req.target} `), body]));
};

void t.test(
  'a rendezvous notice is followed to its address and the request is answered there',
  async (t) => {
    const s = setup(t, { handler: echo });
    const peer = await s.connect();
    peer.sendJson({ request: { address: s.address('big-1'), id: 'big-1' } });
    const rdv = await s.rdv.nextPeer();
    t.equal(rdv.param('sb-hc-action'), 'request', 'dialled as given');
    t.equal(rdv.param('sb-hc-id'), 'big-1');
    t.equal(rdv.param('sb-hc-token'), null, 'a rendezvous address needs no token');
    const body = Buffer.alloc(200 * 1024, 7);
    rdv.sendJson(requestFrame('big-1', { method: 'PUT', requestTarget: '/docs/1', body: true }));
    rdv.sendBinary(body);
    t.same(await rdv.nextJson(), {
      response: {
        requestId: 'big-1',
        statusCode: 201,
        statusDescription: 'Created',
        responseHeaders: { 'Content-Type': 'application/octet-stream' },
        body: true,
      },
    });
    const answer = await rdv.nextBinary();
    t.equal(answer.length, 'PUT /docs/1 '.length + body.length);
    t.match(await s.events.until('relay:hc:request-received'), {
      requestId: 'big-1',
      mode: 'rendezvous',
      size: body.length,
    });
    t.match(await s.events.until('relay:hc:response-sent'), {
      requestId: 'big-1',
      mode: 'rendezvous',
      status: 201,
    });
    t.equal(peer.pending, 0, 'nothing went on the control channel');
  },
);

void t.test(
  'the rendezvous socket serves the next request of the same sender, then closes when idle',
  async (t) => {
    const s = setup(t, { handler: echo, config: { rendezvousIdleMs: 20_000 } });
    const peer = await s.connect();
    peer.sendJson({ request: { address: s.address('n1'), id: 'n1' } });
    const rdv = await s.rdv.nextPeer();
    rdv.sendJson(requestFrame('n1'));
    t.match(await rdv.nextJson(), { response: { requestId: 'n1', statusCode: 201 } });
    await rdv.nextBinary();
    rdv.sendJson(requestFrame('n2', { method: 'DELETE' }));
    t.match(await rdv.nextJson(), { response: { requestId: 'n2', statusCode: 201 } });
    t.equal((await rdv.nextBinary()).toString(), 'DELETE /items/n2 ');
    s.scheduler.advance(19_999);
    t.equal(s.listener.rendezvousCount, 1, 'still open just before the idle bound');
    s.scheduler.advance(1);
    t.equal((await rdv.closed).code, 1000, 'closed normally when idle');
    await s.events.until('relay:hc:rendezvous', (e) => e.event === 'closed');
  },
);

void t.test('with rendezvousIdleMs 0 the socket is closed right after the response', async (t) => {
  const s = setup(t, { handler: echo, config: { rendezvousIdleMs: 0 } });
  const peer = await s.connect();
  peer.sendJson({ request: { address: s.address('z1') } });
  const rdv = await s.rdv.nextPeer();
  rdv.sendJson(requestFrame('z1'));
  await rdv.nextJson();
  await rdv.nextBinary();
  t.equal((await rdv.closed).code, 1000);
});

void t.test(
  'a rendezvous notice whose request never comes is given up after the deadline',
  async (t) => {
    const s = setup(t, { handler: echo });
    const peer = await s.connect();
    peer.sendJson({ request: { address: s.address('silent'), id: 'silent' } });
    const rdv = await s.rdv.nextPeer();
    await s.events.until('relay:hc:rendezvous', (e) => e.event === 'open');
    s.scheduler.advance(s.listener.config.responseDeadlineMs);
    t.match(await s.events.until('relay:hc:fault'), {
      code: 'RELAY_E_HC_RENDEZVOUS',
      requestId: 'silent',
    });
    t.equal((await rdv.closed).code, 1000);
    t.equal(s.listener.state, 'connected', 'the listener keeps running');
  },
);

void t.test(
  'a rendezvous address outside the namespace domain is refused without dialling',
  async (t) => {
    const dialled: string[] = [];
    const s = setup(t, {
      handler: echo,
      deps: {
        dial: (url, purpose) => {
          dialled.push(purpose);
          return url;
        },
      },
    });
    const peer = await s.connect();
    for (const address of [
      'wss://attacker.example.net/$hc/x?sb-hc-action=request',
      'https://g1.servicebus.windows.net/$hc/x',
      'ws://g1.servicebus.windows.net/$hc/x?sb-hc-action=request',
      'not a url',
    ]) {
      peer.sendJson({ request: { address, id: 'evil' } });
    }
    peer.sendJson(requestFrame('after'));
    await peer.nextJson();
    const faults = s.events.list('relay:hc:fault');
    t.same(
      faults.map((f) => f.code),
      ['RELAY_E_HC_ADDRESS', 'RELAY_E_HC_ADDRESS', 'RELAY_E_HC_ADDRESS', 'RELAY_E_HC_ADDRESS'],
    );
    t.same(dialled, ['control'], 'only the control channel was dialled');
  },
);

void t.test('a rendezvous socket that cannot be opened is a fault, not a crash', async (t) => {
  const s = setup(t, { handler: echo });
  const peer = await s.connect();
  peer.sendJson({
    request: {
      address: 'wss://nobody-here.servicebus.windows.net/$hc/x?sb-hc-action=request',
      id: 'lost',
    },
  });
  t.match(await s.events.until('relay:hc:rendezvous', (e) => e.event === 'failed'), {
    requestId: 'lost',
  });
  t.match(await s.events.until('relay:hc:fault'), {
    code: 'RELAY_E_HC_RENDEZVOUS',
    requestId: 'lost',
  });
  peer.sendJson(requestFrame('next'));
  t.match(await peer.nextJson(), { response: { requestId: 'next', statusCode: 201 } });
});

void t.test(
  'the rendezvous host rule accepts the namespace host and its sibling gateway nodes only',
  (t) => {
    const ns = 'council-42.servicebus.windows.net';
    t.ok(sameService(ns, ns));
    t.ok(sameService('G2-PROD-AM3-003.servicebus.windows.net', ns), 'a gateway node, any case');
    t.notOk(sameService('servicebus.windows.net', ns), 'the parent itself is not a node');
    t.notOk(sameService('council-42.servicebus.windows.net.evil.example', ns));
    t.notOk(sameService('x.evil-servicebus.windows.net', ns));
    t.notOk(sameService('a.windows.net', 'b.windows.net'), 'two-label parents are too broad');
    t.ok(sameService('127.0.0.1', '127.0.0.1'));
    t.notOk(sameService('127.0.0.2', '127.0.0.1'), 'addresses must match exactly');
    t.notOk(sameService('[::1]', '127.0.0.1'));
    t.end();
  },
);
