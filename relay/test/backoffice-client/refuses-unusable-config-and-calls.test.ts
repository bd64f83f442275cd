// The client's configuration and calls are checked before anything is sent. In: bad options
// (schemes, credentials in URLs, limits out of range) and bad calls (keys, headers, bodies,
// methods, paths, services). Out: RELAY_E_BACKOFFICE_CONFIG naming the field, frozen defaults,
// RELAY_E_BACKOFFICE_REQUEST / RELAY_E_ROUTE_* refusals with no request made (net connect is off
// and no reply is scripted: a request would fail differently), and what a good call sends.
import { Readable } from 'node:stream';
import t from 'tap';
import {
  createBackOfficeClient,
  isBackOfficeError,
  parseBackOfficeConfig,
  settlementOf,
  type BackOfficeCall,
} from '../../src/work/backoffice';
import { RelayRouteError } from '../../src/work/route-path';
import { rejection, setup } from './helpers/setup';

void t.test('defaults are filled in and the config is frozen', (t) => {
  const c = parseBackOfficeConfig({ services: { ct: 'https://ct.council.test/api' } });
  t.same(c, {
    services: { ct: 'https://ct.council.test/api' },
    attempts: 5,
    backoff: { baseMs: 200, maxMs: 30_000, factor: 2, jitter: 0.2 },
    retryAfterCapMs: 60_000,
    headersTimeoutMs: 30_000,
    bodyTimeoutMs: 30_000,
    breaker: { failureThreshold: 5, openMs: 30_000, halfOpenProbes: 1 },
    maxConcurrentPerRoute: 8,
    maxQueuedPerRoute: 32,
  });
  t.ok(Object.isFrozen(c) && Object.isFrozen(c.backoff) && Object.isFrozen(c.breaker));
  t.ok(Object.isFrozen(c.services));
  t.end();
});

void t.test('bad options are refused with the field named', (t) => {
  const cases: [unknown, string][] = [
    [{ services: { ct: 'ftp://ct.council.test/' } }, 'services.ct'],
    [{ services: { ct: 'https://user:pw@ct.council.test/' } }, 'services.ct'],
    [{ services: { ct: 'https://ct.council.test/?token=x' } }, 'services.ct'],
    [{ services: { ct: 'not a url' } }, 'services.ct'],
    [{ services: { 'bad name': 'https://ct.council.test/' } }, 'services.bad name'],
    [{ services: {}, attempts: 0 }, 'attempts'],
    [{ services: {}, backoff: { baseMs: 500, maxMs: 100 } }, 'backoff.maxMs'],
    [{ services: {}, backoff: { jitter: 2 } }, 'backoff.jitter'],
    [{ services: {}, breaker: { failureThreshold: 0 } }, 'breaker.failureThreshold'],
    [{ services: {}, maxConcurrentPerRoute: 0 }, 'maxConcurrentPerRoute'],
    [{ services: {}, headersTimeoutMs: 1.5 }, 'headersTimeoutMs'],
    [{ services: {}, surprise: true }, '(top level)'],
    [undefined, '(top level)'],
  ];
  for (const [input, path] of cases) {
    let e: unknown;
    try {
      parseBackOfficeConfig(input);
    } catch (x) {
      e = x;
    }
    t.ok(isBackOfficeError(e, 'RELAY_E_BACKOFFICE_CONFIG'), `${JSON.stringify(input)} refused`);
    t.equal(isBackOfficeError(e) ? e.details.path : undefined, path);
    t.notOk(isBackOfficeError(e) && e.message.includes('pw@'), 'no credentials quoted');
  }
  t.end();
});

void t.test('unusable calls are refused before any request', async (t) => {
  const s = setup(t);
  const good: BackOfficeCall = {
    service: 'council-tax',
    route: 'accounts',
    method: 'POST',
    path: '/accounts/1',
    body: Buffer.from('x'),
    idempotencyKey: s.key(),
  };
  const cases: [Partial<BackOfficeCall>, string][] = [
    [{ idempotencyKey: '' }, 'RELAY_E_BACKOFFICE_REQUEST'],
    [{ idempotencyKey: 'has space' }, 'RELAY_E_BACKOFFICE_REQUEST'],
    [{ idempotencyKey: 'k'.repeat(201) }, 'RELAY_E_BACKOFFICE_REQUEST'],
    [{ headers: { 'x-a': 'line\r\nInjected: 1' } }, 'RELAY_E_BACKOFFICE_REQUEST'],
    [{ headers: { 'bad name': 'v' } }, 'RELAY_E_BACKOFFICE_REQUEST'],
    [{ method: 'GET', body: Buffer.from('x') }, 'RELAY_E_BACKOFFICE_REQUEST'],
    [{ route: '' }, 'RELAY_E_BACKOFFICE_REQUEST'],
    [{ route: 5 as unknown as string }, 'RELAY_E_BACKOFFICE_REQUEST'],
    [{ method: 'DELETE' }, 'RELAY_E_ROUTE_PATH'],
    [{ path: '/../admin' }, 'RELAY_E_ROUTE_PATH'],
    [{ path: '//evil.example/x' }, 'RELAY_E_ROUTE_PATH'],
    [{ path: 'http://evil.example/x' }, 'RELAY_E_ROUTE_PATH'],
    [{ service: 'payroll' }, 'RELAY_E_ROUTE_UNKNOWN'],
  ];
  for (const [change, code] of cases) {
    const e = await rejection(s.client.call({ ...good, ...change }));
    t.equal((e as { code?: string }).code, code, `${JSON.stringify(change)} → ${code}`);
    t.equal(settlementOf(e).action, 'dead-letter', 'dead-lettered: retrying cannot help');
  }
  t.equal(s.events.length, 0, 'no attempt was made');
  t.same(s.client.load('accounts'), { active: 0, queued: 0 });
});

void t.test('a refused call destroys a stream body it was given', async (t) => {
  const s = setup(t);
  const body = Readable.from(['x']);
  const e = await rejection(
    s.client.call({
      service: 'council-tax',
      route: 'accounts',
      method: 'GET',
      path: '/accounts/1',
      body,
      idempotencyKey: s.key(),
    }),
  );
  t.ok(isBackOfficeError(e, 'RELAY_E_BACKOFFICE_REQUEST'));
  t.ok(body.destroyed);
  const e2 = await rejection(
    s.client.call({
      service: 'payroll',
      route: 'accounts',
      method: 'PUT',
      path: '/accounts/1',
      body: Readable.from(['y']),
      idempotencyKey: s.key(),
    }),
  );
  t.ok(e2 instanceof RelayRouteError);
});

void t.test('a good call sends its own headers, the key and identity encoding only', async (t) => {
  const s = setup(t);
  let headers: Record<string, unknown> = {};
  let url = '';
  s.councilTax.post('/api/accounts/1?full=1').reply(function () {
    headers = { ...this.req.headers };
    url = this.req.path;
    return [200, 'ok'];
  });
  const key = s.key();
  const res = await s.client.call({
    service: 'council-tax',
    route: 'accounts',
    method: 'post',
    path: '/accounts/1?full=1',
    headers: {
      'Content-Type': 'application/xml',
      'X-Form-Type': 'FT-101',
      Connection: 'close',
      'Idempotency-Key': 'forged',
      Host: 'evil.example',
    },
    body: Buffer.from('<a/>'),
    idempotencyKey: key,
  });
  t.equal(res.status, 200);
  t.equal(url, '/api/accounts/1?full=1', 'the path sits under the base path');
  t.equal(headers['idempotency-key'], key, 'the call key, not a header given');
  t.equal(headers['content-type'], 'application/xml');
  t.equal(headers['x-form-type'], 'FT-101');
  t.equal(headers['accept-encoding'], 'identity');
  t.equal(headers.host, 'council-tax.backoffice.test', 'host comes from the base URL');
  t.not(headers.connection, 'close');
});

void t.test('a fetch that refuses its arguments is a request error, never retried', async (t) => {
  let calls = 0;
  const s = setup(t);
  const client = createBackOfficeClient(s.client.config, {
    scheduler: s.clock,
    fetch: () => {
      calls++;
      return Promise.reject(new TypeError('Request constructor: invalid method'));
    },
  });
  const e = await rejection(
    client.call({
      service: 'council-tax',
      route: 'accounts',
      method: 'GET',
      path: '/accounts/1',
      idempotencyKey: s.key(),
    }),
  );
  t.ok(isBackOfficeError(e, 'RELAY_E_BACKOFFICE_REQUEST'));
  t.match(isBackOfficeError(e) ? e.details : {}, { errno: 'EINVAL' });
  t.equal(calls, 1);
  t.equal(client.breakerState('council-tax'), 'closed', 'not counted against the service');
});

void t.test('a request stream that gives objects instead of bytes ends the call', async (t) => {
  const s = setup(t);
  s.councilTax.put('/api/documents/1').reply(201);
  const body = Readable.from([{ not: 'bytes' }]);
  const e = await rejection(
    s.client.call({
      service: 'council-tax',
      route: 'documents',
      method: 'PUT',
      path: '/documents/1',
      body,
      idempotencyKey: s.key(),
    }),
  );
  t.match(isBackOfficeError(e, 'RELAY_E_BACKOFFICE_ABORTED') ? e.details : {}, {
    reason: 'request-body-failed',
  });
  t.ok(body.destroyed);
});
