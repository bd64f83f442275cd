// A circuit breaker per back-office service: closed → open after failureThreshold consecutive
// transient failures → half-open once openMs has passed → closed after a successful probe, or
// open again after a failed one. While open, calls fail fast with RELAY_E_BACKOFFICE_OPEN and no
// request. In: scripted failures, a manual clock. Out: typed errors, state changes on
// `relay:backoffice:breaker`, and the requests nock saw (none while open).
import diagnostics from 'node:diagnostics_channel';
import t from 'tap';
import {
  BACKOFFICE_CHANNELS,
  CircuitBreaker,
  isBackOfficeError,
  settlementOf,
  type BreakerEvent,
} from '../../src/work/backoffice';
import { ManualClock } from '../helpers/manual-clock';
import { drain, rejection, setup, T0 } from './helpers/setup';

function watchBreaker(t: tap.Test): BreakerEvent[] {
  const seen: BreakerEvent[] = [];
  const listener = (m: unknown): void => {
    seen.push(m as BreakerEvent);
  };
  diagnostics.subscribe(BACKOFFICE_CHANNELS.breaker, listener);
  t.teardown(() => {
    diagnostics.unsubscribe(BACKOFFICE_CHANNELS.breaker, listener);
  });
  return seen;
}

const CONFIG = { attempts: 1, breaker: { failureThreshold: 3, openMs: 10_000 } };
const call = {
  service: 'council-tax',
  route: 'accounts',
  method: 'GET',
  path: '/accounts/1',
} as const;

void t.test('three transient failures open the breaker; the next call fails fast', async (t) => {
  const states = watchBreaker(t);
  const s = setup(t, CONFIG);
  s.councilTax.get('/api/accounts/1').times(3).reply(503);
  for (let i = 0; i < 3; i++) {
    const e = await rejection(s.client.call({ ...call, idempotencyKey: s.key() }));
    t.ok(isBackOfficeError(e, 'RELAY_E_BACKOFFICE_TRANSIENT'), `failure ${i + 1} is transient`);
  }
  t.equal(s.client.breakerState('council-tax'), 'open');
  t.same(states, [{ service: 'council-tax', state: 'open', previous: 'closed' }]);
  t.ok(s.councilTax.isDone());

  s.clock.advance(4_000);
  const e = await rejection(s.client.call({ ...call, idempotencyKey: s.key() }));
  t.ok(isBackOfficeError(e, 'RELAY_E_BACKOFFICE_OPEN'), 'fails fast');
  t.match(isBackOfficeError(e) ? e.details : {}, {
    service: 'council-tax',
    attempts: 0,
    retryInMs: 6_000,
  });
  t.equal(isBackOfficeError(e) ? e.http : 0, 503);
  t.same(settlementOf(e), { action: 'abandon', code: 'RELAY_E_BACKOFFICE_OPEN' });
  t.same(s.events.at(-1), {
    service: 'council-tax',
    route: 'accounts',
    attempt: 1,
    outcome: 'open',
  });
  t.same(s.clock.pending(), [], 'no timer: nothing was sent');
  // Any request here would find no interceptor and net connect disabled: nock would refuse it.
  t.same(nockPending(s), []);
});

void t.test('after openMs a probe goes out; its success closes the breaker', async (t) => {
  const states = watchBreaker(t);
  const s = setup(t, CONFIG);
  s.councilTax.get('/api/accounts/1').times(3).reply(500);
  for (let i = 0; i < 3; i++) await rejection(s.client.call({ ...call, idempotencyKey: s.key() }));
  s.clock.advance(10_000);
  t.equal(s.client.breakerState('council-tax'), 'half-open');
  s.councilTax.get('/api/accounts/1').reply(200, 'back');
  const res = await s.client.call({ ...call, idempotencyKey: s.key() });
  t.equal(await drain(res.body), 'back');
  t.equal(s.client.breakerState('council-tax'), 'closed');
  t.same(
    states.map((x) => `${x.previous}->${x.state}`),
    ['closed->open', 'open->half-open', 'half-open->closed'],
  );
});

void t.test('a failed probe opens the breaker again for another openMs', async (t) => {
  const s = setup(t, CONFIG);
  s.councilTax.get('/api/accounts/1').times(4).replyWithError({ code: 'ECONNREFUSED' });
  for (let i = 0; i < 3; i++) await rejection(s.client.call({ ...call, idempotencyKey: s.key() }));
  s.clock.advance(10_000);
  const probe = await rejection(s.client.call({ ...call, idempotencyKey: s.key() }));
  t.ok(isBackOfficeError(probe, 'RELAY_E_BACKOFFICE_TRANSIENT'), 'the probe was sent and failed');
  t.equal(s.client.breakerState('council-tax'), 'open');
  const e = await rejection(s.client.call({ ...call, idempotencyKey: s.key() }));
  t.match(isBackOfficeError(e, 'RELAY_E_BACKOFFICE_OPEN') ? e.details : {}, { retryInMs: 10_000 });
  t.ok(s.councilTax.isDone());
});

void t.test('while a probe is out, other calls fail fast', async (t) => {
  const s = setup(t, CONFIG);
  s.councilTax.get('/api/accounts/1').times(3).reply(503);
  for (let i = 0; i < 3; i++) await rejection(s.client.call({ ...call, idempotencyKey: s.key() }));
  s.clock.advance(10_000);
  let answer!: (err: null, result: [number, string]) => void;
  let reached!: () => void;
  const atBackOffice = new Promise<void>((resolve) => (reached = resolve));
  s.councilTax.get('/api/accounts/1').reply((_uri, _body, cb) => {
    answer = cb;
    reached();
  });
  const probe = s.client.call({ ...call, idempotencyKey: s.key() });
  await atBackOffice;
  const e = await rejection(s.client.call({ ...call, idempotencyKey: s.key() }));
  t.match(isBackOfficeError(e, 'RELAY_E_BACKOFFICE_OPEN') ? e.details : {}, { retryInMs: 0 });
  answer(null, [200, 'ok']);
  t.equal(await drain((await probe).body), 'ok');
  t.equal(s.client.breakerState('council-tax'), 'closed');
});

void t.test(
  'retries inside one call count towards the breaker and stop when it opens',
  async (t) => {
    const s = setup(t, { attempts: 5, breaker: { failureThreshold: 2, openMs: 10_000 } }, [0, 0]);
    s.councilTax.get('/api/accounts/1').times(2).reply(502);
    const pending = s.client.call({ ...call, idempotencyKey: s.key() });
    s.clock.advance((await s.event(0)).delayMs ?? 0);
    const second = await s.event(1);
    t.equal(second.outcome, 'transient');
    s.clock.advance(second.delayMs ?? 0);
    const e = await rejection(pending);
    t.ok(isBackOfficeError(e, 'RELAY_E_BACKOFFICE_OPEN'));
    t.match(isBackOfficeError(e) ? e.details : {}, { attempts: 2 });
    t.same(
      s.events.map((x) => x.outcome),
      ['transient', 'transient', 'open'],
    );
  },
);

void t.test('a permanent answer or a success in between resets the count', async (t) => {
  const s = setup(t, CONFIG);
  s.councilTax
    .get('/api/accounts/1')
    .times(2)
    .reply(503)
    .get('/api/accounts/1')
    .reply(404)
    .get('/api/accounts/1')
    .times(2)
    .reply(503);
  const outcomes: string[] = [];
  for (let i = 0; i < 5; i++) {
    try {
      outcomes.push(String((await s.client.call({ ...call, idempotencyKey: s.key() })).status));
    } catch (e) {
      outcomes.push(isBackOfficeError(e) ? e.code : 'other');
    }
  }
  t.same(outcomes.slice(2), [
    '404',
    'RELAY_E_BACKOFFICE_TRANSIENT',
    'RELAY_E_BACKOFFICE_TRANSIENT',
  ]);
  t.equal(
    s.client.breakerState('council-tax'),
    'closed',
    'two failures since the 404: still closed',
  );
});

void t.test('each service has its own breaker', async (t) => {
  const s = setup(t, CONFIG);
  s.councilTax.get('/api/accounts/1').times(3).reply(503);
  for (let i = 0; i < 3; i++) await rejection(s.client.call({ ...call, idempotencyKey: s.key() }));
  s.licensing.get('/premises/9').reply(200, 'licensed');
  const res = await s.client.call({
    service: 'licensing',
    route: 'licensing',
    method: 'GET',
    path: '/premises/9',
    idempotencyKey: s.key(),
  });
  t.equal(await drain(res.body), 'licensed');
  t.equal(s.client.breakerState('council-tax'), 'open');
  t.equal(s.client.breakerState('licensing'), 'closed');
  t.equal(s.client.breakerState('nowhere'), undefined);
});

void t.test('the breaker alone: half-open allows exactly halfOpenProbes at once', (t) => {
  const clock = new ManualClock(T0);
  const b = new CircuitBreaker(
    'svc',
    { failureThreshold: 2, openMs: 100, halfOpenProbes: 2 },
    clock,
  );
  for (let i = 0; i < 2; i++) {
    const gate = b.tryAcquire();
    t.ok(gate.ok && !gate.ticket.probe, 'closed: a normal attempt');
    if (gate.ok) b.failure(gate.ticket);
  }
  t.equal(b.state, 'open');
  t.same(b.tryAcquire(), { ok: false, retryInMs: 100 });
  clock.advance(100);
  const p1 = b.tryAcquire();
  const p2 = b.tryAcquire();
  t.ok(p1.ok && p1.ticket.probe && p2.ok && p2.ticket.probe, 'two probes');
  t.same(b.tryAcquire(), { ok: false, retryInMs: 0 }, 'a third waits for the probes');
  if (p1.ok) b.neutral(p1.ticket);
  const p3 = b.tryAcquire();
  t.ok(p3.ok, 'a probe that ended without a verdict frees its place');
  if (p2.ok) b.success(p2.ticket);
  t.equal(b.state, 'closed');
  if (p3.ok) b.failure(p3.ticket);
  t.equal(b.state, 'closed', 'a late probe failure after closing counts as one failure');
  t.equal(b.failures, 1);
  t.end();
});

function nockPending(s: ReturnType<typeof setup>): string[] {
  return s.councilTax.pendingMocks();
}
