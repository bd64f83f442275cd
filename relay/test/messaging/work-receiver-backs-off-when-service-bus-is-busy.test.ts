// The work receiver under Service Bus throttling (FAULT-014; fake namespace, manual clock). In: a
// live gate and a requests receiver whose subscribe handlers the test drives with server-busy
// errors (the SDK's ServiceBusy, as it reports com.microsoft:server-busy). Out: throttling is not
// reported as a lost connection (onTransportError is not called); the receiver is closed (the
// SDK's own immediate re-attach loop stops with it) and attached again only after the busy
// back-off delays (10 s, 20 s, 30 s, then 30 s again), a burst of errors counting once; a request
// that arrives resets the schedule; close() during a back-off attaches nothing more; the delays
// are validated.
import { randomBytes } from 'node:crypto';
import type { ServiceBusReceivedMessage } from '@azure/service-bus';
import t from 'tap';
import { createWorkReceiver, TenantKeys } from '../../src/messaging';
import { FakeNamespace, flush, ManualClock, ManualGate } from './lib/fakes';

const where = {
  entityPath: 'requests',
  fullyQualifiedNamespace: 'council-42.example',
  identifier: 'requests-receiver',
};

function busy(): Error {
  return Object.assign(
    new Error("The request was terminated because the entity 'requests' is being throttled."),
    { code: 'ServiceBusy', retryable: true },
  );
}

async function liveReceiver(t: tap.Test, busyBackoffMs?: number[]) {
  const ns = new FakeNamespace();
  const gate = new ManualGate();
  const clock = new ManualClock();
  const lost: unknown[] = [];
  const receiver = createWorkReceiver(
    {
      tenant: 'council-42',
      routes: ['council-tax'],
      profile: 'development',
      ...(busyBackoffMs === undefined ? {} : { busyBackoffMs }),
    },
    {
      serviceBus: ns.client(),
      keys: new TenantKeys([{ kid: 'k1', key: randomBytes(32) }]),
      session: gate,
      scheduler: clock,
      handler: () => Promise.resolve({ status: 200, body: Buffer.alloc(0) }),
      onTransportError: (e) => lost.push(e),
    },
  ).start();
  gate.set(true);
  await receiver.settled();
  t.teardown(() => receiver.close());
  /** The handlers of the receiver open now. */
  const current = () => {
    const h = ns.subscriptions.at(-1);
    if (h === undefined) throw new Error('no subscription');
    return h;
  };
  const throttle = async (): Promise<void> => {
    await current().processError({ ...where, error: busy(), errorSource: 'receive' });
    await receiver.settled();
    await flush();
  };
  /** Advances the clock and lets the receiver's queued work run. */
  const advance = async (ms: number): Promise<void> => {
    clock.advance(ms);
    await flush();
    await receiver.settled();
  };
  return { ns, receiver, clock, lost, throttle, advance, current };
}

void t.test('server busy closes the receiver and attaches again after 10, 20, 30 s', async (t) => {
  const { ns, lost, throttle, advance, receiver } = await liveReceiver(t);
  t.equal(ns.receiversOpened.length, 1, 'one receiver at start');
  await throttle();
  t.same(lost, [], 'throttling is not reported as a lost connection');
  t.equal(ns.receiversClosed.length, 1, 'the throttled receiver is closed');
  t.notOk(receiver.receiving, 'and none is open while backing off');
  await advance(9_999);
  t.equal(ns.receiversOpened.length, 1, 'nothing attached before 10 s');
  await advance(1);
  t.equal(ns.receiversOpened.length, 2, 'attached again at 10 s');
  await throttle();
  await advance(19_999);
  t.equal(ns.receiversOpened.length, 2, 'then nothing before 20 s');
  await advance(1);
  t.equal(ns.receiversOpened.length, 3, 'attached again at 20 s');
  await throttle();
  await advance(30_000);
  t.equal(ns.receiversOpened.length, 4, 'then 30 s');
  await throttle();
  await advance(29_999);
  t.equal(ns.receiversOpened.length, 4);
  await advance(1);
  t.equal(ns.receiversOpened.length, 5, 'and 30 s again (the last delay repeats)');
});

void t.test('a burst of server-busy errors counts once', async (t) => {
  const { ns, current, receiver, advance } = await liveReceiver(t);
  const h = current();
  await Promise.all(
    [1, 2, 3, 4, 5].map(() => h.processError({ ...where, error: busy(), errorSource: 'receive' })),
  );
  await receiver.settled();
  await advance(10_000);
  t.equal(ns.receiversOpened.length, 2, 'one back-off, one new receiver');
  t.equal(ns.receiversClosed.length, 1);
});

void t.test('a request that arrives resets the back-off schedule', async (t) => {
  const { ns, throttle, advance, current } = await liveReceiver(t);
  await throttle();
  await advance(10_000);
  await throttle();
  await advance(20_000);
  t.equal(ns.receiversOpened.length, 3);
  // A request arrives on the new receiver (its content does not matter: it is refused).
  await current().processMessage({
    messageId: 'm1',
    subject: 'council-tax',
    body: Buffer.from('x'),
  } as unknown as ServiceBusReceivedMessage);
  await throttle();
  await advance(10_000);
  t.equal(ns.receiversOpened.length, 4, 'back to 10 s after a request arrived');
});

void t.test('close() during a back-off attaches nothing more', async (t) => {
  const { ns, throttle, receiver, clock } = await liveReceiver(t);
  await throttle();
  await receiver.close();
  clock.advance(60_000);
  await flush();
  t.equal(ns.receiversOpened.length, 1, 'no receiver after close');
});

void t.test('the busy back-off delays are validated', (t) => {
  const ns = new FakeNamespace();
  const deps = {
    serviceBus: ns.client(),
    keys: new TenantKeys([{ kid: 'k1', key: randomBytes(32) }]),
    session: new ManualGate(),
    handler: () => Promise.resolve({ status: 200, body: Buffer.alloc(0) }),
  };
  for (const bad of [[], [99], [600_001], Array.from({ length: 11 }, () => 1000)]) {
    t.throws(
      () =>
        createWorkReceiver(
          { tenant: 'council-42', routes: ['council-tax'], busyBackoffMs: bad },
          deps,
        ),
      { code: 'RELAY_E_WORK_CONFIG' },
      JSON.stringify(bad).slice(0, 40),
    );
  }
  t.end();
});
