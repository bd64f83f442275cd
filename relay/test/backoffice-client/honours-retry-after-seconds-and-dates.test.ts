// Retry-After on a transient answer sets the wait when it asks for more than back-off: as
// delay-seconds or as an HTTP-date read against the injected clock. One longer than
// retryAfterCapMs ends the call at once (abandon, the message comes back later) and opens the
// service's breaker (holds-work-while-the-breaker-is-open shows a Service Bus message waiting on
// it instead). In: scripted 429/503 answers with Retry-After. Out: the waits, the typed error.
import t from 'tap';
import { isBackOfficeError, parseRetryAfter } from '../../src/work/backoffice';
import { drain, rejection, setup, T0 } from './helpers/setup';

void t.test('a 429 with Retry-After: 7 waits seven seconds, not the back-off', async (t) => {
  const s = setup(t, {}, [0.9]);
  s.councilTax
    .get('/api/rates/100')
    .reply(429, 'slow down', { 'retry-after': '7' })
    .get('/api/rates/100')
    .reply(200, '{"rateable":12000}');
  const pending = s.client.call({
    service: 'council-tax',
    route: 'rates',
    method: 'GET',
    path: '/rates/100',
    idempotencyKey: s.key(),
  });
  const e = await s.event(0);
  t.match(e, { outcome: 'transient', status: 429, retryAfterMs: 7_000, delayMs: 7_000 });
  t.same(s.clock.pending(), [7_000]);
  s.clock.advance(6_999);
  t.same(s.clock.pending(), [1], 'still waiting a millisecond before the deadline');
  s.clock.advance(1);
  const res = await pending;
  t.equal(res.attempts, 2);
  t.equal(await drain(res.body), '{"rateable":12000}');
});

void t.test('a 503 with an HTTP-date waits until that date by the injected clock', async (t) => {
  const s = setup(t);
  const at = new Date(T0 + 12_000).toUTCString();
  t.equal(at, 'Tue, 04 Mar 2025 09:00:12 GMT');
  s.councilTax
    .post('/api/benefits/claims')
    .reply(503, 'maintenance', { 'retry-after': at })
    .post('/api/benefits/claims')
    .reply(202);
  const pending = s.client.call({
    service: 'council-tax',
    route: 'benefits',
    method: 'POST',
    path: '/benefits/claims',
    body: Buffer.from('<claim/>'),
    idempotencyKey: s.key(),
  });
  t.match(await s.event(0), { retryAfterMs: 12_000, delayMs: 12_000 });
  s.clock.advance(12_000);
  t.equal((await pending).status, 202);
});

void t.test('a Retry-After shorter than the back-off does not shorten the wait', async (t) => {
  const s = setup(t, { backoff: { baseMs: 3_000, jitter: 0 } });
  s.councilTax.get('/api/x').reply(503, '', { 'retry-after': '1' }).get('/api/x').reply(200);
  const pending = s.client.call({
    service: 'council-tax',
    route: 'x',
    method: 'GET',
    path: '/x',
    idempotencyKey: s.key(),
  });
  t.match(await s.event(0), { retryAfterMs: 1_000, delayMs: 3_000 });
  s.clock.advance(3_000);
  t.equal((await pending).attempts, 2);
});

void t.test('a Retry-After above the cap ends the call at once as transient', async (t) => {
  const s = setup(t, { retryAfterCapMs: 60_000 });
  s.councilTax.get('/api/x').reply(503, '', { 'retry-after': '120' });
  const e = await rejection(
    s.client.call({
      service: 'council-tax',
      route: 'x',
      method: 'GET',
      path: '/x',
      idempotencyKey: s.key(),
    }),
  );
  t.ok(isBackOfficeError(e, 'RELAY_E_BACKOFFICE_TRANSIENT'), 'typed transient error');
  t.match(isBackOfficeError(e) ? e.details : {}, {
    service: 'council-tax',
    attempts: 1,
    lastStatus: 503,
    retryAfterMs: 120_000,
    reason: 'retry-after-over-cap',
  });
  t.same(s.clock.pending(), [], 'no wait was started');
  t.equal(s.events.length, 1);
  t.equal(s.events[0]?.delayMs, undefined);
  t.equal(
    s.client.breakerState('council-tax'),
    'open',
    'and the breaker is open: the service said it is down for longer than a call waits',
  );
});

void t.test('a Retry-After of exactly the cap is still waited for', async (t) => {
  const s = setup(t, { retryAfterCapMs: 10_000 });
  s.councilTax.get('/api/x').reply(429, '', { 'retry-after': '10' }).get('/api/x').reply(200);
  const pending = s.client.call({
    service: 'council-tax',
    route: 'x',
    method: 'GET',
    path: '/x',
    idempotencyKey: s.key(),
  });
  t.match(await s.event(0), { delayMs: 10_000 });
  s.clock.advance(10_000);
  t.equal((await pending).status, 200);
});

void t.test('Retry-After values are read as seconds or the three HTTP-date forms', (t) => {
  t.equal(parseRetryAfter('0', T0), 0);
  t.equal(parseRetryAfter(' 42 ', T0), 42_000);
  t.equal(parseRetryAfter('Tue, 04 Mar 2025 09:01:00 GMT', T0), 60_000, 'IMF-fixdate');
  t.equal(parseRetryAfter('Tuesday, 04-Mar-25 09:01:00 GMT', T0), 60_000, 'RFC 850');
  t.equal(parseRetryAfter('Tue Mar  4 09:01:00 2025', T0), 60_000, 'asctime');
  t.equal(parseRetryAfter('Mon, 03 Mar 2025 09:00:00 GMT', T0), 0, 'a past date: now');
  for (const bad of [
    '',
    'soon',
    '1.5',
    '-1',
    '+3',
    '1e3',
    'Tue, 04 Mar 2025',
    '2025-03-04T09:01:00Z',
  ]) {
    t.equal(parseRetryAfter(bad, T0), undefined, `"${bad}" is ignored`);
  }
  t.equal(parseRetryAfter(null, T0), undefined);
  t.end();
});

void t.test('a malformed Retry-After leaves the back-off delay in charge', async (t) => {
  const s = setup(t, {}, [0]);
  s.councilTax
    .get('/api/x')
    .reply(503, '', { 'retry-after': 'in a while' })
    .get('/api/x')
    .reply(200);
  const pending = s.client.call({
    service: 'council-tax',
    route: 'x',
    method: 'GET',
    path: '/x',
    idempotencyKey: s.key(),
  });
  const e = await s.event(0);
  t.equal(e.retryAfterMs, undefined);
  t.equal(e.delayMs, 200);
  s.clock.advance(200);
  t.equal((await pending).status, 200);
});
