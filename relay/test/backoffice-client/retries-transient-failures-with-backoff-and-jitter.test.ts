// Transient answers are retried after exponential back-off stretched by jitter from the injected
// random source, with the same Idempotency-Key and the same body on every attempt. In: scripted
// 503/502/500 answers and a manual clock. Out: the delays the client waits (and no attempt
// before its delay is over), the attempts made, and the attempt events on the diagnostics channel.
import diagnostics from 'node:diagnostics_channel';
import t from 'tap';
import { BACKOFFICE_CHANNELS, type AttemptEvent } from '../../src/work/backoffice';
import { drain, setup } from './helpers/setup';

interface Seen {
  key: string | undefined;
  body: string;
  contentType: string | undefined;
}

void t.test(
  '503, 503, 200 takes three attempts with delays base*factor^n*(1+jitter*u) and one key',
  async (t) => {
    const s = setup(t, {}, [0.5, 0.25]);
    const seen: Seen[] = [];
    const record = function (
      this: { req: { headers: Record<string, string | undefined> } },
      _uri: string,
      body: unknown,
    ): void {
      seen.push({
        key: this.req.headers['idempotency-key'],
        body: typeof body === 'string' ? body : JSON.stringify(body),
        contentType: this.req.headers['content-type'],
      });
    };
    s.councilTax
      .post('/api/accounts/42/changes')
      .times(2)
      .reply(function (uri, body) {
        record.call(this, uri, body);
        return [503, 'busy'];
      })
      .post('/api/accounts/42/changes')
      .reply(function (uri, body) {
        record.call(this, uri, body);
        return [201, '<accepted/>', { 'content-type': 'application/xml' }];
      });
    const key = s.key();
    const pending = s.client.call({
      service: 'council-tax',
      route: 'council-tax/changes',
      method: 'POST',
      path: '/accounts/42/changes',
      headers: { 'content-type': 'application/xml' },
      body: Buffer.from('<change id="1"/>'),
      idempotencyKey: key,
    });

    const first = await s.event(0);
    t.match(first, { attempt: 1, outcome: 'transient', status: 503, delayMs: 220 });
    t.same(s.clock.pending(), [220], 'the only timer is the back-off wait: 200 * (1 + 0.2 * 0.5)');
    s.clock.advance(219);
    t.equal(seen.length, 1, 'no second attempt before the delay is over');
    s.clock.advance(1);

    const second = await s.event(1);
    t.match(second, { attempt: 2, outcome: 'transient', status: 503, delayMs: 420 });
    t.same(s.clock.pending(), [420], '200 * 2 * (1 + 0.2 * 0.25)');
    s.clock.advance(420);

    const res = await pending;
    t.equal(res.status, 201);
    t.equal(res.outcome, 'success');
    t.equal(res.attempts, 3);
    t.equal(await drain(res.body), '<accepted/>');
    t.same(res.headers, { 'content-type': 'application/xml' });
    t.equal(seen.length, 3);
    t.same(
      seen.map((x) => x.key),
      [key, key, key],
      'the same Idempotency-Key on every attempt',
    );
    t.same(
      seen.map((x) => x.body),
      ['<change id="1"/>', '<change id="1"/>', '<change id="1"/>'],
      'the buffered body is sent again whole',
    );
    t.same(
      s.events.map((e) => e.outcome),
      ['transient', 'transient', 'success'],
    );
    t.equal(s.events[2]?.delayMs, undefined, 'no delay after the last attempt');
    t.ok(s.councilTax.isDone());
  },
);

void t.test('back-off doubles up to maxMs and stays there', async (t) => {
  const s = setup(t, {
    attempts: 7,
    backoff: { baseMs: 100, maxMs: 1_000, jitter: 0 },
    breaker: { failureThreshold: 10 },
  });
  s.councilTax.get('/api/ping').times(6).reply(502).get('/api/ping').reply(200, 'pong');
  const pending = s.client.call({
    service: 'council-tax',
    route: 'ping',
    method: 'GET',
    path: '/ping',
    idempotencyKey: s.key(),
  });
  const delays: number[] = [];
  for (let i = 0; i < 6; i++) {
    const e = await s.event(i);
    delays.push(e.delayMs ?? -1);
    s.clock.advance(e.delayMs ?? 0);
  }
  t.same(delays, [100, 200, 400, 800, 1_000, 1_000]);
  const res = await pending;
  t.equal(res.attempts, 7);
  t.equal(await drain(res.body), 'pong');
});

void t.test('every transient status is retried: 408, 425, 429, 500, 502, 503, 504', async (t) => {
  const s = setup(t, {
    attempts: 8,
    backoff: { baseMs: 10, maxMs: 10, jitter: 0 },
    breaker: { failureThreshold: 10 },
  });
  for (const status of [408, 425, 429, 500, 502, 503, 504]) {
    s.councilTax.get('/api/bills/7').reply(status, 'not now');
  }
  s.councilTax.get('/api/bills/7').reply(200, '%PDF-1.7', { 'content-type': 'application/pdf' });
  const pending = s.client.call({
    service: 'council-tax',
    route: 'bills',
    method: 'GET',
    path: '/bills/7',
    idempotencyKey: s.key(),
  });
  for (let i = 0; i < 7; i++) {
    await s.event(i);
    s.clock.advance(10);
  }
  const res = await pending;
  t.equal(res.attempts, 8);
  t.same(
    s.events.slice(0, 7).map((e) => e.status),
    [408, 425, 429, 500, 502, 503, 504],
  );
  t.equal(await drain(res.body), '%PDF-1.7');
});

void t.test(
  'attempts are published on relay:backoffice:attempt without URLs, keys or bodies',
  async (t) => {
    const published: AttemptEvent[] = [];
    const listener = (m: unknown): void => {
      published.push(m as AttemptEvent);
    };
    diagnostics.subscribe(BACKOFFICE_CHANNELS.attempt, listener);
    t.teardown(() => {
      diagnostics.unsubscribe(BACKOFFICE_CHANNELS.attempt, listener);
    });
    const s = setup(t, {}, [0]);
    s.councilTax.put('/api/accounts/9').reply(500).put('/api/accounts/9').reply(204);
    const key = s.key();
    const pending = s.client.call({
      service: 'council-tax',
      route: 'accounts',
      method: 'PUT',
      path: '/accounts/9',
      body: Buffer.from('secret-ish payload'),
      idempotencyKey: key,
    });
    await s.event(0);
    s.clock.advance(200);
    const res = await pending;
    t.equal(res.status, 204);
    t.same(published, s.events, 'the channel carries what onAttempt saw');
    t.same(published, [
      {
        service: 'council-tax',
        route: 'accounts',
        attempt: 1,
        outcome: 'transient',
        status: 500,
        delayMs: 200,
      },
      { service: 'council-tax', route: 'accounts', attempt: 2, outcome: 'success', status: 204 },
    ]);
    const text = JSON.stringify(published);
    t.notOk(text.includes(key), 'no idempotency key');
    t.notOk(text.includes('backoffice.test'), 'no URL');
    t.notOk(text.includes('payload'), 'no body');
  },
);
