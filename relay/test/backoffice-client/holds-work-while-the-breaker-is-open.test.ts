// A call that holds a Service Bus message (it can renew the message's lock) is not failed at
// once by an open breaker: it waits for the breaker, its lock renewed before each wait, and goes
// out as soon as a probe may; only after two open periods in all (at most 45 s) does it fail with
// RELAY_E_BACKOFFICE_OPEN. A Retry-After longer than the cap opens the breaker, and such a call
// waits on it too. Work that cannot hold (no renewLock: a Hybrid Connections request) still
// fails fast. In: scripted answers, a renewLock spy, a manual clock. Out: the call's result, the
// renewals, the attempts the back office saw.
import t from 'tap';
import {
  breakerWaitMs,
  BREAKER_WAIT_CAP_MS,
  CircuitBreaker,
  isBackOfficeError,
} from '../../src/work/backoffice';
import { ManualClock } from '../helpers/manual-clock';
import { drain, rejection, setup, T0 } from './helpers/setup';

const OPEN_MS = 10_000;
const CONFIG = { attempts: 1, breaker: { failureThreshold: 1, openMs: OPEN_MS } };
const call = {
  service: 'council-tax',
  route: 'accounts',
  method: 'GET',
  path: '/accounts/1',
} as const;

void t.test('the wait is two open periods, at most 45 s', (t) => {
  t.equal(breakerWaitMs(10_000), 20_000);
  t.equal(breakerWaitMs(1_500), 3_000, 'a scaled run waits as long in open periods');
  t.equal(breakerWaitMs(30_000), BREAKER_WAIT_CAP_MS, 'under the 55 s handler timeout');
  t.end();
});

void t.test('a call that can hold waits for the probe and goes through', async (t) => {
  const s = setup(t, CONFIG);
  s.councilTax.get('/api/accounts/1').reply(503);
  t.ok(
    isBackOfficeError(
      await rejection(s.client.call({ ...call, idempotencyKey: s.key() })),
      'RELAY_E_BACKOFFICE_TRANSIENT',
    ),
  );
  t.equal(s.client.breakerState('council-tax'), 'open');

  let renewals = 0;
  s.councilTax.get('/api/accounts/1').reply(200, 'back');
  const held = s.client.call({
    ...call,
    idempotencyKey: s.key(),
    renewLock: () => {
      renewals++;
      return Promise.resolve();
    },
  });
  await s.clock.timerSet(OPEN_MS);
  t.equal(renewals, 1, 'its lock was renewed before it waited');
  s.clock.advance(OPEN_MS);
  const res = await held;
  t.equal(await drain(res.body), 'back', 'it went out as the probe, and was answered');
  t.equal(s.client.breakerState('council-tax'), 'closed');
  t.same(
    s.events.map((e) => e.outcome),
    ['transient', 'success'],
    'it was never refused: no abandon, no delivery used',
  );
});

void t.test('it fails with OPEN once two open periods have passed', async (t) => {
  // The probe stays out for the whole wait: its headers timeout is longer.
  const s = setup(t, { ...CONFIG, headersTimeoutMs: 60_000 });
  s.councilTax.get('/api/accounts/1').reply(503);
  await rejection(s.client.call({ ...call, idempotencyKey: s.key() }));
  s.clock.advance(OPEN_MS);
  // A probe goes out (a call that cannot hold) and hangs at the back office.
  let answer!: (err: null, result: [number, string]) => void;
  let reached!: () => void;
  const atBackOffice = new Promise<void>((resolve) => (reached = resolve));
  s.councilTax.get('/api/accounts/1').reply((_uri, _body, cb) => {
    answer = cb;
    reached();
  });
  const probe = s.client.call({ ...call, idempotencyKey: s.key() });
  await atBackOffice;

  let renewals = 0;
  const held = s.client.call({
    ...call,
    idempotencyKey: s.key(),
    renewLock: () => {
      renewals++;
      return Promise.resolve();
    },
  });
  // While the probe is out the held call looks again every second (openMs / 10, at most 1 s).
  for (let i = 0; i < (2 * OPEN_MS) / 1000; i++) {
    await s.clock.timerSet(1000);
    s.clock.advance(1000);
  }
  const e = await rejection(held);
  t.ok(isBackOfficeError(e, 'RELAY_E_BACKOFFICE_OPEN'), 'given up after 20 s of waiting');
  t.match(isBackOfficeError(e) ? e.details : {}, { attempts: 0, retryInMs: 0 });
  t.equal(renewals, 20, 'its lock was renewed before each wait');
  answer(null, [200, 'ok']);
  t.equal(await drain((await probe).body), 'ok');
  t.same(
    s.events.map((x) => x.outcome),
    ['transient', 'open', 'success'],
    'the held call never reached the back office',
  );
});

void t.test('work that cannot hold (no renewLock) still fails fast', async (t) => {
  const s = setup(t, CONFIG);
  s.councilTax.get('/api/accounts/1').reply(503);
  await rejection(s.client.call({ ...call, idempotencyKey: s.key() }));
  const e = await rejection(s.client.call({ ...call, idempotencyKey: s.key() }));
  t.match(isBackOfficeError(e, 'RELAY_E_BACKOFFICE_OPEN') ? e.details : {}, {
    retryInMs: OPEN_MS,
  });
  t.same(s.clock.pending(), [], 'no timer: it did not wait');
});

void t.test(
  'a Retry-After over the cap opens the breaker; a call that can hold waits on it',
  async (t) => {
    const s = setup(t, { attempts: 3, retryAfterCapMs: 5_000, breaker: { openMs: OPEN_MS } });
    s.councilTax
      .get('/api/accounts/1')
      .reply(503, '', { 'retry-after': '300' })
      .get('/api/accounts/1')
      .reply(200, 'back');
    let renewals = 0;
    const held = s.client.call({
      ...call,
      idempotencyKey: s.key(),
      renewLock: () => {
        renewals++;
        return Promise.resolve();
      },
    });
    await s.clock.timerSet(OPEN_MS);
    t.equal(s.client.breakerState('council-tax'), 'open', 'opened by the one answer');
    t.equal(renewals, 1);
    s.clock.advance(OPEN_MS);
    t.equal(await drain((await held).body), 'back', 'its next attempt was the probe');
    t.same(
      s.events.map((e) => [e.outcome, e.delayMs]),
      [
        ['transient', 0],
        ['success', undefined],
      ],
    );
  },
);

void t.test('the breaker alone: trip() opens it from closed or half-open at once', (t) => {
  const clock = new ManualClock(T0);
  const b = new CircuitBreaker(
    'svc',
    { failureThreshold: 5, openMs: 100, halfOpenProbes: 1 },
    clock,
  );
  const first = b.tryAcquire();
  if (!first.ok) throw new Error('closed');
  b.trip(first.ticket);
  t.equal(b.state, 'open', 'one trip, whatever the count');
  clock.advance(100);
  const probe = b.tryAcquire();
  t.ok(probe.ok && probe.ticket.probe, 'half-open: a probe');
  if (probe.ok) b.trip(probe.ticket);
  t.equal(b.state, 'open', 'a tripped probe opens it again');
  t.same(b.tryAcquire(), { ok: false, retryInMs: 100 });
  t.end();
});
