// What a listener sees of a sender's request, and what the sender sees of the answer. In:
// requests carrying tokens in each of the three places, hop-by-hop headers and sb-hc-*
// query parameters. Out: the requestHeaders and requestTarget on the control channel (no
// token, no hop-by-hop header, Via added) and Via on the answer the sender gets.
import t from 'tap';
import {
  TestListener,
  relayRequest,
  startHybridSimulator,
  testHybridConfig,
} from '../src/cloud/hybrid';

async function setup(t: tap.Test) {
  const { config } = testHybridConfig();
  const sim = await startHybridSimulator(config, { listeners: { https: false, tcp: false } });
  t.teardown(() => sim.close());
  const listen = async (path: string) => {
    const l = await TestListener.connect(sim.listenerUrl(path, 'plain'), sim.token(path));
    t.teardown(() => l.close());
    return l;
  };
  return { sim, listen };
}

void t.test(
  'ServiceBusAuthorization, sb-hc-* parameters and hop-by-hop headers never reach the listener',
  async (t) => {
    const { sim, listen } = await setup(t);
    const listener = await listen('hyco');
    const token = sim.token('hyco', { right: 'Send' });
    const answered = relayRequest(
      `${sim.senderUrl('hyco', 'plain')}/a/b?keep=1&sb-hc-id=trace-1&other=2`,
      {
        method: 'POST',
        body: 'x',
        headers: {
          ServiceBusAuthorization: token,
          Authorization: 'Bearer app-level-credential',
          'X-Custom': 'kept',
          'Keep-Alive': 'timeout=5',
          'Proxy-Authorization': 'Basic cHJveHk=',
          TE: 'trailers',
          Connection: 'keep-alive, X-Drop-Me',
          'X-Drop-Me': 'named by Connection',
          Via: '1.0 upstream-proxy',
        },
      },
    );
    const { request } = await listener.nextRequest();
    const headers = request.requestHeaders as Record<string, string>;
    const names = Object.keys(headers).map((n) => n.toLowerCase());
    t.equal(request.requestTarget, '/hyco/a/b?keep=1&other=2', 'sb-hc-* parameters are removed');
    t.notOk(names.includes('servicebusauthorization'), 'the token header is stripped');
    t.equal(
      headers.Authorization,
      'Bearer app-level-credential',
      'Authorization passes through when another place carried the token',
    );
    t.equal(headers['X-Custom'], 'kept');
    for (const hop of [
      'keep-alive',
      'proxy-authorization',
      'te',
      'connection',
      'x-drop-me',
      'content-length',
      'transfer-encoding',
    ]) {
      t.notOk(names.includes(hop), `${hop} is not forwarded`);
    }
    t.equal(
      headers.Via,
      '1.0 upstream-proxy, 1.1 council-42.servicebus.windows.net',
      'Via is annotated',
    );
    t.notMatch(
      JSON.stringify(request),
      token.slice(-20),
      'no part of the token is in the request message',
    );
    listener.respond(String(request.id), 200, {
      headers: { 'X-Out': '1', Connection: 'close', 'Transfer-Encoding': 'chunked' },
    });
    const res = await answered;
    t.equal(res.status, 200);
    t.equal(res.headers.via, '1.1 council-42.servicebus.windows.net', 'the answer carries Via');
    t.equal(res.headers['x-out'], '1');
    t.not(res.headers['transfer-encoding'], 'chunked', 'the listener cannot set the framing');
  },
);

void t.test('a token in the sb-hc-token query parameter is checked and removed', async (t) => {
  const { sim, listen } = await setup(t);
  const listener = await listen('hyco');
  const token = sim.token('hyco', { right: 'Send' });
  const answered = relayRequest(
    `${sim.senderUrl('hyco', 'plain')}?sb-hc-token=${encodeURIComponent(token)}&q=1`,
  );
  const request = await listener.nextJson('request');
  t.equal(request.requestTarget, '/hyco?q=1');
  listener.respond(String(request.id), 200);
  t.equal((await answered).status, 200);
});

void t.test(
  'a SAS token in Authorization (and nowhere else) is checked and stripped',
  async (t) => {
    const { sim, listen } = await setup(t);
    const listener = await listen('hyco');
    const answered = relayRequest(sim.senderUrl('hyco', 'plain'), {
      headers: { Authorization: sim.token('hyco', { right: 'Send' }) },
    });
    const request = await listener.nextJson('request');
    const names = Object.keys(request.requestHeaders as object).map((n) => n.toLowerCase());
    t.notOk(names.includes('authorization'));
    listener.respond(String(request.id), 200);
    t.equal((await answered).status, 200);
  },
);

void t.test(
  'without client authorization a sender needs no token, and Authorization passes as-is',
  async (t) => {
    const { sim, listen } = await setup(t);
    const listener = await listen('open');
    const answered = relayRequest(sim.senderUrl('open', 'plain'), {
      headers: { Authorization: 'Basic YXBwOnNlY3JldA==' },
    });
    const request = await listener.nextJson('request');
    t.equal(
      (request.requestHeaders as Record<string, string>).Authorization,
      'Basic YXBwOnNlY3JldA==',
    );
    listener.respond(String(request.id), 200);
    t.equal((await answered).status, 200);
  },
);

void t.test('requests are spread over the listeners of a path in turn', async (t) => {
  const { sim, listen } = await setup(t);
  const listeners = [await listen('hyco'), await listen('hyco'), await listen('hyco')];
  const seen: number[] = [];
  const serve = (i: number) => async () => {
    const listener = listeners[i];
    if (listener === undefined) throw new Error('no listener');
    for (;;) {
      const m = await listener.next().catch(() => undefined);
      if (m === undefined) return;
      if (m.kind !== 'text' || m.json?.request === undefined) continue;
      const request = m.json.request as Record<string, unknown>;
      seen.push(i);
      listener.respond(String(request.id), 200, { body: String(i) });
    }
  };
  for (let i = 0; i < listeners.length; i += 1) void serve(i)();
  const token = sim.token('hyco', { right: 'Send' });
  const bodies: string[] = [];
  for (let n = 0; n < 6; n += 1) {
    const res = await relayRequest(sim.senderUrl('hyco', 'plain'), {
      headers: { ServiceBusAuthorization: token },
    });
    bodies.push(res.body.toString());
  }
  t.same(bodies, ['0', '1', '2', '0', '1', '2'], 'each listener takes every third request');
  t.same(seen, [0, 1, 2, 0, 1, 2]);
});
