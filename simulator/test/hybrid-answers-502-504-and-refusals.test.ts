// The service's own answers to senders. In: requests with no listener, with a listener that
// stays silent (the clock is a ManualScheduler: no real waiting), with oversized headers,
// bad or missing tokens, unknown paths, CONNECT. Out: 502, 504 (after the deadline, not
// before), 431, 401, 403, 404, 405, each with its event, and no Via on the service's own.
import { connect } from 'node:net';
import t from 'tap';
import {
  HC_CHANNELS,
  ManualScheduler,
  TestListener,
  captureEvents,
  nextEvent,
  relayRequest,
  startHybridSimulator,
  testHybridConfig,
} from '../src/cloud/hybrid';

async function setup(t: tap.Test, limits = {}) {
  const { config } = testHybridConfig();
  const scheduler = new ManualScheduler();
  const sim = await startHybridSimulator(config, {
    listeners: { https: false, tcp: false },
    scheduler,
    limits,
  });
  t.teardown(() => sim.close());
  const capture = captureEvents(Object.values(HC_CHANNELS));
  t.teardown(() => {
    capture.stop();
  });
  const sendToken = sim.token('hyco', { right: 'Send' });
  const send = (
    path = 'hyco',
    headers: Record<string, string> = { ServiceBusAuthorization: sendToken },
  ) => relayRequest(sim.senderUrl(path, 'plain'), { headers });
  return { sim, scheduler, capture, send };
}

void t.test('no listener connected: 502 Bad Gateway, from the service (no Via)', async (t) => {
  const { capture, send } = await setup(t);
  const res = await send();
  t.equal(res.status, 502);
  t.equal(res.headers.via, undefined);
  t.match(res.body.toString(), /SIM_E_HC_NO_LISTENER/);
  t.equal(capture.of(HC_CHANNELS.badGateway)[0]?.code, 'SIM_E_HC_NO_LISTENER');
});

void t.test('a listener that never answers: 504 exactly when the deadline passes', async (t) => {
  const { sim, scheduler, capture, send } = await setup(t);
  const listener = await TestListener.connect(sim.listenerUrl('hyco', 'plain'), sim.token('hyco'));
  t.teardown(() => listener.close());
  const answered = send();
  const request = await listener.nextJson('request');
  scheduler.advance(59_999);
  t.equal(capture.of(HC_CHANNELS.timeout).length, 0, 'nothing happens before 60 s');
  scheduler.advance(1);
  const res = await answered;
  t.equal(res.status, 504);
  t.equal(res.headers.via, undefined);
  t.equal(capture.of(HC_CHANNELS.timeout)[0]?.requestId, request.id);
  // A late answer is ignored and the control channel stays open.
  listener.respond(String(request.id), 200, { body: 'late' });
  const second = send();
  const next = await listener.nextJson('request');
  listener.respond(String(next.id), 200, { body: 'on time' });
  t.equal((await second).body.toString(), 'on time');
  t.ok(
    capture.of(HC_CHANNELS.protocolError).some((e) => e.action === 'ignored'),
    'the late response was ignored, not fatal',
  );
});

void t.test('the response deadline is configurable', async (t) => {
  const { sim, scheduler, send } = await setup(t, { responseDeadlineMs: 5_000 });
  const listener = await TestListener.connect(sim.listenerUrl('hyco', 'plain'), sim.token('hyco'));
  t.teardown(() => listener.close());
  const answered = send();
  await listener.nextJson('request');
  scheduler.advance(5_000);
  t.equal((await answered).status, 504);
});

void t.test('a response head without its body in time: 504', async (t) => {
  const { sim, scheduler, capture, send } = await setup(t);
  const listener = await TestListener.connect(sim.listenerUrl('hyco', 'plain'), sim.token('hyco'));
  t.teardown(() => listener.close());
  const answered = send();
  const request = await listener.nextJson('request');
  const headRead = nextEvent(
    HC_CHANNELS.frame,
    (e) => e.direction === 'in' && e.verb === 'response',
  );
  listener.sendJson({ response: { requestId: request.id, statusCode: 200, body: true } });
  await headRead;
  scheduler.advance(59_999);
  t.equal(capture.of(HC_CHANNELS.timeout).length, 0, 'the body still has time');
  scheduler.advance(1);
  t.equal((await answered).status, 504);
  t.equal(capture.of(HC_CHANNELS.timeout)[0]?.stage, 'body');
});

void t.test('a listener may not answer 502 or 504: the sender gets the service 502', async (t) => {
  const { sim, capture, send } = await setup(t);
  const listener = await TestListener.connect(sim.listenerUrl('hyco', 'plain'), sim.token('hyco'));
  t.teardown(() => listener.close());
  const answered = send();
  const request = await listener.nextJson('request');
  listener.respond(String(request.id), 504, { body: 'pretend timeout' });
  const res = await answered;
  t.equal(res.status, 502);
  t.equal(res.headers.via, undefined);
  t.equal(capture.of(HC_CHANNELS.badGateway)[0]?.code, 'SIM_E_HC_BAD_RESPONSE');
});

void t.test('senders without a valid Send token are refused with 401 or 403', async (t) => {
  const { sim, capture, send } = await setup(t);
  t.equal((await send('hyco', {})).status, 401, 'no token');
  t.equal(
    (await send('hyco', { ServiceBusAuthorization: 'SharedAccessSignature sr=x' })).status,
    401,
    'malformed',
  );
  t.equal(
    (await send('hyco', { ServiceBusAuthorization: sim.token('hyco', { keyName: 'listen' }) }))
      .status,
    403,
    'a Listen-only key may not send',
  );
  t.equal(
    (await send('hyco', { ServiceBusAuthorization: sim.token('tax', { right: 'Send' }) })).status,
    403,
    'a token for another path',
  );
  t.same(
    capture.of(HC_CHANNELS.senderRefused).map((e) => e.code),
    ['SAS_E_MISSING', 'SAS_E_FORMAT', 'SAS_E_RIGHTS', 'SAS_E_RESOURCE'],
  );
});

void t.test('an unknown path is 404 and a plain request to /$hc/ is 400', async (t) => {
  const { send } = await setup(t);
  t.equal((await send('nope')).status, 404);
  t.equal((await send('$hc/hyco')).status, 400);
});

void t.test(
  'request headers over the limit are answered 431 and the endpoint stays up',
  async (t) => {
    const { sim, capture, send } = await setup(t, { maxHeaderBytes: 16_384 });
    const res = await relayRequest(sim.senderUrl('hyco', 'plain'), {
      headers: { 'X-Huge': 'h'.repeat(20_000) },
    });
    t.equal(res.status, 431);
    t.equal(capture.of(HC_CHANNELS.senderRefused)[0]?.code, 'SIM_E_HC_HEADERS_TOO_LARGE');
    t.equal((await send()).status, 502, 'the next request is served normally');
  },
);

void t.test('CONNECT is refused with 405', async (t) => {
  const { sim } = await setup(t);
  const port = sim.listeners.plain?.port ?? 0;
  const answer = await new Promise<string>((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.write('CONNECT example.org:443 HTTP/1.1\r\nHost: example.org:443\r\n\r\n');
    });
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.once('close', () => {
      resolve(Buffer.concat(chunks).toString());
    });
    socket.once('error', reject);
  });
  t.match(answer, /^HTTP\/1\.1 405 /);
});
