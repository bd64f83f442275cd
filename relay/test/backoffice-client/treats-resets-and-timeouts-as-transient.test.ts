// Failures without a usable answer are transient and retried: a reset, a refused connection,
// "socket hang up", no response headers within headersTimeoutMs, an error body that fails while
// it is read; an answer whose body stops for bodyTimeoutMs or fails after it was returned
// destroys the stream with a typed transient error. In: nock errors, replies that never come or
// stall mid-body, a manual clock. Out: attempts, errnos and typed errors; no real waiting.
import { Readable } from 'node:stream';
import t from 'tap';
import { isBackOfficeError } from '../../src/work/backoffice';
import { BODY_TIMEOUT_MS, drain, HEADERS_TIMEOUT_MS, rejection, setup } from './helpers/setup';

/** A body that gives `first`, then fails with `code` when more is asked for. */
function failingBody(first: string, code: string): Readable {
  let n = 0;
  return new Readable({
    read() {
      if (n++ === 0) this.push(first);
      else this.destroy(Object.assign(new Error('connection lost'), { code }));
    },
  });
}

/** A body that gives `first` and then nothing, ever. */
function stallingBody(first: string): Readable {
  let n = 0;
  return new Readable({
    read() {
      if (n++ === 0) this.push(first);
    },
  });
}

const GET = { service: 'council-tax', route: 'accounts', method: 'GET', path: '/accounts/1' };

void t.test('ECONNRESET, ECONNREFUSED and "socket hang up" are retried', async (t) => {
  const s = setup(t, {}, [0, 0, 0]);
  s.councilTax
    .get('/api/accounts/1')
    .replyWithError({ code: 'ECONNRESET', message: 'read ECONNRESET' })
    .get('/api/accounts/1')
    .replyWithError({ code: 'ECONNREFUSED', message: 'connect ECONNREFUSED 10.0.0.1:443' })
    .get('/api/accounts/1')
    .replyWithError('socket hang up')
    .get('/api/accounts/1')
    .reply(200, 'found');
  const pending = s.client.call({ ...GET, idempotencyKey: s.key() });
  for (let i = 0; i < 3; i++) s.clock.advance((await s.event(i)).delayMs ?? 0);
  const res = await pending;
  t.equal(res.attempts, 4);
  t.equal(await drain(res.body), 'found');
  t.same(
    s.events.map((e) => [e.outcome, e.errno]),
    [
      ['transient', 'ECONNRESET'],
      ['transient', 'ECONNREFUSED'],
      ['transient', 'ECONNRESET'],
      ['success', undefined],
    ],
  );
  t.notOk(JSON.stringify(s.events).includes('10.0.0.1'), 'error messages are not published');
});

void t.test('no response headers within headersTimeoutMs is a transient timeout', async (t) => {
  const s = setup(t, {}, [0]);
  let reached!: () => void;
  const atBackOffice = new Promise<void>((resolve) => (reached = resolve));
  s.councilTax
    .get('/api/accounts/1')
    .reply((_uri, _body, _cb) => {
      reached(); // ...and never answers
    })
    .get('/api/accounts/1')
    .reply(200, 'late but fine');
  const pending = s.client.call({ ...GET, idempotencyKey: s.key() });
  await atBackOffice;
  await s.clock.timerSet(HEADERS_TIMEOUT_MS);
  s.clock.advance(HEADERS_TIMEOUT_MS - 1);
  t.equal(s.events.length, 0, 'not yet timed out a millisecond before');
  s.clock.advance(1);
  const e = await s.event(0);
  t.match(e, { attempt: 1, outcome: 'transient', errno: 'ETIMEDOUT', delayMs: 200 });
  s.clock.advance(200);
  const res = await pending;
  t.equal(res.attempts, 2);
  t.equal(await drain(res.body), 'late but fine');
});

void t.test('an error body that fails while it is read is transient and retried', async (t) => {
  const s = setup(t, {}, [0]);
  s.councilTax
    .post('/api/licences')
    .reply(400, () => failingBody('<error><message>Bad', 'ECONNRESET'))
    .post('/api/licences')
    .reply(400, '<error><message>Premises licence number missing</message></error>', {
      'content-type': 'application/xml',
    });
  const pending = s.client.call({
    service: 'council-tax',
    route: 'licensing',
    method: 'POST',
    path: '/licences',
    body: Buffer.from('<licence/>'),
    idempotencyKey: s.key(),
  });
  t.match(await s.event(0), { outcome: 'transient', status: 400, errno: 'ECONNRESET' });
  s.clock.advance(200);
  const res = await pending;
  t.equal(res.outcome, 'permanent');
  t.equal(res.attempts, 2);
});

void t.test('an error body that stalls for bodyTimeoutMs is transient and retried', async (t) => {
  const s = setup(t, {}, [0]);
  s.councilTax
    .get('/api/accounts/1')
    .reply(404, () => stallingBody('<error>'))
    .get('/api/accounts/1')
    .reply(404, 'gone');
  const pending = s.client.call({ ...GET, idempotencyKey: s.key() });
  await s.clock.timerSet(BODY_TIMEOUT_MS);
  s.clock.advance(BODY_TIMEOUT_MS);
  t.match(await s.event(0), { outcome: 'transient', status: 404, errno: 'ETIMEDOUT' });
  s.clock.advance(200);
  const res = await pending;
  t.equal(res.status, 404);
  t.equal(res.attempts, 2);
});

void t.test(
  'a returned body that fails mid-stream errors with a typed transient error',
  async (t) => {
    const s = setup(t);
    s.councilTax.get('/api/accounts/1').reply(200, () => failingBody('<account>', 'ECONNRESET'));
    const res = await s.client.call({ ...GET, idempotencyKey: s.key() });
    t.equal(res.status, 200);
    const parts: string[] = [];
    res.body.on('data', (c: Buffer) => parts.push(c.toString()));
    const e = await new Promise<unknown>((resolve) => res.body.once('error', resolve));
    t.same(parts, ['<account>'], 'what came before the failure was passed on');
    t.ok(isBackOfficeError(e, 'RELAY_E_BACKOFFICE_TRANSIENT'));
    t.match(isBackOfficeError(e) ? e.details : {}, {
      service: 'council-tax',
      route: 'accounts',
      errno: 'ECONNRESET',
      phase: 'body',
    });
    t.same(s.client.load('accounts'), { active: 0, queued: 0 }, 'the slot came back');
  },
);

void t.test('a returned body idle for bodyTimeoutMs is destroyed as a timeout', async (t) => {
  const s = setup(t);
  s.councilTax.get('/api/accounts/1').reply(200, () => stallingBody('<acc'));
  const res = await s.client.call({ ...GET, idempotencyKey: s.key() });
  const parts: string[] = [];
  const first = new Promise<void>((resolve) => {
    res.body.once('data', () => {
      resolve();
    });
  });
  res.body.on('data', (c: Buffer) => parts.push(c.toString()));
  const failed = new Promise<unknown>((resolve) => res.body.once('error', resolve));
  await first;
  await s.clock.timerSet(BODY_TIMEOUT_MS);
  s.clock.advance(BODY_TIMEOUT_MS - 1);
  t.equal(res.body.destroyed, false, 'not a millisecond early');
  s.clock.advance(1);
  const e = await failed;
  t.same(parts, ['<acc']);
  t.ok(isBackOfficeError(e, 'RELAY_E_BACKOFFICE_TRANSIENT'));
  t.match(isBackOfficeError(e) ? e.details : {}, { errno: 'ETIMEDOUT', phase: 'body' });
  t.same(s.client.load('accounts'), { active: 0, queued: 0 });
});

void t.test(
  'a body read slowly downstream is not idle: the timer runs only while waiting',
  async (t) => {
    const s = setup(t);
    const big = 'x'.repeat(256 * 1024);
    s.councilTax.get('/api/accounts/1').reply(200, big);
    const res = await s.client.call({ ...GET, idempotencyKey: s.key() });
    // Nobody reads for a long while: the back office is not to blame.
    s.clock.advance(BODY_TIMEOUT_MS * 10);
    t.equal(await drain(res.body), big);
  },
);

void t.test(
  'a streamed request body that stalls is given up after bodyTimeoutMs, once',
  async (t) => {
    const s = setup(t);
    let sent = 0;
    const upload = new Readable({
      read() {
        if (sent++ === 0) this.push(Buffer.from('%PDF-1.7 first part'));
      },
    });
    s.councilTax.put('/api/documents/evidence/1').reply(201);
    const pending = s.client.call({
      service: 'council-tax',
      route: 'documents',
      method: 'PUT',
      path: '/documents/evidence/1',
      headers: { 'content-type': 'application/pdf' },
      body: upload,
      idempotencyKey: s.key(),
    });
    await s.clock.timerSet(BODY_TIMEOUT_MS);
    s.clock.advance(BODY_TIMEOUT_MS);
    const e = await rejection(pending);
    t.ok(isBackOfficeError(e, 'RELAY_E_BACKOFFICE_TRANSIENT'));
    t.match(isBackOfficeError(e) ? e.details : {}, {
      attempts: 1,
      errno: 'ETIMEDOUT',
      reason: 'body-not-replayable',
    });
    t.ok(upload.destroyed, 'the stalled request stream is destroyed');
    t.equal(s.events.length, 1);
  },
);
