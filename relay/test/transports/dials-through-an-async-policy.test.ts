// The dial policy may answer later (the relay's egress check resolves DNS): `dial` returns a URL
// or a promise of one. A control-channel dial that is refused (thrown or rejected) or never
// answered within the handshake bound counts as a failed connect, RELAY_E_HC_ADDRESS, retried
// on the back-off schedule; a refused rendezvous dial is a RELAY_E_HC_ADDRESS fault and its
// request is not served (nothing is dialled), and a response that needed one is aborted.
import t from 'tap';
import type { DialPurpose } from '../../src/transports/hc-listener';
import { Inbox } from './helpers/mock-service';
import { requestFrame, setup } from './helpers/setup';

/** A dial policy whose answers the test gives, one per dial, in order. */
function manualDial() {
  const asked = new Inbox<{
    url: URL;
    purpose: DialPurpose;
    resolve: (u: URL) => void;
    reject: (e: unknown) => void;
  }>();
  const purposes: DialPurpose[] = [];
  const dial = (url: URL, purpose: DialPurpose): Promise<URL> =>
    new Promise((resolve, reject) => {
      purposes.push(purpose);
      asked.put({ url, purpose, resolve, reject });
    });
  return { asked, purposes, dial };
}

void t.test('a control channel is opened once the dial policy answers', async (t) => {
  const d = manualDial();
  const s = setup(t, { deps: { dial: d.dial } });
  s.listener.start();
  const ask = await d.asked.take();
  t.equal(ask.purpose, 'control');
  t.equal(ask.url.hostname, s.host, 'the policy sees the logical host');
  t.equal(s.control.all.length, 0, 'nothing is dialled before the answer');
  ask.resolve(ask.url);
  await s.control.nextPeer();
  await s.listener.ready();
  t.equal(s.listener.state, 'connected');
});

void t.test('a refused control dial is a failed connect, retried with the back-off', async (t) => {
  const d = manualDial();
  const s = setup(t, { deps: { dial: d.dial } });
  s.listener.start();
  (await d.asked.take()).reject(new Error('getaddrinfo ENOTFOUND'));
  t.match(await s.events.until('relay:hc:refused'), {
    attempt: 1,
    code: 'RELAY_E_HC_ADDRESS',
    retryable: true,
  });
  t.match(await s.events.until('relay:hc:reconnect-scheduled'), {
    attempt: 0,
    delayMs: 0,
    reason: 'RELAY_E_HC_ADDRESS',
  });
  s.scheduler.advance(0);
  // A policy that throws at once is the same.
  const second = await d.asked.take();
  second.reject(new Error('refused by the egress policy'));
  t.match(await s.events.nth('relay:hc:reconnect-scheduled', 2), {
    attempt: 1,
    reason: 'RELAY_E_HC_ADDRESS',
  });
  s.scheduler.advance(s.listener.config.reconnectDelaysMs[1] ?? 1_000);
  s.scheduler.advance(s.listener.config.reconnectDelaysMs[1] ?? 1_000);
  const third = await d.asked.take();
  third.resolve(third.url);
  await s.control.nextPeer();
  await s.listener.ready();
  t.equal(s.listener.state, 'connected', 'connected once the policy allowed it');
  t.same(d.purposes, ['control', 'control', 'control']);
});

void t.test('a policy that throws synchronously is retried the same way', async (t) => {
  let calls = 0;
  const s = setup(t, {
    deps: {
      dial: (url) => {
        if (++calls === 1) throw new Error('no route');
        return url;
      },
    },
  });
  s.listener.start();
  t.match(await s.events.until('relay:hc:refused'), { code: 'RELAY_E_HC_ADDRESS' });
  s.scheduler.advance(0);
  await s.control.nextPeer();
  await s.listener.ready();
  t.equal(calls, 2);
});

void t.test('a control dial never answered fails at the handshake bound', async (t) => {
  const d = manualDial();
  const s = setup(t, { deps: { dial: d.dial } });
  s.listener.start();
  const first = await d.asked.take();
  s.scheduler.advance(s.listener.config.handshakeTimeoutMs);
  t.match(await s.events.until('relay:hc:refused'), {
    attempt: 1,
    code: 'RELAY_E_HC_ADDRESS',
  });
  // The first delay is 0: the next attempt asks the policy again at once.
  const second = await d.asked.take();
  first.resolve(first.url); // too late: ignored
  t.equal(s.control.all.length, 0, 'the late answer opened nothing');
  second.resolve(second.url);
  await s.control.nextPeer();
  await s.listener.ready();
  t.equal(s.control.all.length, 1, 'only the second attempt connected');
});

void t.test('close() while a control dial is pending finishes without dialling', async (t) => {
  const d = manualDial();
  const s = setup(t, { deps: { dial: d.dial } });
  s.listener.start();
  const ask = await d.asked.take();
  await s.listener.close();
  ask.resolve(ask.url);
  t.equal(s.listener.state, 'closed');
  t.equal(s.control.all.length, 0);
});

void t.test('a rendezvous is dialled once the policy answers, and served', async (t) => {
  const d = manualDial();
  const s = setup(t, {
    deps: { dial: d.dial },
    handler: async (req, res) => {
      req.body.resume();
      await res.send(200, 'ok');
    },
  });
  s.listener.start();
  const control = await d.asked.take();
  control.resolve(control.url);
  const peer = await s.control.nextPeer();
  await s.listener.ready();
  peer.sendJson({ request: { address: s.address('later'), id: 'later' } });
  const ask = await d.asked.take();
  t.equal(ask.purpose, 'rendezvous');
  ask.resolve(ask.url);
  const rdv = await s.rdv.nextPeer();
  rdv.sendJson(requestFrame('later'));
  t.match(await rdv.nextJson(), { response: { requestId: 'later', statusCode: 200 } });
});

void t.test(
  'a refused rendezvous dial is a RELAY_E_HC_ADDRESS fault and nothing is dialled',
  async (t) => {
    const d = manualDial();
    const s = setup(t, { deps: { dial: d.dial } });
    s.listener.start();
    const control = await d.asked.take();
    control.resolve(control.url);
    const peer = await s.control.nextPeer();
    await s.listener.ready();
    peer.sendJson({ request: { address: s.address('no'), id: 'no' } });
    (await d.asked.take()).reject(new Error('10.0.0.0/8 is not allowed'));
    t.match(await s.events.until('relay:hc:fault'), {
      code: 'RELAY_E_HC_ADDRESS',
      requestId: 'no',
    });
    t.match(await s.events.until('relay:hc:rendezvous', (e) => e.event === 'failed'), {
      requestId: 'no',
    });
    t.equal(s.rdv.all.length, 0, 'the refused address was never dialled');
    t.equal(s.listener.rendezvousCount, 0);
    peer.sendJson(requestFrame('next'));
    t.match(await peer.nextJson(), { response: { requestId: 'next', statusCode: 200 } });
  },
);

void t.test(
  'a response that needs a rendezvous is aborted when the policy refuses it',
  async (t) => {
    const d = manualDial();
    const s = setup(t, {
      deps: { dial: d.dial },
      handler: (_req, res) => {
        res.status(200, 'OK', { 'Content-Length': 100_000 });
        res.body.end(Buffer.alloc(100_000));
      },
    });
    s.listener.start();
    const control = await d.asked.take();
    control.resolve(control.url);
    const peer = await s.control.nextPeer();
    await s.listener.ready();
    peer.sendJson(requestFrame('large', { address: s.address('large') }));
    (await d.asked.take()).reject(new Error('refused'));
    t.match(await s.events.until('relay:hc:response-aborted', (e) => e.requestId === 'large'), {
      code: 'RELAY_E_HC_ADDRESS',
    });
    t.equal(peer.pending, 0, 'nothing went on the control channel');
    t.equal(s.rdv.all.length, 0);
  },
);
