// The service's idle watch on listener control channels (limits.listenerIdleTimeoutMs). In: a
// listener that stays silent, and one that pings, on a ManualScheduler (no real waiting). Out:
// by default a silent listener is kept; with the watch set, a channel silent for the limit is
// dropped without a closing handshake (1006, reason named, sim:hc:listener-closed by the
// service), a request waiting on it is answered at once (502, not 504 after 60 s), and a
// listener that pings or sends anything is kept.
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
  const listener = await TestListener.connect(sim.listenerUrl('hyco', 'plain'), sim.token('hyco'));
  t.teardown(() => listener.close());
  const send = () =>
    relayRequest(sim.senderUrl('hyco', 'plain'), {
      headers: { ServiceBusAuthorization: sim.token('hyco', { right: 'Send' }) },
    });
  return { sim, scheduler, capture, listener, send };
}

void t.test('by default a silent listener is kept (50 minutes quiet)', async (t) => {
  const { scheduler, capture, listener, send } = await setup(t);
  // 50 minutes: within the life of the listener's token (an hour).
  scheduler.advance(3_000_000);
  t.equal(capture.of(HC_CHANNELS.listenerClosed).length, 0, 'no channel closed');
  const answered = send();
  const request = await listener.nextJson('request');
  listener.respond(String(request.id), 200, { body: 'still here' });
  t.equal((await answered).body.toString(), 'still here');
});

void t.test(
  'a control channel silent for listenerIdleTimeoutMs is dropped and its waiting sender answered at once',
  async (t) => {
    const { scheduler, capture, listener, send } = await setup(t, {
      listenerIdleTimeoutMs: 30_000,
    });
    const answered = send();
    await listener.nextJson('request');
    scheduler.advance(29_999);
    t.equal(capture.of(HC_CHANNELS.listenerClosed).length, 0, 'nothing happens before 30 s');
    const closed = nextEvent(HC_CHANNELS.listenerClosed, () => true);
    scheduler.advance(1);
    const res = await answered;
    t.equal(res.status, 502, 'the sender is answered when the channel is dropped, not at 60 s');
    t.match(await closed, {
      path: 'hyco',
      code: 1006,
      by: 'service',
      reason: /nothing from the listener for 30000 ms/,
    });
  },
);

void t.test('a listener that pings, or sends anything, keeps its channel', async (t) => {
  const { scheduler, capture, listener, send } = await setup(t, {
    listenerIdleTimeoutMs: 30_000,
  });
  for (let i = 0; i < 4; i++) {
    scheduler.advance(20_000);
    const pong = new Promise<void>((resolve) =>
      listener.ws.once('pong', () => {
        resolve();
      }),
    );
    listener.ws.ping();
    await pong;
  }
  t.equal(capture.of(HC_CHANNELS.listenerClosed).length, 0, '80 s, pinged every 20 s: kept');
  const answered = send();
  const request = await listener.nextJson('request');
  scheduler.advance(20_000);
  listener.respond(String(request.id), 200, { body: 'answered' });
  t.equal((await answered).body.toString(), 'answered');
  scheduler.advance(20_000);
  t.equal(capture.of(HC_CHANNELS.listenerClosed).length, 0, 'its response counted as heard');
});

void t.test('the idle limit is validated', async (t) => {
  const { config } = testHybridConfig();
  await t.rejects(
    startHybridSimulator(config, {
      listeners: { https: false, tcp: false },
      limits: { listenerIdleTimeoutMs: -1 },
    }),
    { message: /listenerIdleTimeoutMs/ },
  );
});
