// Property test of the broker engine (issue 3): for any interleaving of send, receive (pull),
// complete, abandon and lock expiry (clock advance + tick) over a small queue, every message
// is eventually completed or dead-lettered exactly once, no message is held under two live
// locks at once, and its deliveryCount starts at 0 and grows by one per redelivery.
// In: fast-check operation lists. Out: one tap assertion per property (seed on failure).
import fc from 'fast-check';
import t from 'tap';
import { checkProperty } from '../../suites/lib/property';
import { parseNamespaceConfig } from '../src/cloud/servicebus/config';
import { ServiceBusEngine } from '../src/cloud/servicebus/engine/engine';
import { SimServiceBusError } from '../src/cloud/servicebus/engine/errors';
import { ManualClock } from '../src/cloud/servicebus/engine/testing';
import type { Delivery } from '../src/cloud/servicebus/engine/types';

const LOCK_MS = 1000;

type Op =
  | { readonly t: 'send'; readonly n: number }
  | { readonly t: 'pull'; readonly r: number; readonly max: number }
  | { readonly t: 'complete' | 'abandon'; readonly i: number }
  | { readonly t: 'advance'; readonly ms: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ t: fc.constant('send' as const), n: fc.integer({ min: 1, max: 3 }) }),
  fc.record({
    t: fc.constant('pull' as const),
    r: fc.integer({ min: 0, max: 1 }),
    max: fc.integer({ min: 1, max: 3 }),
  }),
  fc.record({ t: fc.constant('complete' as const), i: fc.nat() }),
  fc.record({ t: fc.constant('abandon' as const), i: fc.nat() }),
  fc.record({ t: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 1500 }) }),
);

interface Held {
  readonly id: string;
  readonly token: string;
  readonly until: number;
  readonly receiverId: string;
}

/** Runs `ops`, drains the queue, and returns a failure text or undefined. */
function run(ops: readonly Op[], maxDeliveryCount: number): string | undefined {
  const clock = new ManualClock();
  const config = parseNamespaceConfig({
    namespace: 'council-42',
    relaxedLimits: true,
    queues: [{ name: 'q', lockDurationMs: LOCK_MS, maxDeliveryCount }],
  });
  const deadLettered = new Map<string, number>();
  const problems: string[] = [];
  const engine = new ServiceBusEngine({
    config,
    clock,
    emit: (name, data) => {
      if (name === 'sim:sb:deadlettered' && typeof data.messageId === 'string') {
        deadLettered.set(data.messageId, (deadLettered.get(data.messageId) ?? 0) + 1);
        if (data.reason !== 'MaxDeliveryCountExceeded' || data.deliveryCount !== maxDeliveryCount) {
          problems.push(
            `dead-lettered ${data.messageId} with ${String(data.reason)} at ${String(data.deliveryCount)}`,
          );
        }
      }
    },
  });
  const receivers = [
    engine.openReceiver('q', { mode: 'peekLock' }),
    engine.openReceiver('q', { mode: 'peekLock' }),
  ];
  const counts = new Map<string, number[]>();
  const completed = new Map<string, number>();
  let held: Held[] = [];
  let sent = 0;

  const take = (ds: readonly Delivery[], receiverId: string): void => {
    const now = clock.now();
    for (const d of ds) {
      const id = d.messageId ?? '?';
      if (held.some((h) => h.id === id && h.until > now))
        problems.push(`${id} delivered while locked`);
      const seen = counts.get(id) ?? [];
      const last = seen[seen.length - 1];
      if (d.deliveryCount !== (last === undefined ? 0 : last + 1)) {
        problems.push(`${id} delivery counts ${[...seen, d.deliveryCount].join(',')}`);
      }
      seen.push(d.deliveryCount);
      counts.set(id, seen);
      held.push({ id, token: d.lockToken ?? '', until: d.lockedUntilUtc ?? 0, receiverId });
    }
  };

  const settle = (h: Held, how: 'complete' | 'abandon'): void => {
    held = held.filter((x) => x !== h);
    const live = h.until > clock.now();
    try {
      if (how === 'complete') engine.complete(h.token, { receiverId: h.receiverId });
      else engine.abandon(h.token, undefined, { receiverId: h.receiverId });
      if (!live) problems.push(`${how} of ${h.id} succeeded after its lock expired`);
      if (how === 'complete') completed.set(h.id, (completed.get(h.id) ?? 0) + 1);
    } catch (e) {
      if (!(e instanceof SimServiceBusError) || e.code !== 'SIM_E_SB_LOCK_LOST') throw e;
      if (live) problems.push(`${how} of ${h.id} refused while its lock was live`);
    }
  };

  for (const o of ops) {
    switch (o.t) {
      case 'send':
        engine.send(
          'q',
          Array.from({ length: o.n }, () => ({ payload: null, size: 10, messageId: `m${sent++}` })),
        );
        break;
      case 'pull': {
        const r = receivers[o.r];
        if (r !== undefined) take(engine.pull(r.id, o.max), r.id);
        break;
      }
      case 'complete':
      case 'abandon': {
        const h = held[o.i % Math.max(1, held.length)];
        if (h !== undefined) settle(h, o.t);
        break;
      }
      case 'advance':
        clock.advance(o.ms);
        engine.tick();
        break;
    }
  }

  // Drain: complete whatever is still deliverable, letting old locks expire.
  for (const h of [...held]) settle(h, 'complete');
  for (let round = 0; round < 100 && engine.messages('q').length > 0; round++) {
    const r = receivers[0];
    if (r === undefined) break;
    const ds = engine.pull(r.id, 100);
    take(ds, r.id);
    for (const h of [...held]) settle(h, 'complete');
    if (ds.length === 0) {
      clock.advance(LOCK_MS);
      engine.tick();
    }
  }

  for (let i = 0; i < sent; i++) {
    const id = `m${i}`;
    const c = completed.get(id) ?? 0;
    const d = deadLettered.get(id) ?? 0;
    if (c + d !== 1) problems.push(`${id} completed ${c}× and dead-lettered ${d}×`);
  }
  if (engine.messages('q').length !== 0) problems.push('the queue is not empty after the drain');
  if (engine.messages('q/$DeadLetterQueue').length !== deadLettered.size) {
    problems.push('the dead-letter queue does not hold exactly the dead-lettered messages');
  }
  return problems.length === 0 ? undefined : problems.join('; ');
}

void t.test(
  'every message is completed or dead-lettered exactly once and deliveryCount grows by one per redelivery',
  (t) =>
    checkProperty(
      t,
      fc.property(fc.array(op, { maxLength: 40 }), fc.integer({ min: 1, max: 4 }), (ops, max) => {
        const failure = run(ops, max);
        if (failure !== undefined) throw new Error(failure);
      }),
    ),
);

void t.test('a plain send and drain completes every message', (t) => {
  t.equal(run([{ t: 'send', n: 2 }], 2), undefined);
  t.end();
});
