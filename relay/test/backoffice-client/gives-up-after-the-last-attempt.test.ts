// A transient failure on the last attempt ends the call with RELAY_E_BACKOFFICE_TRANSIENT
// (service, attempts, lastStatus or errno) so the caller abandons the message for a later
// redelivery; a streamed body gives one attempt only; the caller's signal ends a back-off wait.
// In: scripted failures, a manual clock. Out: the typed errors and the number of requests.
import { Readable } from 'node:stream';
import t from 'tap';
import { isBackOfficeError, settlementOf } from '../../src/work/backoffice';
import { rejection, setup } from './helpers/setup';

const GET = { service: 'council-tax', route: 'accounts', method: 'GET', path: '/accounts/1' };

void t.test(
  'three 503s with attempts 3 give a transient error naming the last status',
  async (t) => {
    const s = setup(t, { attempts: 3 }, [0, 0]);
    s.councilTax.get('/api/accounts/1').times(3).reply(503, 'down');
    const pending = s.client.call({ ...GET, idempotencyKey: s.key() });
    s.clock.advance((await s.event(0)).delayMs ?? 0);
    s.clock.advance((await s.event(1)).delayMs ?? 0);
    const e = await rejection(pending);
    t.ok(isBackOfficeError(e, 'RELAY_E_BACKOFFICE_TRANSIENT'));
    t.same(isBackOfficeError(e) ? e.details : {}, {
      service: 'council-tax',
      route: 'accounts',
      attempts: 3,
      reason: 'attempts-exhausted',
      lastStatus: 503,
    });
    t.equal(isBackOfficeError(e) ? e.http : 0, 503);
    t.same(settlementOf(e), { action: 'abandon', code: 'RELAY_E_BACKOFFICE_TRANSIENT' });
    t.equal(s.events.length, 3, 'three attempts, no fourth');
    t.equal(s.events[2]?.delayMs, undefined);
    t.same(s.clock.pending(), []);
    t.ok(s.councilTax.isDone());
    t.same(s.client.load('accounts'), { active: 0, queued: 0 }, 'the slot is back');
  },
);

void t.test('network failures to the end give a transient error naming the errno', async (t) => {
  const s = setup(t, { attempts: 2 }, [0]);
  s.councilTax.get('/api/accounts/1').times(2).replyWithError({ code: 'ECONNREFUSED' });
  const pending = s.client.call({ ...GET, idempotencyKey: s.key() });
  s.clock.advance((await s.event(0)).delayMs ?? 0);
  const e = await rejection(pending);
  t.match(isBackOfficeError(e, 'RELAY_E_BACKOFFICE_TRANSIENT') ? e.details : {}, {
    attempts: 2,
    errno: 'ECONNREFUSED',
  });
  t.equal(isBackOfficeError(e) ? e.details.lastStatus : 'x', undefined);
});

void t.test('a streamed body is sent once: a transient answer ends the call', async (t) => {
  const s = setup(t);
  let seen = '';
  s.councilTax.put('/api/documents/1').reply((_uri, body) => {
    seen = typeof body === 'string' ? body : JSON.stringify(body);
    return [503, ''];
  });
  const e = await rejection(
    s.client.call({
      service: 'council-tax',
      route: 'documents',
      method: 'PUT',
      path: '/documents/1',
      body: Readable.from([Buffer.from('%PDF-'), Buffer.from('1.7')]),
      idempotencyKey: s.key(),
    }),
  );
  t.equal(seen, '%PDF-1.7', 'the stream was sent whole');
  t.match(isBackOfficeError(e, 'RELAY_E_BACKOFFICE_TRANSIENT') ? e.details : {}, {
    attempts: 1,
    lastStatus: 503,
    reason: 'body-not-replayable',
  });
  t.equal(s.events.length, 1);
});

void t.test('a streamed body that succeeds is sent whole', async (t) => {
  const s = setup(t);
  let seen = '';
  s.councilTax.put('/api/documents/2').reply((_uri, body) => {
    seen = typeof body === 'string' ? body : JSON.stringify(body);
    return [201, ''];
  });
  const res = await s.client.call({
    service: 'council-tax',
    route: 'documents',
    method: 'PUT',
    path: '/documents/2',
    body: Readable.from(['part one, ', Buffer.from('part two')]),
    idempotencyKey: s.key(),
  });
  t.equal(res.status, 201);
  t.equal(seen, 'part one, part two');
});

void t.test(
  'a request stream that fails ends the call as aborted, not as a back-office fault',
  async (t) => {
    const s = setup(t);
    s.councilTax.put('/api/documents/3').reply(201);
    let n = 0;
    const body = new Readable({
      read() {
        if (n++ === 0) this.push('start');
        else this.destroy(new Error('the tenant went away'));
      },
    });
    const e = await rejection(
      s.client.call({
        service: 'council-tax',
        route: 'documents',
        method: 'PUT',
        path: '/documents/3',
        body,
        idempotencyKey: s.key(),
      }),
    );
    t.match(isBackOfficeError(e, 'RELAY_E_BACKOFFICE_ABORTED') ? e.details : {}, {
      reason: 'request-body-failed',
    });
    t.equal(s.client.breakerState('council-tax'), 'closed');
    t.same(
      s.events.map((x) => x.outcome),
      ['aborted'],
    );
  },
);

void t.test('the caller aborting during a back-off wait ends the call at once', async (t) => {
  const s = setup(t, {}, [0]);
  s.councilTax.get('/api/accounts/1').reply(503);
  const controller = new AbortController();
  const pending = s.client.call({ ...GET, idempotencyKey: s.key(), signal: controller.signal });
  await s.event(0);
  t.same(s.clock.pending(), [200]);
  controller.abort();
  const e = await rejection(pending);
  t.match(isBackOfficeError(e, 'RELAY_E_BACKOFFICE_ABORTED') ? e.details : {}, {
    reason: 'signal',
  });
  t.same(s.clock.pending(), [], 'the wait was cancelled');
  t.ok(s.councilTax.isDone(), 'no second request');
});

void t.test('the caller aborting a request in flight ends the call without a retry', async (t) => {
  const s = setup(t);
  let reached!: () => void;
  const atBackOffice = new Promise<void>((resolve) => (reached = resolve));
  s.councilTax.get('/api/accounts/1').reply((_uri, _body, _cb) => {
    reached();
  });
  const controller = new AbortController();
  const pending = s.client.call({ ...GET, idempotencyKey: s.key(), signal: controller.signal });
  await atBackOffice;
  controller.abort();
  const e = await rejection(pending);
  t.ok(isBackOfficeError(e, 'RELAY_E_BACKOFFICE_ABORTED'));
  t.same(
    s.events.map((x) => x.outcome),
    ['aborted'],
  );
  t.same(s.clock.pending(), []);
});

void t.test('the caller aborting while the answer streams destroys the body', async (t) => {
  const s = setup(t);
  let n = 0;
  s.councilTax.get('/api/accounts/1').reply(
    200,
    () =>
      new Readable({
        read() {
          if (n++ === 0) this.push('first');
        },
      }),
  );
  const controller = new AbortController();
  const res = await s.client.call({ ...GET, idempotencyKey: s.key(), signal: controller.signal });
  const failed = new Promise<unknown>((resolve) => res.body.once('error', resolve));
  const closed = new Promise((resolve) => res.body.once('close', resolve));
  controller.abort();
  const e = await failed;
  t.ok(isBackOfficeError(e, 'RELAY_E_BACKOFFICE_ABORTED'));
  await closed;
  t.same(s.client.load('accounts'), { active: 0, queued: 0 });
});
