// HTTP mode of the Hybrid Connections endpoint, driven by a raw protocol listener over the
// plain development listener. In: sender requests of chosen sizes and shapes. Out: which
// channel each request travels on (control channel up to 64 KiB, rendezvous beyond it or
// when chunked), what the listener receives, and what the sender gets back.
import { Readable } from 'node:stream';
import t from 'tap';
import {
  HC_CHANNELS,
  TestListener,
  captureEvents,
  relayRequest,
  startHybridSimulator,
  testHybridConfig,
} from '../src/cloud/hybrid';

const KIB = 1024;

async function setup(t: tap.Test) {
  const { config } = testHybridConfig();
  const sim = await startHybridSimulator(config, { listeners: { https: false, tcp: false } });
  t.teardown(() => sim.close());
  const capture = captureEvents([
    HC_CHANNELS.request,
    HC_CHANNELS.response,
    HC_CHANNELS.rendezvous,
  ]);
  t.teardown(() => {
    capture.stop();
  });
  const listen = async (path = 'hyco') => {
    const l = await TestListener.connect(sim.listenerUrl(path, 'plain'), sim.token(path));
    t.teardown(() => l.close());
    return l;
  };
  const send = (path: string, options: Parameters<typeof relayRequest>[1] = {}) =>
    relayRequest(sim.senderUrl(path, 'plain'), {
      ...options,
      headers: {
        ServiceBusAuthorization: sim.token(path.split(/[/?]/)[0], { right: 'Send' }),
        ...options.headers,
      },
    });
  return { sim, capture, listen, send };
}

void t.test(
  'a small request travels on the control channel and the answer comes back',
  async (t) => {
    const { capture, listen, send } = await setup(t);
    const listener = await listen();
    const answered = send('hyco/orders?x=1', { method: 'POST', body: 'hello' });
    const { request, body } = await listener.nextRequest();
    t.equal(request.method, 'POST');
    t.equal(request.requestTarget, '/hyco/orders?x=1');
    t.equal(body?.toString(), 'hello');
    t.match(request.address, /^ws:\/\/127\.0\.0\.1:\d+\/\$hc\/hyco\?sb-hc-action=request&/);
    listener.respond(String(request.id), 201, { headers: { 'X-Answer': 'yes' }, body: 'created' });
    const res = await answered;
    t.equal(res.status, 201);
    t.equal(res.headers['x-answer'], 'yes');
    t.equal(res.body.toString(), 'created');
    t.equal(capture.of(HC_CHANNELS.request)[0]?.route, 'control');
    t.equal(capture.of(HC_CHANNELS.response)[0]?.status, 201);
  },
);

void t.test('a request without a body says body:false and sends no binary message', async (t) => {
  const { listen, send } = await setup(t);
  const listener = await listen();
  const answered = send('hyco');
  const request = await listener.nextJson('request');
  t.equal(request.body, false);
  t.equal(request.method, 'GET');
  listener.respond(String(request.id), 204);
  const res = await answered;
  t.equal(res.status, 204);
});

void t.test(
  'a body of exactly 64 KiB goes on the control channel as one binary message',
  async (t) => {
    const { capture, listen, send } = await setup(t);
    const listener = await listen();
    const payload = Buffer.alloc(64 * KIB, 7);
    const answered = send('hyco', { method: 'PUT', body: payload });
    const { request, body } = await listener.nextRequest();
    t.ok(typeof request.method === 'string', 'the request message carries the method');
    t.equal(body?.length, 64 * KIB);
    t.ok(body?.equals(payload));
    listener.respond(String(request.id), 200);
    t.equal((await answered).status, 200);
    t.equal(capture.of(HC_CHANNELS.request)[0]?.route, 'control');
  },
);

void t.test(
  'a body of 64 KiB + 1 goes by rendezvous: the request message holds only address and id',
  async (t) => {
    const { capture, listen, send } = await setup(t);
    const listener = await listen();
    const payload = Buffer.alloc(64 * KIB + 1, 9);
    const answered = send('hyco/big', {
      method: 'POST',
      body: payload,
      headers: { 'Content-Type': 'application/octet-stream' },
    });
    const notice = await listener.nextJson('request');
    t.same(Object.keys(notice).sort(), ['address', 'id']);
    t.equal(capture.of(HC_CHANNELS.request)[0]?.route, 'rendezvous');
    const rendezvous = await TestListener.rendezvous(String(notice.address));
    t.teardown(() => rendezvous.close());
    const { request, body } = await rendezvous.nextRequest();
    t.equal(request.id, notice.id);
    t.equal(request.method, 'POST');
    t.equal(request.requestTarget, '/hyco/big');
    t.equal(
      (request.requestHeaders as Record<string, string>)['Content-Type'],
      'application/octet-stream',
    );
    t.ok(body?.equals(payload), 'the whole body arrives as one message');
    rendezvous.respond(String(request.id), 200, { body: 'got it' });
    const res = await answered;
    t.equal(res.status, 200);
    t.equal(res.body.toString(), 'got it');
    t.ok(
      capture.of(HC_CHANNELS.rendezvous).some((e) => e.event === 'opened' && e.kind === 'request'),
      'the rendezvous was opened for the request',
    );
  },
);

void t.test(
  'a chunked request (no Content-Length) goes by rendezvous, even a small one',
  async (t) => {
    const { capture, listen, send } = await setup(t);
    const listener = await listen();
    const answered = send('hyco', {
      method: 'POST',
      body: Readable.from([Buffer.from('ab'), Buffer.from('cd')]),
    });
    const notice = await listener.nextJson('request');
    t.equal(notice.method, undefined, 'no method on the control channel');
    const rendezvous = await TestListener.rendezvous(String(notice.address));
    t.teardown(() => rendezvous.close());
    const { request, body } = await rendezvous.nextRequest();
    t.equal(request.body, true);
    t.equal(body?.toString(), 'abcd');
    rendezvous.respond(String(request.id), 200, { body: 'ok' });
    t.equal((await answered).body.toString(), 'ok');
    t.equal(capture.of(HC_CHANNELS.request)[0]?.chunked, true);
  },
);

void t.test('headers over 32 KiB send even a small request by rendezvous', async (t) => {
  const { capture, listen, send } = await setup(t);
  const listener = await listen();
  const answered = send('hyco', { headers: { 'X-Big': 'h'.repeat(33 * KIB) } });
  const notice = await listener.nextJson('request');
  t.equal(capture.of(HC_CHANNELS.request)[0]?.route, 'rendezvous');
  const rendezvous = await TestListener.rendezvous(String(notice.address));
  t.teardown(() => rendezvous.close());
  const { request } = await rendezvous.nextRequest();
  t.equal((request.requestHeaders as Record<string, string>)['X-Big']?.length, 33 * KIB);
  rendezvous.respond(String(request.id), 200);
  t.equal((await answered).status, 200);
});

void t.test(
  'a response over 64 KiB comes back over the rendezvous address of a control-channel request',
  async (t) => {
    const { capture, listen, send } = await setup(t);
    const listener = await listen();
    const answered = send('hyco');
    const request = await listener.nextJson('request');
    const rendezvous = await TestListener.rendezvous(String(request.address));
    t.teardown(() => rendezvous.close());
    const big = Buffer.alloc(200 * KIB, 3);
    rendezvous.respond(String(request.id), 200, {
      headers: { 'Content-Type': 'application/pdf' },
      body: big,
    });
    const res = await answered;
    t.equal(res.status, 200);
    t.equal(res.headers['content-type'], 'application/pdf');
    t.ok(res.body.equals(big));
    t.ok(
      capture.of(HC_CHANNELS.rendezvous).some((e) => e.event === 'opened' && e.kind === 'response'),
    );
    t.equal(capture.of(HC_CHANNELS.response)[0]?.bodyBytes, 200 * KIB);
  },
);

void t.test('a multi-megabyte chunked body streams through the rendezvous intact', async (t) => {
  const { listen, send } = await setup(t);
  const listener = await listen();
  const chunk = Buffer.alloc(256 * KIB);
  for (let i = 0; i < chunk.length; i += 1) chunk[i] = i % 251;
  const parts = Array.from({ length: 12 }, () => chunk); // 3 MiB
  const answered = send('hyco', { method: 'POST', body: Readable.from(parts) });
  const notice = await listener.nextJson('request');
  const rendezvous = await TestListener.rendezvous(String(notice.address));
  t.teardown(() => rendezvous.close());
  const { request, body } = await rendezvous.nextRequest();
  t.equal(body?.length, 12 * 256 * KIB);
  t.ok(body?.equals(Buffer.concat(parts)));
  rendezvous.respond(String(request.id), 200);
  t.equal((await answered).status, 200);
});

void t.test(
  'later requests on the same sender connection reuse its rendezvous socket',
  async (t) => {
    const { sim, capture, listen } = await setup(t);
    const listener = await listen();
    const { Agent, request } = await import('node:http');
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    t.teardown(() => {
      agent.destroy();
    });
    const token = sim.token('hyco', { right: 'Send' });
    const once = (body: Buffer) =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = request(
          sim.senderUrl('hyco', 'plain'),
          { method: 'POST', agent, headers: { ServiceBusAuthorization: token } },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.once('end', () => {
              resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() });
            });
          },
        );
        req.once('error', reject);
        req.end(body);
      });
    const first = once(Buffer.alloc(70 * KIB, 1));
    const notice = await listener.nextJson('request');
    const rendezvous = await TestListener.rendezvous(String(notice.address));
    t.teardown(() => rendezvous.close());
    const r1 = await rendezvous.nextRequest();
    rendezvous.respond(String(r1.request.id), 200, { body: 'one' });
    t.equal((await first).body, 'one');
    const second = once(Buffer.from('small'));
    const r2 = await rendezvous.nextRequest();
    t.equal(r2.body?.toString(), 'small', 'the second request arrives on the rendezvous socket');
    rendezvous.respond(String(r2.request.id), 200, { body: 'two' });
    t.equal((await second).body, 'two');
    t.same(
      capture.of(HC_CHANNELS.request).map((e) => e.route),
      ['rendezvous', 'session'],
    );
  },
);
