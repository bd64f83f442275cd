// The work receiver and a failure that names a last-delivery reason (fake namespace). In: a live
// gate, plain requests (development profile) whose handler fails with an error whose settlement
// is "abandon, held, and on the last delivery dead-letter with this reason", at delivery counts
// below and at maxDeliveryCount - 1. Out: below the last delivery the request is held, then
// abandoned (the broker redelivers it); on the last one it is dead-lettered at once with the
// failure's reason and its description (the system error kept), never left to the broker's
// MaxDeliveryCountExceeded; a failure without a last-delivery reason is abandoned as before.
import { randomBytes } from 'node:crypto';
import type { ServiceBusClient, ServiceBusReceivedMessage } from '@azure/service-bus';
import t from 'tap';
import { createWorkReceiver, TenantKeys } from '../../src/messaging';
import type { HandlerSettlement } from '../../src/messaging/work-receiver';
import { FakeNamespace, flush, ManualClock, ManualGate } from './lib/fakes';

interface Settled {
  readonly kind: 'complete' | 'abandon' | 'dead-letter';
  readonly messageId: unknown;
  readonly options?: { deadLetterReason?: string; deadLetterErrorDescription?: string };
}

async function liveReceiver(t: tap.Test, settlementOf: (e: unknown) => HandlerSettlement) {
  const ns = new FakeNamespace();
  const base = ns.client();
  const settled: Settled[] = [];
  const client = {
    createSender: base.createSender.bind(base),
    createReceiver: (entity: string) => {
      const r = base.createReceiver(entity);
      return {
        subscribe: r.subscribe.bind(r),
        close: r.close.bind(r),
        completeMessage: (m: ServiceBusReceivedMessage) => {
          settled.push({ kind: 'complete', messageId: m.messageId });
          return Promise.resolve();
        },
        abandonMessage: (m: ServiceBusReceivedMessage) => {
          settled.push({ kind: 'abandon', messageId: m.messageId });
          return Promise.resolve();
        },
        deadLetterMessage: (m: ServiceBusReceivedMessage, options: Settled['options']) => {
          settled.push({ kind: 'dead-letter', messageId: m.messageId, options });
          return Promise.resolve();
        },
      };
    },
  } as unknown as ServiceBusClient;
  const gate = new ManualGate();
  const clock = new ManualClock();
  const receiver = createWorkReceiver(
    {
      tenant: 'council-42',
      profile: 'development',
      routes: ['form-evidence'],
      maxDeliveryCount: 4,
    },
    {
      serviceBus: client,
      keys: new TenantKeys([{ kid: 'k1', key: randomBytes(32) }]),
      session: gate,
      scheduler: clock,
      handler: () =>
        Promise.reject(
          Object.assign(new Error('the file drop for housing could not write the file (ENOSPC)'), {
            code: 'ENOSPC',
          }),
        ),
      settlementOf,
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
  return { receiver, handlers, clock, settled };
}

function request(id: string, deliveryCount: number): ServiceBusReceivedMessage {
  return {
    messageId: id,
    subject: 'form-evidence',
    replyToSessionId: 'tenant-replies',
    body: Buffer.from('%PDF-1.7'),
    deliveryCount,
    applicationProperties: { formType: 'housing' },
  } as unknown as ServiceBusReceivedMessage;
}

const full = (e: unknown): HandlerSettlement => ({
  action: 'abandon',
  holdMs: 5_000,
  lastDelivery: {
    reason: 'RELAY_E_FILEDROP_IO',
    description: e instanceof Error ? e.message : 'unknown',
  },
});

void t.test('held and abandoned before the last delivery', async (t) => {
  const { receiver, handlers, clock, settled } = await liveReceiver(t, full);
  void handlers.processMessage(request('m-1', 2));
  await flush();
  t.same(settled, [], 'held: not settled yet');
  t.equal(receiver.inFlight, 1);
  clock.advance(5_000);
  await flush();
  t.same(settled, [{ kind: 'abandon', messageId: 'm-1' }], 'abandoned after its hold');
});

void t.test('dead-lettered with the failure on the last delivery', async (t) => {
  const { receiver, handlers, settled } = await liveReceiver(t, full);
  // Delivery counts start at 0: with maxDeliveryCount 4 the fourth delivery has count 3.
  void handlers.processMessage(request('m-2', 3));
  await flush();
  t.equal(receiver.inFlight, 0, 'not held');
  t.equal(settled.length, 1);
  const [one] = settled;
  t.equal(one?.kind, 'dead-letter');
  t.equal(one?.options?.deadLetterReason, 'RELAY_E_FILEDROP_IO', 'the failure is the reason');
  t.match(
    one?.options?.deadLetterErrorDescription ?? '',
    /could not write the file \(ENOSPC\).*delivery 4 of 4/,
    'the description keeps the system error and says it was the last delivery',
  );
});

void t.test('a failure without a last-delivery reason is abandoned as before', async (t) => {
  const { handlers, settled } = await liveReceiver(t, () => ({ action: 'abandon' }));
  void handlers.processMessage(request('m-3', 3));
  await flush();
  t.same(settled, [{ kind: 'abandon', messageId: 'm-3' }], 'the broker dead-letters it');
});
