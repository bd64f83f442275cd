// The listener handshake. In: control-channel connections with tokens in the header or the
// query, for known and unknown paths, with and without the Listen right, and more listeners
// than a path allows. Out: 101 for the good ones; 401, 403, 404 and 403 QuotaExceeded with a
// tracking id in the status description for the others; events for each decision.
import t from 'tap';
import {
  HC_CHANNELS,
  HandshakeRefused,
  TestListener,
  captureEvents,
  startHybridSimulator,
  testHybridConfig,
} from '../src/cloud/hybrid';

async function setup(t: tap.Test, limits = {}) {
  const { config } = testHybridConfig();
  const sim = await startHybridSimulator(config, {
    listeners: { https: false, tcp: false },
    limits,
  });
  t.teardown(() => sim.close());
  const capture = captureEvents([HC_CHANNELS.listenerConnected, HC_CHANNELS.listenerRefused]);
  t.teardown(() => {
    capture.stop();
  });
  return { sim, capture };
}

async function refusal(p: Promise<TestListener>): Promise<HandshakeRefused> {
  try {
    const l = await p;
    await l.close();
  } catch (e) {
    if (e instanceof HandshakeRefused) return e;
    throw e;
  }
  throw new Error('the handshake was accepted');
}

for (const tokenIn of ['header', 'query'] as const) {
  void t.test(`a Listen token in the ${tokenIn} opens a control channel`, async (t) => {
    const { sim, capture } = await setup(t);
    const l = await TestListener.connect(
      sim.listenerUrl('hyco', 'plain', { id: 'relay-1' }),
      sim.token('hyco'),
      {
        tokenIn,
      },
    );
    t.teardown(() => l.close());
    const [event] = capture.of(HC_CHANNELS.listenerConnected);
    t.equal(event?.path, 'hyco');
    t.equal(event?.clientId, 'relay-1');
    t.same(
      sim.endpoint.listeners({ path: 'hyco' }).map((v) => v.clientId),
      ['relay-1'],
    );
  });

  void t.test(`a missing or bad token in the ${tokenIn} is refused with 401`, async (t) => {
    const { sim, capture } = await setup(t);
    const url = sim.listenerUrl('hyco', 'plain');
    const none = await refusal(TestListener.connect(url, undefined, { tokenIn }));
    t.equal(none.status, 401);
    t.match(none.statusMessage, /TrackingId:/);
    const forged = sim
      .token('hyco')
      .replace(/sig=[^&]+/, `sig=${encodeURIComponent(Buffer.alloc(32).toString('base64'))}`);
    t.equal((await refusal(TestListener.connect(url, forged, { tokenIn }))).status, 401);
    const expired = sim.token('hyco', { expiresAt: Math.floor(Date.now() / 1000) - 10 });
    t.equal((await refusal(TestListener.connect(url, expired, { tokenIn }))).status, 401);
    t.same(
      capture.of(HC_CHANNELS.listenerRefused).map((e) => e.code),
      ['SAS_E_MISSING', 'SAS_E_SIGNATURE', 'SAS_E_EXPIRED'],
    );
  });

  void t.test(`a token without Listen (in the ${tokenIn}) is refused with 403`, async (t) => {
    const { sim } = await setup(t);
    const url = sim.listenerUrl('hyco', 'plain');
    const sendOnly = sim.token('hyco', { keyName: 'send' });
    const e = await refusal(TestListener.connect(url, sendOnly, { tokenIn }));
    t.equal(e.status, 403);
    const otherPath = sim.token('tax');
    t.equal((await refusal(TestListener.connect(url, otherPath, { tokenIn }))).status, 403);
  });
}

void t.test('an unknown Hybrid Connection path is refused with 404', async (t) => {
  const { sim } = await setup(t);
  const e = await refusal(
    TestListener.connect(sim.listenerUrl('missing', 'plain'), sim.token(undefined)),
  );
  t.equal(e.status, 404);
  t.match(e.body, /SIM_E_HC_NOT_FOUND/);
});

void t.test('an entity-scoped Listen rule works for its own path only', async (t) => {
  const { sim } = await setup(t);
  const own = await TestListener.connect(
    sim.listenerUrl('hyco', 'plain'),
    sim.token('hyco', { keyName: 'hyco-listen' }),
  );
  t.teardown(() => own.close());
  const e = await refusal(
    TestListener.connect(
      sim.listenerUrl('tax', 'plain'),
      sim.token('tax', { keyName: 'hyco-listen' }),
    ),
  );
  t.equal(e.status, 403);
});

void t.test(
  'tokens signed for the loopback name or with sb:// and a trailing slash are accepted',
  async (t) => {
    const { sim } = await setup(t);
    const port = sim.listeners.plain?.port ?? 0;
    for (const audience of [
      `http://127.0.0.1:${port}/hyco`,
      `http://localhost/hyco/`,
      `sb://council-42.servicebus.windows.net/hyco`,
      `https://council-42.servicebus.windows.net:443/`,
    ]) {
      const l = await TestListener.connect(
        sim.listenerUrl('hyco', 'plain'),
        sim.token('hyco', { audience }),
      );
      t.pass(`accepted ${audience}`);
      await l.close();
    }
  },
);

void t.test(
  'the 26th listener on a path is refused with 403 QuotaExceeded; others are unaffected',
  async (t) => {
    const { sim, capture } = await setup(t);
    const url = sim.listenerUrl('hyco', 'plain');
    const token = sim.token('hyco');
    const accepted: TestListener[] = [];
    t.teardown(() => Promise.all(accepted.map((l) => l.close())));
    for (let i = 0; i < 25; i += 1) accepted.push(await TestListener.connect(url, token));
    const e = await refusal(TestListener.connect(url, token));
    t.equal(e.status, 403);
    t.match(e.statusMessage, /QuotaExceeded.*MaximumListenersPerEndpoint/);
    const other = await TestListener.connect(sim.listenerUrl('tax', 'plain'), sim.token('tax'));
    accepted.push(other);
    t.equal(sim.endpoint.listeners({ path: 'hyco' }).length, 25);
    t.equal(capture.of(HC_CHANNELS.listenerRefused).at(-1)?.code, 'SIM_E_HC_LISTENER_LIMIT');
    await accepted[0]?.close();
    const replacement = await TestListener.connect(url, token);
    accepted.push(replacement);
    t.equal(
      sim.endpoint.listeners({ path: 'hyco' }).length,
      25,
      'a freed place can be taken again',
    );
  },
);

void t.test('an upgrade outside /$hc/ or without a known action is refused with 400', async (t) => {
  const { sim } = await setup(t);
  const base = `ws://127.0.0.1:${sim.listeners.plain?.port ?? 0}`;
  t.equal((await refusal(TestListener.connect(`${base}/hyco`, sim.token('hyco')))).status, 400);
  t.equal(
    (await refusal(TestListener.connect(`${base}/$hc/hyco?sb-hc-action=dance`, sim.token('hyco'))))
      .status,
    400,
  );
  t.equal((await refusal(TestListener.connect(`${base}/$hc/hyco`, sim.token('hyco')))).status, 400);
});
