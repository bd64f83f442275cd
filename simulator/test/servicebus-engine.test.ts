// Unit tests of the simulated Service Bus broker engine (simulator/src/cloud/servicebus/
// engine/). In: a namespace config, a manual clock and engine calls as the AMQP edge makes
// them. Out: assertions on deliveries, counts, locks, dead-lettering, expiry, scheduling,
// sessions, fan-out, refusals (code and AMQP condition), events and notifications.
// No sleeps and no timers: time moves only through the manual clock.
import t from 'tap';
import { parseNamespaceConfig, type NamespaceConfigInput } from '../src/cloud/servicebus/config';
import { ServiceBusEngine } from '../src/cloud/servicebus/engine/engine';
import { ManualClock, textMessage } from '../src/cloud/servicebus/engine/testing';
import type { SbEventData } from '../src/cloud/servicebus/engine/types';

const LOCK = 30_000;

function setup(input: Partial<NamespaceConfigInput> = {}, uuidTokens = false) {
  const clock = new ManualClock();
  const events: [string, SbEventData][] = [];
  const available: string[] = [];
  const sessionsAvailable: string[] = [];
  const lost: [string, string | undefined][] = [];
  let n = 0;
  const config = parseNamespaceConfig({
    namespace: 'council-42',
    relaxedLimits: true,
    queues: [
      { name: 'q', lockDurationMs: LOCK, maxDeliveryCount: 3 },
      { name: 'dedup', duplicateDetectionWindowMs: 60_000 },
      { name: 'ttl', defaultMessageTimeToLiveMs: 10_000 },
      {
        name: 'ttl-dlq',
        defaultMessageTimeToLiveMs: 10_000,
        deadLetteringOnMessageExpiration: true,
      },
      { name: 'small', maxSizeInBytes: 100 },
      { name: 'sq', requiresSession: true, lockDurationMs: LOCK },
    ],
    topics: [
      {
        name: 'events',
        subscriptions: [
          { name: 'all' },
          {
            name: 'urgent',
            rules: [
              {
                name: 'urgent',
                filter: {
                  type: 'correlation',
                  subject: 'urgent',
                  applicationProperties: { tier: 1 },
                },
              },
            ],
          },
          {
            name: 'none',
            rules: [{ name: 'never', filter: { type: 'false' } }],
          },
        ],
      },
    ],
    ...input,
  });
  const engine = new ServiceBusEngine({
    config,
    clock,
    emit: (name, data) => events.push([name, data]),
    onAvailable: (id) => available.push(id),
    onSessionAvailable: (path) => sessionsAvailable.push(path),
    onReceiverLost: (id, e) => lost.push([id, e.amqp]),
    ...(uuidTokens ? {} : { newLockToken: () => `lock-${++n}` }),
  });
  const names = (): string[] => events.map(([name]) => name);
  return { clock, engine, events, names, available, sessionsAvailable, lost };
}

const bodies = (ds: readonly { message: { payload: unknown } }[]): unknown[] =>
  ds.map((d) => (d.message.payload as { body: string }).body);

const err = (code: string, amqp: string) => ({
  name: 'SimServiceBusError',
  code,
  amqp,
});
const LOCK_LOST = err('SIM_E_SB_LOCK_LOST', 'com.microsoft:message-lock-lost');

void t.test('sending and peekLock receiving', async (t) => {
  await t.test('delivers messages in sequence order, locked, with delivery count 0', (t) => {
    const { engine, clock } = setup({}, true);
    const res = engine.send('q', [textMessage('a'), textMessage('b', { messageId: 'm-b' })]);
    t.same(res, { accepted: 2, duplicates: 0, sequenceNumbers: [1, 2] });
    const r = engine.openReceiver('q', { mode: 'peekLock', name: 'link-1' });
    const ds = engine.pull(r.id, 10);
    t.same(bodies(ds), ['a', 'b']);
    t.same(
      ds.map((d) => d.sequenceNumber),
      [1, 2],
    );
    const [d] = ds;
    t.match(d?.lockToken, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    t.equal(d?.deliveryCount, 0);
    t.equal(d?.lockedUntilUtc, clock.now() + LOCK);
    t.equal(d?.enqueuedTimeUtc, clock.now());
    t.equal(d?.state, 'active');
    t.equal(d?.receiverId, r.id);
    t.equal(ds[1]?.messageId, 'm-b');
    t.same(engine.pull(r.id, 10), [], 'locked messages are not delivered again');
    t.end();
  });

  await t.test('complete removes the message; a second complete is refused as lock lost', (t) => {
    const { engine } = setup();
    engine.send('q', [textMessage('a')]);
    const r = engine.openReceiver('q', { mode: 'peekLock' });
    const [d] = engine.pull(r.id, 1);
    engine.complete(d?.lockToken ?? '', { receiverId: r.id });
    t.same(engine.messages('q'), []);
    t.throws(() => {
      engine.complete(d?.lockToken ?? '');
    }, LOCK_LOST);
    t.end();
  });

  await t.test(
    'abandon makes the message available again with delivery count + 1 and modified properties',
    (t) => {
      const { engine } = setup();
      engine.send('q', [textMessage('a', { applicationProperties: { keep: 1 } })]);
      const r = engine.openReceiver('q', { mode: 'peekLock' });
      const [d1] = engine.pull(r.id, 1);
      engine.abandon(d1?.lockToken ?? '', { reason: 'busy' });
      const [d2] = engine.pull(r.id, 1);
      t.equal(d2?.sequenceNumber, d1?.sequenceNumber);
      t.equal(d2?.deliveryCount, 1);
      t.not(d2?.lockToken, d1?.lockToken, 'every delivery has its own lock token');
      t.same(d2?.applicationProperties, { keep: 1, reason: 'busy' });
      t.throws(
        () => {
          engine.complete(d1?.lockToken ?? '');
        },
        LOCK_LOST,
        'the old token is dead',
      );
      t.end();
    },
  );

  await t.test('a token settled through another receiver link is refused as lock lost', (t) => {
    const { engine } = setup();
    engine.send('q', [textMessage('a')]);
    const r1 = engine.openReceiver('q', { mode: 'peekLock' });
    const r2 = engine.openReceiver('q', { mode: 'peekLock' });
    const [d] = engine.pull(r1.id, 1);
    t.throws(() => {
      engine.complete(d?.lockToken ?? '', { receiverId: r2.id });
    }, LOCK_LOST);
    engine.complete(d?.lockToken ?? '', { receiverId: r1.id });
    t.end();
  });

  await t.test('competing receivers never hold the same message at once', (t) => {
    const { engine } = setup();
    engine.send(
      'q',
      Array.from({ length: 10 }, (_, i) => textMessage(`m${i}`)),
    );
    const a = engine.openReceiver('q', { mode: 'peekLock' });
    const b = engine.openReceiver('q', { mode: 'peekLock' });
    const got = [...engine.pull(a.id, 3), ...engine.pull(b.id, 4), ...engine.pull(a.id, 10)];
    t.equal(got.length, 10);
    t.equal(new Set(got.map((d) => d.sequenceNumber)).size, 10);
    t.end();
  });

  await t.test('receiveAndDelete removes each message as it is delivered, without a lock', (t) => {
    const { engine } = setup();
    engine.send('q', [textMessage('a'), textMessage('b')]);
    const r = engine.openReceiver('q', { mode: 'receiveAndDelete' });
    const ds = engine.pull(r.id, 1);
    t.equal(ds[0]?.lockToken, undefined);
    t.equal(ds[0]?.mode, 'receiveAndDelete');
    t.same(
      engine.messages('q').map((m) => m.sequenceNumber),
      [2],
    );
    t.end();
  });

  await t.test('hasAvailable says whether pull would return something (drain)', (t) => {
    const { engine } = setup();
    const r = engine.openReceiver('q', { mode: 'peekLock' });
    t.equal(engine.hasAvailable(r.id), false);
    engine.send('q', [textMessage('a')]);
    t.equal(engine.hasAvailable(r.id), true);
    engine.pull(r.id, 1);
    t.equal(engine.hasAvailable(r.id), false);
    t.end();
  });

  await t.test('pull on an unknown or closed receiver is refused', (t) => {
    const { engine } = setup();
    const r = engine.openReceiver('q', { mode: 'peekLock' });
    engine.closeReceiver(r.id);
    t.throws(() => engine.pull(r.id, 1), err('SIM_E_SB_RECEIVER', 'amqp:illegal-state'));
    t.throws(() => engine.pull(r.id + 'x', 1), err('SIM_E_SB_RECEIVER', 'amqp:illegal-state'));
    t.end();
  });
});

void t.test('locks and time', async (t) => {
  await t.test(
    'a lock that expires makes the message available again with delivery count + 1',
    (t) => {
      const { engine, clock, names } = setup();
      engine.send('q', [textMessage('a')]);
      const r = engine.openReceiver('q', { mode: 'peekLock' });
      const [d1] = engine.pull(r.id, 1);
      t.equal(engine.nextDeadline(), clock.now() + LOCK);
      clock.advance(LOCK - 1);
      engine.tick();
      t.same(engine.pull(r.id, 1), [], 'still locked 1 ms before expiry');
      clock.advance(1);
      engine.tick();
      t.ok(names().includes('sim:sb:lock-expired'));
      t.throws(() => {
        engine.complete(d1?.lockToken ?? '');
      }, LOCK_LOST);
      const [d2] = engine.pull(r.id, 1);
      t.equal(d2?.deliveryCount, 1);
      t.end();
    },
  );

  await t.test('every engine call processes what is due, even without tick', (t) => {
    const { engine, clock } = setup();
    engine.send('q', [textMessage('a')]);
    const r = engine.openReceiver('q', { mode: 'peekLock' });
    const [d1] = engine.pull(r.id, 1);
    clock.advance(LOCK);
    t.throws(() => {
      engine.complete(d1?.lockToken ?? '');
    }, LOCK_LOST);
    t.equal(engine.pull(r.id, 1)[0]?.deliveryCount, 1);
    t.end();
  });

  await t.test('renewLock extends the lock and returns the new expiry', (t) => {
    const { engine, clock } = setup();
    engine.send('q', [textMessage('a')]);
    const r = engine.openReceiver('q', { mode: 'peekLock' });
    const [d] = engine.pull(r.id, 1);
    const token = d?.lockToken ?? '';
    clock.advance(LOCK - 10);
    t.same(engine.renewLock([token]), [clock.now() + LOCK]);
    t.equal(engine.nextDeadline(), clock.now() + LOCK, 'the old expiry no longer counts');
    clock.advance(LOCK - 10);
    engine.complete(token);
    t.throws(() => engine.renewLock([token]), LOCK_LOST);
    t.end();
  });

  await t.test('reaching maxDeliveryCount dead-letters with Azure reason and description', (t) => {
    const { engine, names } = setup();
    engine.send('q', [textMessage('a')]);
    const r = engine.openReceiver('q', { mode: 'peekLock' });
    for (let i = 0; i < 3; i++) {
      const [d] = engine.pull(r.id, 1);
      t.equal(d?.deliveryCount, i);
      engine.abandon(d?.lockToken ?? '');
    }
    t.same(engine.pull(r.id, 1), []);
    const dlq = engine.openReceiver('Q/$deadletterqueue', { mode: 'peekLock' });
    t.equal(dlq.entityPath, 'q/$DeadLetterQueue', 'paths are case-insensitive');
    const [dl] = engine.pull(dlq.id, 1);
    t.equal(dl?.deadLetterReason, 'MaxDeliveryCountExceeded');
    t.equal(
      dl?.deadLetterErrorDescription,
      'Message could not be consumed after 3 delivery attempts.',
    );
    t.equal(dl?.applicationProperties.DeadLetterReason, 'MaxDeliveryCountExceeded');
    t.equal(dl?.deliveryCount, 3);
    t.equal(dl?.sequenceNumber, 1, 'the dead-lettered message keeps its sequence number');
    t.ok(names().includes('sim:sb:deadlettered'));
    t.end();
  });

  await t.test('lock expiry also counts towards maxDeliveryCount', (t) => {
    const { engine, clock } = setup();
    engine.send('q', [textMessage('a')]);
    const r = engine.openReceiver('q', { mode: 'peekLock' });
    for (let i = 0; i < 3; i++) {
      t.equal(engine.pull(r.id, 1).length, 1);
      clock.advance(LOCK);
      engine.tick();
    }
    t.equal(engine.messages('q/$DeadLetterQueue').length, 1);
    t.end();
  });

  await t.test('forceLockLoss drops one lock or all locks as if they expired', (t) => {
    const { engine, names } = setup();
    engine.send('q', [textMessage('a'), textMessage('b'), textMessage('c')]);
    const r = engine.openReceiver('q', { mode: 'peekLock' });
    const ds = engine.pull(r.id, 3);
    t.equal(engine.forceLockLoss(ds[0]?.lockToken ?? ''), 1);
    t.throws(() => {
      engine.complete(ds[0]?.lockToken ?? '');
    }, LOCK_LOST);
    t.equal(engine.forceLockLoss('all'), 2);
    t.equal(engine.forceLockLoss('all'), 0);
    t.ok(names().includes('sim:sb:lock-lost'));
    t.same(
      engine.pull(r.id, 5).map((d) => d.deliveryCount),
      [1, 1, 1],
    );
    t.end();
  });

  await t.test(
    'nextDeadline is the earliest pending lock, schedule or expiry, else undefined',
    (t) => {
      const { engine, clock } = setup();
      t.equal(engine.nextDeadline(), undefined);
      const t0 = clock.now();
      engine.schedule('q', [textMessage('later')], t0 + 5000);
      engine.send('ttl', [textMessage('a')]);
      t.equal(engine.nextDeadline(), t0 + 5000);
      clock.advance(5000);
      engine.tick();
      t.equal(engine.nextDeadline(), t0 + 10_000, 'the TTL is next');
      t.end();
    },
  );
});

void t.test('settlement outcomes', async (t) => {
  await t.test('deadLetter moves the message with the given reason and description', (t) => {
    const { engine } = setup();
    engine.send('q', [textMessage('a')]);
    const r = engine.openReceiver('q', { mode: 'peekLock' });
    const [d] = engine.pull(r.id, 1);
    engine.deadLetter(d?.lockToken ?? '', { reason: 'Invalid', description: 'bad XML' });
    const [dl] = engine.messages('q/$DeadLetterQueue');
    t.equal(dl?.deadLetterReason, 'Invalid');
    t.same(dl?.applicationProperties, {
      DeadLetterReason: 'Invalid',
      DeadLetterErrorDescription: 'bad XML',
    });
    t.equal(dl?.deliveryCount, 0, 'dead-lettering is not a failed delivery');
    const rd = engine.openReceiver('q/$DeadLetterQueue', { mode: 'peekLock' });
    const [again] = engine.pull(rd.id, 1);
    t.throws(
      () => {
        engine.deadLetter(again?.lockToken ?? '');
      },
      err('SIM_E_SB_NOT_ALLOWED', 'amqp:not-allowed'),
    );
    engine.complete(again?.lockToken ?? '');
    t.same(engine.messages('q/$DeadLetterQueue'), []);
    t.end();
  });

  await t.test('defer keeps the message aside until received by sequence number', (t) => {
    const { engine } = setup();
    engine.send('q', [textMessage('a'), textMessage('b')]);
    const r = engine.openReceiver('q', { mode: 'peekLock' });
    const [d] = engine.pull(r.id, 1);
    engine.defer(d?.lockToken ?? '');
    t.same(bodies(engine.pull(r.id, 5)), ['b'], 'a deferred message is not delivered again');
    t.equal(engine.peek('q', 1, 1)[0]?.state, 'deferred');
    const [dd] = engine.receiveDeferred('q', [1], { mode: 'peekLock' });
    t.equal(dd?.state, 'deferred');
    t.ok(dd?.lockToken);
    t.throws(
      () => engine.receiveDeferred('q', [1], { mode: 'peekLock' }),
      err('SIM_E_SB_MESSAGE_NOT_FOUND', 'com.microsoft:message-not-found'),
      'a locked deferred message cannot be taken twice',
    );
    engine.complete(dd?.lockToken ?? '');
    t.throws(
      () => engine.receiveDeferred('q', [1], { mode: 'peekLock' }),
      err('SIM_E_SB_MESSAGE_NOT_FOUND', 'com.microsoft:message-not-found'),
    );
    t.end();
  });

  await t.test('a received deferred message whose lock expires stays deferred', (t) => {
    const { engine, clock } = setup();
    engine.send('q', [textMessage('a')]);
    const r = engine.openReceiver('q', { mode: 'peekLock' });
    engine.defer(engine.pull(r.id, 1)[0]?.lockToken ?? '');
    engine.receiveDeferred('q', [1], { mode: 'peekLock' });
    clock.advance(LOCK);
    engine.tick();
    t.same(engine.pull(r.id, 1), []);
    const [m] = engine.messages('q');
    t.equal(m?.state, 'deferred');
    t.equal(m?.deliveryCount, 1);
    t.equal(engine.receiveDeferred('q', [1], { mode: 'receiveAndDelete' }).length, 1);
    t.same(engine.messages('q'), []);
    t.end();
  });

  await t.test(
    'closing a receiver keeps its locks until they expire unless asked to abandon',
    (t) => {
      const { engine, clock } = setup();
      engine.send('q', [textMessage('a'), textMessage('b')]);
      const r1 = engine.openReceiver('q', { mode: 'peekLock' });
      const [d1, d2] = engine.pull(r1.id, 2);
      engine.closeReceiver(r1.id);
      const r2 = engine.openReceiver('q', { mode: 'peekLock' });
      t.same(engine.pull(r2.id, 5), [], 'still locked after the link closed');
      engine.complete(d1?.lockToken ?? '', {}); // $management update-disposition
      clock.advance(LOCK);
      t.same(bodies(engine.pull(r2.id, 5)), ['b']);
      t.throws(() => {
        engine.complete(d2?.lockToken ?? '');
      }, LOCK_LOST);

      const r3 = engine.openReceiver('q', { mode: 'peekLock' });
      engine.send('q', [textMessage('c')]);
      engine.pull(r3.id, 5);
      engine.closeReceiver(r3.id, { abandonLocked: true });
      const r4 = engine.openReceiver('q', { mode: 'peekLock' });
      t.same(
        engine.pull(r4.id, 5).map((d) => [d.sequenceNumber, d.deliveryCount]),
        [[3, 1]],
      );
      engine.closeReceiver('no-such-receiver');
      t.end();
    },
  );
});

void t.test('expiry', async (t) => {
  await t.test('an expired message is dropped, and pull never hands it out', (t) => {
    const { engine, clock, names } = setup();
    engine.send('ttl', [textMessage('a')]);
    const r = engine.openReceiver('ttl', { mode: 'peekLock' });
    clock.advance(10_000);
    t.same(engine.pull(r.id, 1), []);
    t.ok(names().includes('sim:sb:expired'));
    t.same(engine.messages('ttl/$DeadLetterQueue'), []);
    t.end();
  });

  await t.test('the message TTL applies when shorter than the entity default', (t) => {
    const { engine, clock } = setup();
    engine.send('ttl', [
      textMessage('a', { timeToLiveMs: 1000 }),
      textMessage('b', { timeToLiveMs: 60_000 }),
    ]);
    t.same(
      engine.messages('ttl').map((m) => m.expiresAtUtc),
      [clock.now() + 1000, clock.now() + 10_000],
    );
    t.end();
  });

  await t.test('with deadLetteringOnMessageExpiration it goes to the dead-letter queue', (t) => {
    const { engine, clock } = setup();
    engine.send('ttl-dlq', [textMessage('a')]);
    clock.advance(10_000);
    engine.tick();
    const [dl] = engine.messages('ttl-dlq/$DeadLetterQueue');
    t.equal(dl?.deadLetterReason, 'TTLExpiredException');
    t.equal(dl?.expiresAtUtc, undefined, 'dead-letter queues do not expire messages');
    t.end();
  });

  await t.test('a locked message expires only when its lock ends', (t) => {
    const { engine, clock } = setup({
      queues: [{ name: 'q', lockDurationMs: 20_000, defaultMessageTimeToLiveMs: 10_000 }],
    });
    engine.send('q', [textMessage('a')]);
    const r = engine.openReceiver('q', { mode: 'peekLock' });
    const [d] = engine.pull(r.id, 1);
    clock.advance(15_000);
    engine.tick();
    t.equal(engine.messages('q').length, 1, 'still held under its lock');
    engine.abandon(d?.lockToken ?? '');
    t.same(engine.messages('q'), [], 'expired when released');
    t.end();
  });
});

void t.test('refusals', async (t) => {
  await t.test('an unknown entity is amqp:not-found with the Azure message', (t) => {
    const { engine } = setup();
    t.throws(() => engine.send('nope', [textMessage('a')]), {
      ...err('SIM_E_SB_NOT_FOUND', 'amqp:not-found'),
      message: "The messaging entity 'nope' could not be found.",
    });
    t.throws(() => engine.openReceiver('events/Subscriptions/nope', { mode: 'peekLock' }), {
      code: 'SIM_E_SB_NOT_FOUND',
    });
    t.end();
  });

  await t.test('an oversize message is refused and nothing of its batch is stored', (t) => {
    const { engine } = setup();
    const big = { payload: null, size: 262_145 };
    t.throws(
      () => engine.send('q', [textMessage('ok'), big]),
      err('SIM_E_SB_MESSAGE_SIZE', 'amqp:link:message-size-exceeded'),
    );
    t.same(engine.messages('q'), []);
    engine.send('q', [{ payload: null, size: 262_144 }]);
    t.equal(engine.messages('q').length, 1, 'exactly the limit is accepted');
    t.end();
  });

  await t.test('a send over the entity quota is refused as resource-limit-exceeded', (t) => {
    const { engine } = setup();
    engine.send('small', [{ payload: null, size: 60 }]);
    t.throws(
      () => engine.send('small', [{ payload: null, size: 41 }]),
      err('SIM_E_SB_QUOTA', 'amqp:resource-limit-exceeded'),
    );
    engine.send('small', [{ payload: null, size: 40 }]);
    t.equal(engine.listEntities().find((e) => e.path === 'small')?.sizeInBytes, 100);
    t.end();
  });

  await t.test('operations that do not apply to an entity are amqp:not-allowed', (t) => {
    const { engine } = setup();
    const NOT_ALLOWED = err('SIM_E_SB_NOT_ALLOWED', 'amqp:not-allowed');
    t.throws(() => engine.send('events/Subscriptions/all', [textMessage('a')]), NOT_ALLOWED);
    t.throws(() => engine.send('q/$DeadLetterQueue', [textMessage('a')]), NOT_ALLOWED);
    t.throws(() => engine.openReceiver('events', { mode: 'peekLock' }), NOT_ALLOWED);
    t.throws(() => engine.openReceiver('sq', { mode: 'peekLock' }), NOT_ALLOWED);
    t.throws(() => engine.openReceiver('q', { mode: 'peekLock', sessionId: 's' }), NOT_ALLOWED);
    t.throws(() => engine.send('sq', [textMessage('no session')]), NOT_ALLOWED);
    t.end();
  });

  await t.test('malformed arguments are com.microsoft:argument-error', (t) => {
    const { engine } = setup();
    const ARG = err('SIM_E_SB_ARGUMENT', 'com.microsoft:argument-error');
    t.throws(() => engine.send('q', [{ payload: null, size: -1 }]), ARG);
    t.throws(() => engine.send('q', [{ payload: null, size: 1, timeToLiveMs: NaN }]), ARG);
    const r = engine.openReceiver('q', { mode: 'peekLock' });
    t.throws(() => engine.pull(r.id, -1), ARG);
    t.throws(() => engine.peek('q', 1.5, 1), ARG);
    t.throws(() => engine.schedule('q', [textMessage('a')], Infinity), ARG);
    t.end();
  });
});

void t.test('duplicate detection', async (t) => {
  await t.test('a repeated messageId within the window is accepted but not enqueued', (t) => {
    const { engine, clock, names } = setup();
    const res = engine.send('dedup', [
      textMessage('a', { messageId: 'x' }),
      textMessage('b', { messageId: 'x' }),
    ]);
    t.same(res, { accepted: 1, duplicates: 1, sequenceNumbers: [1, undefined] });
    clock.advance(59_999);
    t.equal(engine.send('dedup', [textMessage('c', { messageId: 'x' })]).duplicates, 1);
    clock.advance(1);
    t.equal(engine.send('dedup', [textMessage('d', { messageId: 'x' })]).accepted, 1);
    t.same(bodies(engine.messages('dedup')), ['a', 'd']);
    t.ok(names().includes('sim:sb:duplicate'));
    t.end();
  });

  await t.test('is off unless the entity enables it', (t) => {
    const { engine } = setup();
    engine.send('q', [textMessage('a', { messageId: 'x' }), textMessage('b', { messageId: 'x' })]);
    t.equal(engine.messages('q').length, 2);
    t.end();
  });
});

void t.test('topics', async (t) => {
  await t.test(
    'fan out to every subscription whose rules match, sharing the sequence number',
    (t) => {
      const { engine, names } = setup();
      engine.send('events', [
        textMessage('plain'),
        textMessage('urgent', { subject: 'urgent', applicationProperties: { tier: 1 } }),
        textMessage('wrong tier', { subject: 'urgent', applicationProperties: { tier: 2 } }),
      ]);
      t.same(bodies(engine.messages('events/subscriptions/ALL')), [
        'plain',
        'urgent',
        'wrong tier',
      ]);
      const urgent = engine.messages('events/Subscriptions/urgent');
      t.same(bodies(urgent), ['urgent']);
      t.equal(urgent[0]?.sequenceNumber, 2);
      t.same(engine.messages('events/Subscriptions/none'), []);
      const r = engine.openReceiver('events/Subscriptions/urgent', { mode: 'peekLock' });
      engine.complete(engine.pull(r.id, 1)[0]?.lockToken ?? '');
      t.equal(engine.messages('events/Subscriptions/all').length, 3, 'each copy is settled alone');
      t.notOk(names().includes('sim:sb:dropped'));
      t.end();
    },
  );

  await t.test('a message no subscription wants is dropped with an event', (t) => {
    const { engine, events } = setup({
      topics: [
        {
          name: 'picky',
          subscriptions: [
            { name: 's', rules: [{ name: 'r', filter: { type: 'correlation', to: 'x' } }] },
          ],
        },
      ],
    });
    engine.send('picky', [textMessage('a', { to: 'y' })]);
    t.same(
      events.filter(([n]) => n === 'sim:sb:dropped').map(([, d]) => d.reason),
      ['no-matching-subscription'],
    );
    t.end();
  });

  await t.test('scheduled topic messages fan out when they become due', (t) => {
    const { engine, clock } = setup();
    const [seq] = engine.schedule('events', [textMessage('later')], clock.now() + 1000);
    t.equal(engine.messages('events/Subscriptions/all').length, 0);
    t.equal(engine.messages('events')[0]?.state, 'scheduled');
    clock.advance(1000);
    engine.tick();
    const [m] = engine.messages('events/Subscriptions/all');
    t.equal(m?.sequenceNumber, seq);
    t.equal(m?.enqueuedTimeUtc, clock.now());
    t.end();
  });
});

void t.test('scheduled messages', async (t) => {
  await t.test('are peekable, not receivable until due, then active', (t) => {
    const { engine, clock } = setup();
    const at = clock.now() + 60_000;
    const seqs = engine.schedule('q', [textMessage('s1'), textMessage('s2')], at);
    t.same(seqs, [1, 2]);
    engine.send('q', [
      textMessage('now'),
      textMessage('via annotation', { scheduledEnqueueTimeUtc: at }),
    ]);
    const r = engine.openReceiver('q', { mode: 'peekLock' });
    const [now] = engine.pull(r.id, 10);
    t.same(bodies(now === undefined ? [] : [now]), ['now']);
    t.same(
      engine.peek('q', 0, 10).map((m) => [m.sequenceNumber, m.state]),
      [
        [1, 'scheduled'],
        [2, 'scheduled'],
        [3, 'active'],
        [4, 'scheduled'],
      ],
    );
    t.equal(engine.peek('q', 0, 10)[0]?.scheduledEnqueueTimeUtc, at);
    engine.complete(now?.lockToken ?? '');
    clock.set(at);
    const ds = engine.pull(r.id, 10);
    t.same(bodies(ds), ['s1', 's2', 'via annotation']);
    t.equal(ds[0]?.enqueuedTimeUtc, at);
    t.end();
  });

  await t.test('cancelScheduled removes them; unknown numbers are message-not-found', (t) => {
    const { engine, clock, names } = setup();
    const [seq] = engine.schedule('q', [textMessage('s1')], clock.now() + 1000);
    engine.cancelScheduled('q', [seq ?? 0]);
    t.same(engine.messages('q'), []);
    t.ok(names().includes('sim:sb:cancelled'));
    t.throws(
      () => {
        engine.cancelScheduled('q', [seq ?? 0]);
      },
      err('SIM_E_SB_MESSAGE_NOT_FOUND', 'com.microsoft:message-not-found'),
    );
    clock.advance(1000);
    engine.tick();
    t.same(engine.messages('q'), [], 'a cancelled message never activates');
    t.end();
  });
});

void t.test('peek', async (t) => {
  await t.test(
    'returns locked, deferred and scheduled messages from a sequence number, at most count',
    (t) => {
      const { engine, clock } = setup();
      engine.send('q', [textMessage('a'), textMessage('b'), textMessage('c'), textMessage('d')]);
      engine.schedule('q', [textMessage('e')], clock.now() + 1000);
      const r = engine.openReceiver('q', { mode: 'peekLock' });
      const [a, b] = engine.pull(r.id, 2);
      engine.defer(b?.lockToken ?? '');
      const peeked = engine.peek('q', 1, 10);
      t.same(
        peeked.map((m) => [m.sequenceNumber, m.state, m.lockToken !== undefined]),
        [
          [1, 'active', true],
          [2, 'deferred', false],
          [3, 'active', false],
          [4, 'active', false],
          [5, 'scheduled', false],
        ],
      );
      t.same(
        engine.peek('q', 3, 2).map((m) => m.sequenceNumber),
        [3, 4],
      );
      t.same(engine.peek('q', 6, 10), [], 'nothing left: the edge answers 204');
      t.equal(engine.peek('q', 1, 1)[0]?.lockToken, a?.lockToken);
      t.end();
    },
  );

  await t.test('stays correct after many removals (the index compacts)', (t) => {
    const { engine } = setup();
    engine.send(
      'q',
      Array.from({ length: 5000 }, (_, i) => textMessage(`m${i}`)),
    );
    const r = engine.openReceiver('q', { mode: 'receiveAndDelete' });
    engine.pull(r.id, 4990);
    t.same(
      engine.peek('q', 0, 3).map((m) => m.sequenceNumber),
      [4991, 4992, 4993],
    );
    t.end();
  });
});

void t.test('sessions', async (t) => {
  await t.test('a session receiver gets only its session, and locks it against others', (t) => {
    const { engine, clock } = setup();
    engine.send('sq', [
      textMessage('a1', { sessionId: 'a' }),
      textMessage('b1', { sessionId: 'b' }),
      textMessage('a2', { sessionId: 'a' }),
    ]);
    const ra = engine.openReceiver('sq', { mode: 'peekLock', sessionId: 'a' });
    t.equal(ra.sessionId, 'a');
    t.equal(ra.sessionLockedUntilUtc, clock.now() + LOCK);
    const ds = engine.pull(ra.id, 10);
    t.same(bodies(ds), ['a1', 'a2']);
    t.equal(
      ds[0]?.lockedUntilUtc,
      ra.sessionLockedUntilUtc,
      'message locks follow the session lock',
    );
    t.throws(
      () => engine.openReceiver('sq', { mode: 'peekLock', sessionId: 'a' }),
      err('SIM_E_SB_SESSION_CANNOT_BE_LOCKED', 'com.microsoft:session-cannot-be-locked'),
    );
    const next = engine.openReceiver('sq', { mode: 'peekLock', sessionId: null });
    t.equal(next.sessionId, 'b', 'next available session');
    t.throws(
      () => engine.openReceiver('sq', { mode: 'peekLock', sessionId: null }),
      err('SIM_E_SB_NO_SESSION', 'com.microsoft:timeout'),
    );
    const empty = engine.openReceiver('sq', { mode: 'peekLock', sessionId: 'c' });
    t.same(engine.pull(empty.id, 1), [], 'an empty session can be accepted by id');
    t.end();
  });

  await t.test('an expired session lock loses the receiver and frees the session', (t) => {
    const { engine, clock, lost, names } = setup();
    engine.send('sq', [textMessage('a1', { sessionId: 'a' })]);
    const r = engine.openReceiver('sq', { mode: 'peekLock', sessionId: 'a' });
    const [d] = engine.pull(r.id, 1);
    clock.advance(LOCK - 1);
    t.equal(engine.renewSessionLock(r.id), clock.now() + LOCK);
    clock.advance(LOCK);
    engine.tick();
    t.same(lost, [[r.id, 'com.microsoft:session-lock-lost']]);
    t.ok(names().includes('sim:sb:session-lock-lost'));
    const LOST = err('SIM_E_SB_SESSION_LOCK_LOST', 'com.microsoft:session-lock-lost');
    t.throws(() => engine.pull(r.id, 1), LOST);
    t.throws(() => {
      engine.complete(d?.lockToken ?? '', { receiverId: r.id });
    }, LOST);
    const again = engine.openReceiver('sq', { mode: 'peekLock', sessionId: null });
    t.equal(again.sessionId, 'a');
    t.equal(engine.pull(again.id, 1)[0]?.deliveryCount, 1);
    engine.closeReceiver(r.id);
    t.end();
  });

  await t.test('closing a session receiver releases the session and its locked messages', (t) => {
    const { engine, sessionsAvailable } = setup();
    engine.send('sq', [textMessage('a1', { sessionId: 'a' })]);
    t.same(sessionsAvailable, ['sq']);
    const r = engine.openReceiver('sq', { mode: 'peekLock', sessionId: 'a' });
    engine.pull(r.id, 1);
    engine.closeReceiver(r.id);
    t.same(sessionsAvailable, ['sq', 'sq']);
    const r2 = engine.openReceiver('sq', { mode: 'peekLock', sessionId: 'a' });
    t.equal(engine.pull(r2.id, 1)[0]?.deliveryCount, 1);
    t.end();
  });

  await t.test('session state is kept per session and needs the session lock', (t) => {
    const { engine } = setup();
    const LOST = err('SIM_E_SB_SESSION_LOCK_LOST', 'com.microsoft:session-lock-lost');
    t.throws(() => engine.getSessionState('sq', 'a'), LOST);
    const r = engine.openReceiver('sq', { mode: 'peekLock', sessionId: 'a' });
    t.equal(engine.getSessionState('sq', 'a'), undefined);
    engine.setSessionState('sq', 'a', Buffer.from('step-2'));
    engine.closeReceiver(r.id);
    const r2 = engine.openReceiver('sq', { mode: 'peekLock', sessionId: 'a' });
    t.same(engine.getSessionState('SQ', 'a'), Buffer.from('step-2'), 'state outlives the lock');
    engine.setSessionState('sq', 'a', null);
    t.equal(engine.getSessionState('sq', 'a'), undefined);
    engine.closeReceiver(r2.id);
    t.throws(
      () => {
        engine.setSessionState('q', 'a', 1);
      },
      err('SIM_E_SB_NOT_ALLOWED', 'amqp:not-allowed'),
    );
    t.end();
  });

  await t.test('peek and receive-deferred can be limited to one session', (t) => {
    const { engine } = setup();
    engine.send('sq', [
      textMessage('a1', { sessionId: 'a' }),
      textMessage('b1', { sessionId: 'b' }),
    ]);
    t.same(bodies(engine.peek('sq', 0, 10, { sessionId: 'b' })), ['b1']);
    t.same(bodies(engine.peek('sq', 0, 10)), ['a1', 'b1']);
    const r = engine.openReceiver('sq', { mode: 'peekLock', sessionId: 'a' });
    engine.defer(engine.pull(r.id, 1)[0]?.lockToken ?? '');
    t.throws(
      () => engine.receiveDeferred('sq', [1], { mode: 'peekLock', sessionId: 'b' }),
      err('SIM_E_SB_SESSION_LOCK_LOST', 'com.microsoft:session-lock-lost'),
    );
    const [d] = engine.receiveDeferred('sq', [1], { mode: 'peekLock', sessionId: 'a' });
    engine.complete(d?.lockToken ?? '', { sessionId: 'a' });
    t.end();
  });

  await t.test('the dead-letter queue of a session queue is read without sessions', (t) => {
    const { engine } = setup();
    engine.send('sq', [textMessage('a1', { sessionId: 'a' })]);
    const r = engine.openReceiver('sq', { mode: 'peekLock', sessionId: 'a' });
    engine.deadLetter(engine.pull(r.id, 1)[0]?.lockToken ?? '', { reason: 'x' });
    t.throws(
      () => engine.openReceiver('sq/$DeadLetterQueue', { mode: 'peekLock', sessionId: 'a' }),
      err('SIM_E_SB_NOT_ALLOWED', 'amqp:not-allowed'),
    );
    const dl = engine.openReceiver('sq/$DeadLetterQueue', { mode: 'receiveAndDelete' });
    const [d] = engine.pull(dl.id, 1);
    t.equal(d?.sessionId, 'a', 'the message keeps its session id');
    t.end();
  });

  await t.test('forceSessionLockLoss loses the receiver at once', (t) => {
    const { engine, lost } = setup();
    const r = engine.openReceiver('sq', { mode: 'peekLock', sessionId: 'a' });
    t.equal(engine.forceSessionLockLoss('sq', 'a'), true);
    t.equal(engine.forceSessionLockLoss('sq', 'a'), false);
    t.same(lost, [[r.id, 'com.microsoft:session-lock-lost']]);
    t.end();
  });
});

void t.test('notifications and events', async (t) => {
  await t.test('onAvailable fires after the call, and the listener may pull at once', (t) => {
    const clock = new ManualClock();
    const got: unknown[] = [];
    const config = parseNamespaceConfig({ namespace: 'council-42', queues: [{ name: 'q' }] });
    const engine: ServiceBusEngine = new ServiceBusEngine({
      config,
      clock,
      onAvailable: (rid) => {
        got.push(...bodies(engine.pull(rid, 1)));
      },
    });
    const id = engine.openReceiver('q', { mode: 'peekLock' }).id;
    engine.send('q', [textMessage('a'), textMessage('b')]);
    t.same(got, ['a'], 'one notification per call, not per message');
    engine.send('q', [textMessage('c')]);
    t.same(got, ['a', 'b']);
    t.ok(id);
    t.end();
  });

  await t.test('each state change emits a plain-object event', (t) => {
    const { engine, names, events } = setup();
    engine.send('q', [textMessage('a', { messageId: 'm1' })]);
    const r = engine.openReceiver('q', { mode: 'peekLock' });
    const [d] = engine.pull(r.id, 1);
    engine.complete(d?.lockToken ?? '');
    engine.closeReceiver(r.id);
    t.same(names(), [
      'sim:sb:enqueued',
      'sim:sb:receiver-opened',
      'sim:sb:locked',
      'sim:sb:settled',
      'sim:sb:receiver-closed',
    ]);
    t.match(events[0]?.[1], { entity: 'q', sequenceNumber: 1, messageId: 'm1', size: 1 });
    t.match(events[3]?.[1], { outcome: 'completed', lockToken: d?.lockToken });
    t.end();
  });
});

void t.test('control API', async (t) => {
  await t.test('listEntities counts messages by state; purge empties one entity', (t) => {
    const { engine, clock } = setup();
    engine.send('q', [textMessage('a'), textMessage('b'), textMessage('c')]);
    engine.schedule('q', [textMessage('d')], clock.now() + 1000);
    const r = engine.openReceiver('q', { mode: 'peekLock' });
    const [a, b] = engine.pull(r.id, 2);
    engine.defer(a?.lockToken ?? '');
    engine.deadLetter(b?.lockToken ?? '');
    t.match(
      engine.listEntities().find((e) => e.path === 'q'),
      {
        kind: 'queue',
        active: 1,
        deferred: 1,
        scheduled: 1,
        locked: 0,
        deadLettered: 1,
        sizeInBytes: 4,
        receivers: 1,
      },
    );
    t.same(
      engine
        .listEntities()
        .map((e) => [e.path, e.kind])
        .slice(-4),
      [
        ['events', 'topic'],
        ['events/Subscriptions/all', 'subscription'],
        ['events/Subscriptions/urgent', 'subscription'],
        ['events/Subscriptions/none', 'subscription'],
      ],
    );
    t.equal(engine.purge('q'), 3);
    t.equal(engine.purge('q/$DeadLetterQueue'), 1);
    t.match(
      engine.listEntities().find((e) => e.path === 'q'),
      { active: 0, sizeInBytes: 0 },
    );
    t.end();
  });

  await t.test('sends and completes 20,000 messages, each exactly once', (t) => {
    const { engine } = setup({ queues: [{ name: 'q' }], topics: [] });
    const started = process.hrtime.bigint();
    const r = engine.openReceiver('q', { mode: 'peekLock' });
    for (let i = 0; i < 200; i++) {
      engine.send(
        'q',
        Array.from({ length: 100 }, () => ({ payload: null, size: 1024 })),
      );
    }
    let done = 0;
    for (;;) {
      const ds = engine.pull(r.id, 32);
      if (ds.length === 0) break;
      for (const d of ds) engine.complete(d.lockToken ?? '', { receiverId: r.id });
      done += ds.length;
    }
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    t.equal(done, 20_000);
    // Speed is bench servicebus's business; the time is shown, never judged.
    t.comment(`took ${ms.toFixed(0)} ms`);
    t.equal(engine.listEntities().find((e) => e.path === 'q')?.active, 0, 'nothing left');
    t.end();
  });
});
