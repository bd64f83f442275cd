// Abuse of the control channel by a listener. In: text that is not JSON, JSON that is not an
// object, an unknown verb, binary where text belongs, a response for an unknown id, a
// malformed response, and a message over the 64 KiB control-channel limit. Out: the
// documented answer for each (close 1008, ignore, or close 1009 with 502 for the waiting
// sender), a protocol-error event, and an endpoint that keeps serving other listeners.
import t from 'tap';
import {
  HC_CHANNELS,
  TestListener,
  captureEvents,
  relayRequest,
  startHybridSimulator,
  testHybridConfig,
} from '../src/cloud/hybrid';

async function setup(t: tap.Test) {
  const { config } = testHybridConfig();
  const sim = await startHybridSimulator(config, { listeners: { https: false, tcp: false } });
  t.teardown(() => sim.close());
  const capture = captureEvents([HC_CHANNELS.protocolError, HC_CHANNELS.badGateway]);
  t.teardown(() => {
    capture.stop();
  });
  const listen = async (path = 'hyco') => {
    const l = await TestListener.connect(sim.listenerUrl(path, 'plain'), sim.token(path));
    t.teardown(() => l.close());
    return l;
  };
  const send = (body?: string) =>
    relayRequest(sim.senderUrl('hyco', 'plain'), {
      method: body === undefined ? 'GET' : 'POST',
      ...(body === undefined ? {} : { body }),
      headers: { ServiceBusAuthorization: sim.token('hyco', { right: 'Send' }) },
    });
  /** The endpoint still works: a fresh listener answers a fresh request. */
  const stillServes = async (t: tap.Test) => {
    const fresh = await listen('tax');
    const answered = relayRequest(sim.senderUrl('tax', 'plain'), {
      headers: { ServiceBusAuthorization: sim.token('tax', { right: 'Send' }) },
    });
    const r = await fresh.nextJson('request');
    fresh.respond(String(r.id), 200, { body: 'alive' });
    t.equal((await answered).body.toString(), 'alive', 'the endpoint still serves');
  };
  return { capture, listen, send, stillServes };
}

const fatal: [string, (l: TestListener) => void][] = [
  [
    'text that is not JSON',
    (l) => {
      l.ws.send('{not json');
    },
  ],
  [
    'JSON that is not an object',
    (l) => {
      l.ws.send('[1,2,3]');
    },
  ],
  [
    'a binary message where text belongs',
    (l) => {
      l.ws.send(Buffer.from([0xde, 0xad]));
    },
  ],
  [
    'a response without requestId',
    (l) => {
      l.sendJson({ response: { statusCode: 200 } });
    },
  ],
  [
    'a response with a status that is not a number',
    (l) => {
      l.sendJson({ response: { requestId: 'x', statusCode: 'OK' } });
    },
  ],
  [
    'a response header with a line break',
    (l) => {
      l.sendJson({
        response: {
          requestId: 'x',
          statusCode: 200,
          responseHeaders: { 'X-A': 'a\r\nSet-Cookie: evil=1' },
        },
      });
    },
  ],
  [
    'two verbs in one message',
    (l) => {
      l.sendJson({ response: {}, renewToken: {} });
    },
  ],
];

for (const [what, misbehave] of fatal) {
  void t.test(`${what} closes the control channel with 1008`, async (t) => {
    const { capture, listen, stillServes } = await setup(t);
    const listener = await listen();
    misbehave(listener);
    const closed = await listener.closed;
    t.equal(closed.code, 1008);
    const [event] = capture.of(HC_CHANNELS.protocolError);
    t.equal(event?.code, 'SIM_E_HC_FRAME');
    t.equal(event?.action, 'closed');
    await stillServes(t);
  });
}

void t.test('an unknown verb is ignored and the channel keeps working', async (t) => {
  const { capture, listen, send } = await setup(t);
  const listener = await listen();
  listener.sendJson({ dance: { please: true } });
  const answered = send();
  const request = await listener.nextJson('request');
  listener.respond(String(request.id), 200, { body: 'fine' });
  t.equal((await answered).body.toString(), 'fine');
  const [event] = capture.of(HC_CHANNELS.protocolError);
  t.equal(event?.action, 'ignored');
  t.match(event?.detail, /dance/);
});

void t.test(
  'a response for an unknown id is ignored, its body discarded, and the channel keeps working',
  async (t) => {
    const { capture, listen, send } = await setup(t);
    const listener = await listen();
    listener.respond('no-such-request', 200, { body: 'stray body' });
    const answered = send();
    const request = await listener.nextJson('request');
    listener.respond(String(request.id), 200, { body: 'real' });
    t.equal(
      (await answered).body.toString(),
      'real',
      'the stray body was not taken for this answer',
    );
    t.equal(capture.of(HC_CHANNELS.protocolError)[0]?.action, 'ignored');
  },
);

void t.test(
  'a response body over 64 KiB on the control channel: close 1009 and 502 for the sender',
  async (t) => {
    const { capture, listen, send, stillServes } = await setup(t);
    const listener = await listen();
    const answered = send();
    const request = await listener.nextJson('request');
    listener.respond(String(request.id), 200, { body: Buffer.alloc(64 * 1024 + 1) });
    const res = await answered;
    t.equal(res.status, 502);
    t.match(res.body.toString(), /SIM_E_HC_FRAME_TOO_LARGE/);
    t.equal((await listener.closed).code, 1009);
    t.equal(capture.of(HC_CHANNELS.protocolError)[0]?.code, 'SIM_E_HC_FRAME_TOO_LARGE');
    await stillServes(t);
  },
);

void t.test('a response body of exactly 64 KiB on the control channel is accepted', async (t) => {
  const { listen, send } = await setup(t);
  const listener = await listen();
  const answered = send();
  const request = await listener.nextJson('request');
  listener.respond(String(request.id), 200, { body: Buffer.alloc(64 * 1024, 1) });
  const res = await answered;
  t.equal(res.status, 200);
  t.equal(res.body.length, 64 * 1024);
});

void t.test('a listener that disconnects mid-request leaves the sender a 502', async (t) => {
  const { capture, listen, send } = await setup(t);
  const listener = await listen();
  const answered = send('payload');
  await listener.nextRequest();
  listener.ws.terminate();
  const res = await answered;
  t.equal(res.status, 502);
  t.equal(capture.of(HC_CHANNELS.badGateway)[0]?.code, 'SIM_E_HC_LISTENER_GONE');
});

void t.test(
  'the statusCode may come as a string of digits, as the protocol document shows',
  async (t) => {
    const { listen, send } = await setup(t);
    const listener = await listen();
    const answered = send();
    const request = await listener.nextJson('request');
    listener.sendJson({ response: { requestId: request.id, statusCode: '202', body: false } });
    t.equal((await answered).status, 202);
  },
);
