// The work receiver and a broken connection (fake namespace). In: a live gate, a requests
// receiver whose subscribe handlers the test drives, and settlements that never finish. Out:
// errors of the receiver's link or connection reach onTransportError (a handler's own failure
// does not); a settlement left hanging by a cut connection is given up after settleTimeoutMs,
// so close() returns instead of waiting for the SDK's retries.
import { randomBytes } from 'node:crypto';
import type { ServiceBusReceivedMessage } from '@azure/service-bus';
import t from 'tap';
import { createWorkReceiver, TenantKeys } from '../../src/messaging';
import { FakeNamespace, flush, ManualClock, ManualGate } from './lib/fakes';

function sdkError(code: string): Error {
  return Object.assign(new Error(`${code}: connect ECONNREFUSED 127.0.0.1:1`), { code });
}

async function liveReceiver(t: tap.Test, settleTimeoutMs?: number) {
  const ns = new FakeNamespace();
  const gate = new ManualGate();
  const clock = new ManualClock();
  const lost: unknown[] = [];
  const receiver = createWorkReceiver(
    {
      tenant: 'council-42',
      routes: ['council-tax'],
      ...(settleTimeoutMs === undefined ? {} : { settleTimeoutMs }),
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
  const handlers = ns.subscriptions[0];
  if (handlers === undefined) throw new Error('the receiver did not subscribe');
  t.teardown(() => {
    clock.advance(600_000);
    return receiver.close();
  });
  return { ns, receiver, handlers, clock, lost };
}

const where = {
  entityPath: 'requests',
  fullyQualifiedNamespace: 'council-42.example',
  identifier: 'requests-receiver',
};

void t.test('errors of the link or connection reach onTransportError', async (t) => {
  const { handlers, lost } = await liveReceiver(t);
  await handlers.processError({
    ...where,
    error: sdkError('GeneralError'),
    errorSource: 'receive',
  });
  t.equal(lost.length, 1, 'a receive error is reported');
  await handlers.processError({
    ...where,
    error: sdkError('ServiceCommunicationProblem'),
    errorSource: 'complete',
  });
  t.equal(lost.length, 2, 'a communication problem while settling is reported');
  await handlers.processError({
    ...where,
    error: sdkError('MessageLockLost'),
    errorSource: 'complete',
  });
  await handlers.processError({
    ...where,
    error: new Error('the handler failed'),
    errorSource: 'processMessageCallback',
  });
  t.equal(lost.length, 2, "a lost lock and a handler's own failure are not");
});

void t.test('a settlement that never finishes is given up after settleTimeoutMs', async (t) => {
  const { ns, receiver, handlers, clock } = await liveReceiver(t, 5_000);
  ns.settle = () => new Promise<void>(() => undefined);
  // An unknown route is dead-lettered: the settlement hangs as on a cut connection.
  const message = {
    messageId: 'm-1',
    subject: 'no-such-route',
    body: Buffer.from('x'),
    deliveryCount: 0,
    applicationProperties: {},
  } as unknown as ServiceBusReceivedMessage;
  void handlers.processMessage(message);
  await flush();
  t.equal(receiver.inFlight, 1, 'the request waits for its settlement');
  clock.advance(4_999);
  await flush();
  t.equal(receiver.inFlight, 1, 'still waiting just before the bound');
  clock.advance(1);
  await flush();
  t.equal(receiver.inFlight, 0, 'given up at the bound');
  let closed = false;
  void receiver.close().then(() => {
    closed = true;
  });
  await flush();
  t.ok(closed, 'close() does not wait for the hanging settlement');
});
