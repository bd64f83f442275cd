// The caller's renewLock runs after each transient failure and before the wait for the next
// attempt, so that the Service Bus lock on the message stays valid through the back-off. A
// renewal that fails or never settles ends the call with RELAY_E_BACKOFFICE_ABORTED (the lock is
// gone: the message comes back). In: scripted failures, a renewLock spy, a manual clock. Out:
// when renewals happened relative to requests and waits; the typed error.
import t from 'tap';
import { isBackOfficeError, settlementOf } from '../../src/work/backoffice';
import { drain, HEADERS_TIMEOUT_MS, rejection, setup, T0 } from './helpers/setup';

const CALL = {
  service: 'council-tax',
  route: 'council-tax/changes',
  method: 'POST',
  path: '/accounts/42/changes',
  body: Buffer.from('<change/>'),
} as const;

void t.test('the lock is renewed once before each retry wait, after the failure', async (t) => {
  const s = setup(t, {}, [0, 0]);
  let requests = 0;
  s.councilTax
    .post('/api/accounts/42/changes')
    .times(2)
    .reply(() => {
      requests++;
      return [503, ''];
    })
    .post('/api/accounts/42/changes')
    .reply(() => {
      requests++;
      return [200, 'done'];
    });
  const renewals: { at: number; requests: number; pending: number[] }[] = [];
  const pending = s.client.call({
    ...CALL,
    idempotencyKey: s.key(),
    renewLock: () => {
      renewals.push({ at: s.clock.now(), requests, pending: s.clock.pending() });
      return Promise.resolve();
    },
  });
  s.clock.advance((await s.event(0)).delayMs ?? 0);
  s.clock.advance((await s.event(1)).delayMs ?? 0);
  const res = await pending;
  t.equal(await drain(res.body), 'done');
  t.same(
    renewals,
    [
      { at: T0, requests: 1, pending: [HEADERS_TIMEOUT_MS] },
      { at: T0 + 200, requests: 2, pending: [HEADERS_TIMEOUT_MS] },
    ],
    'renewed after attempts 1 and 2, each time before the back-off wait was set (the one timer is the renewal bound)',
  );
});

void t.test('no renewal when the first attempt succeeds or is refused', async (t) => {
  const s = setup(t);
  s.councilTax
    .post('/api/accounts/42/changes')
    .reply(200)
    .post('/api/accounts/42/changes')
    .reply(422);
  let renewed = 0;
  const renewLock = (): Promise<void> => {
    renewed++;
    return Promise.resolve();
  };
  t.equal((await s.client.call({ ...CALL, idempotencyKey: s.key(), renewLock })).status, 200);
  t.equal((await s.client.call({ ...CALL, idempotencyKey: s.key(), renewLock })).status, 422);
  t.equal(renewed, 0);
});

void t.test('a renewal that fails ends the call as aborted without another attempt', async (t) => {
  const s = setup(t);
  s.councilTax.post('/api/accounts/42/changes').reply(503);
  const e = await rejection(
    s.client.call({
      ...CALL,
      idempotencyKey: s.key(),
      renewLock: () =>
        Promise.reject(Object.assign(new Error('lock lost'), { code: 'MessageLockLost' })),
    }),
  );
  t.ok(isBackOfficeError(e, 'RELAY_E_BACKOFFICE_ABORTED'));
  t.match(isBackOfficeError(e) ? e.details : {}, {
    service: 'council-tax',
    reason: 'renew-lock-failed',
    errno: 'MessageLockLost',
  });
  t.same(settlementOf(e), { action: 'abandon', code: 'RELAY_E_BACKOFFICE_ABORTED' });
  t.same(s.clock.pending(), [], 'no wait was started');
  t.ok(s.councilTax.isDone());
});

void t.test('a renewal that never settles is given up after headersTimeoutMs', async (t) => {
  const s = setup(t);
  s.councilTax.post('/api/accounts/42/changes').reply(503);
  let asked!: () => void;
  const renewing = new Promise<void>((resolve) => (asked = resolve));
  const pending = s.client.call({
    ...CALL,
    idempotencyKey: s.key(),
    renewLock: () => {
      asked();
      return new Promise<void>(() => undefined);
    },
  });
  await renewing;
  await s.clock.timerSet(HEADERS_TIMEOUT_MS);
  s.clock.advance(HEADERS_TIMEOUT_MS);
  const e = await rejection(pending);
  t.ok(isBackOfficeError(e, 'RELAY_E_BACKOFFICE_ABORTED'));
  t.match(isBackOfficeError(e) ? e.details : {}, { reason: 'renew-lock-timeout' });
  t.same(s.clock.pending(), []);
});
