// Listener token lifetime on the control channel, with a ManualScheduler for the clock. In:
// a listener token that runs out, renewToken messages with good and bad tokens. Out: close
// 1008 exactly at expiry (not before), no reply to a good renewal and a later expiry, 1008
// for a bad renewal, and token events that never carry the token.
import t from 'tap';
import {
  HC_CHANNELS,
  ManualScheduler,
  TestListener,
  captureEvents,
  nextEvent,
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
  const capture = captureEvents([HC_CHANNELS.token, HC_CHANNELS.listenerClosed, HC_CHANNELS.frame]);
  t.teardown(() => {
    capture.stop();
  });
  const nowS = (): number => Math.floor(scheduler.now() / 1000);
  const connect = async (ttlSeconds: number) => {
    const l = await TestListener.connect(
      sim.listenerUrl('hyco', 'plain'),
      sim.token('hyco', { ttlSeconds }),
    );
    t.teardown(() => l.close());
    return l;
  };
  return { sim, scheduler, capture, nowS, connect };
}

void t.test('the control channel closes with 1008 when the listener token expires', async (t) => {
  const { scheduler, capture, connect } = await setup(t);
  const listener = await connect(120);
  scheduler.advance(119_000 - (scheduler.now() % 1000));
  t.equal(capture.of(HC_CHANNELS.token).length, 0, 'still valid a second before expiry');
  const serverSide = nextEvent(HC_CHANNELS.listenerClosed);
  scheduler.advance(1_000);
  const closed = await listener.closed;
  t.equal(closed.code, 1008);
  t.match(closed.reason, /expired/);
  t.equal(capture.of(HC_CHANNELS.token)[0]?.action, 'expired');
  t.equal((await serverSide).code, 1008);
});

void t.test('a valid renewToken gets no reply and moves the expiry', async (t) => {
  const { sim, scheduler, capture, nowS, connect } = await setup(t);
  const listener = await connect(60);
  const fresh = sim.token('hyco', { expiresAt: nowS() + 3600 });
  const renewed = nextEvent(HC_CHANNELS.token, (e) => e.action === 'renewed');
  listener.sendJson({ renewToken: { token: fresh } });
  const event = await renewed;
  t.equal(event.expiresAt, nowS() + 3600);
  t.notMatch(JSON.stringify(capture.events), /SharedAccessSignature|sig=/, 'no token in any event');
  scheduler.advance(600_000);
  t.same(
    sim.endpoint.listeners({ path: 'hyco' }).map((l) => l.expiresAt),
    [nowS() - 600 + 3600],
    'still connected ten minutes after the first token ran out',
  );
  t.notOk(
    capture.of(HC_CHANNELS.frame).some((f) => f.direction === 'out'),
    'the service sent nothing in reply',
  );
  scheduler.advance(3_600_000);
  t.equal((await listener.closed).code, 1008, 'the renewed token expires in its turn');
});

void t.test('a renewToken that does not verify closes the control channel with 1008', async (t) => {
  const { sim, capture, nowS, connect } = await setup(t);
  const listener = await connect(600);
  listener.sendJson({
    renewToken: { token: sim.token('hyco', { keyName: 'send', expiresAt: nowS() + 600 }) },
  });
  const closed = await listener.closed;
  t.equal(closed.code, 1008);
  const [event] = capture.of(HC_CHANNELS.token);
  t.equal(event?.action, 'renew-refused');
  t.equal(event?.reason, 'SAS_E_RIGHTS');
});

void t.test('a renewToken for another path is refused too', async (t) => {
  const { sim, capture, nowS, connect } = await setup(t);
  const listener = await connect(600);
  listener.sendJson({ renewToken: { token: sim.token('tax', { expiresAt: nowS() + 600 }) } });
  t.equal((await listener.closed).code, 1008);
  t.equal(capture.of(HC_CHANNELS.token)[0]?.reason, 'SAS_E_RESOURCE');
});
