// The tenant control API (what `relaycheck tenant` talks to), over real HTTP on loopback,
// against a fake driver. In: POST /work, POST /call (with and without saveTo), GET /sessions,
// and bad requests: not JSON, missing or unknown fields, both bodies, a reserved property,
// over the body bound, an unknown route, a non-loopback bind. Out: the driver called with
// exactly what was asked; its answers as JSON (base64 and, for text, text); its typed
// refusals with their status and details (422 dead-lettered, 504 timeout, 503 no session);
// SIM_E_CTL_* for the caller's mistakes; saveTo writes a new file only.
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import type {
  CallOptions,
  CallReply,
  SendWorkOptions,
  TenantSessionView,
  WorkReply,
} from '../src/cloud/tenant';
import { SimTenantError } from '../src/cloud/tenant';
import {
  startTenantControl,
  textOf,
  type TenantControlDriver,
  type TenantControlOptions,
} from '../src/world/tenant-control';

interface WorkCall {
  readonly route: string;
  readonly body: Buffer;
  readonly options: SendWorkOptions | undefined;
}

interface CallCall {
  readonly path: string;
  readonly options: CallOptions | undefined;
}

/** A driver that records what it is asked and answers what the test scripts. */
class FakeDriver implements TenantControlDriver {
  readonly tenant = 'council-42';
  readonly works: WorkCall[] = [];
  readonly calls: CallCall[] = [];
  live: TenantSessionView[] = [];
  work: (c: WorkCall) => Promise<WorkReply> = (c) =>
    Promise.resolve({
      messageId: c.options?.messageId ?? 'generated-id',
      route: c.route,
      status: 200,
      body: Buffer.from('<Ok/>'),
      contentType: 'application/xml; charset=utf-8',
      kid: 'k1',
    });
  answer: (c: CallCall) => Promise<CallReply> = (c) =>
    Promise.resolve({
      status: 200,
      headers: { 'content-type': 'application/pdf', 'content-length': '4' },
      body: Buffer.from('%PDF'),
      sealed: true,
      messageId: 'm-call',
      route: c.options?.route ?? 'documents',
    });

  sessions(): readonly TenantSessionView[] {
    return this.live;
  }

  sendWork(route: string, body: Buffer, options?: SendWorkOptions): Promise<WorkReply> {
    const c = { route, body, options };
    this.works.push(c);
    return this.work(c);
  }

  call(path: string, options?: CallOptions): Promise<CallReply> {
    const c = { path, options };
    this.calls.push(c);
    return this.answer(c);
  }
}

async function start(t: tap.Test, options: TenantControlOptions = {}) {
  const driver = new FakeDriver();
  const api = await startTenantControl(driver, options);
  t.teardown(() => api.close());
  const send = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${api.url}${path}`, {
      method,
      ...(body === undefined
        ? {}
        : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
    return { status: res.status, json: (await res.json()) as Record<string, unknown> };
  };
  return { driver, api, send };
}

void t.test('listens on loopback only', async (t) => {
  const { api } = await start(t);
  t.match(api.url, /^http:\/\/127\.0\.0\.1:\d+$/);
  await t.rejects(startTenantControl(new FakeDriver(), { host: '0.0.0.0' }), {
    code: 'SIM_E_CTL_BIND',
  });
});

void t.test(
  'POST /work sends the work with every option and answers the reply with its text',
  async (t) => {
    const { driver, send } = await start(t);
    const r = await send('POST', '/work', {
      route: 'council-tax',
      body: '',
      messageId: 'm-1',
      contentType: 'application/xml',
      properties: { path: '/accounts/6049739331', attempt: 2, urgent: true },
      timeoutMs: 5000,
      instanceId: 'relay-a',
    });
    t.equal(r.status, 200);
    t.same(r.json, {
      messageId: 'm-1',
      route: 'council-tax',
      status: 200,
      contentType: 'application/xml; charset=utf-8',
      kid: 'k1',
      size: 5,
      bodyBase64: Buffer.from('<Ok/>').toString('base64'),
      bodyText: '<Ok/>',
    });
    const [w] = driver.works;
    t.equal(w?.route, 'council-tax');
    t.equal(w?.body.length, 0, 'an empty body (the relay GETs)');
    t.same(w?.options, {
      messageId: 'm-1',
      contentType: 'application/xml',
      properties: { path: '/accounts/6049739331', attempt: 2, urgent: true },
      timeoutMs: 5000,
      instanceId: 'relay-a',
    });
  },
);

void t.test(
  'POST /work takes a binary body as base64 and answers binary as base64 only',
  async (t) => {
    const { driver, send } = await start(t);
    const bytes = randomBytes(300);
    driver.work = (c) =>
      Promise.resolve({
        messageId: 'm-2',
        route: c.route,
        status: 201,
        body: Buffer.from([0xff, 0xfe, 0x00]),
        contentType: 'text/plain',
        kid: 'k1',
      });
    const r = await send('POST', '/work', {
      route: 'form-evidence',
      bodyBase64: bytes.toString('base64'),
    });
    t.equal(r.status, 200);
    t.ok(driver.works[0]?.body.equals(bytes), 'the bytes reach the driver unchanged');
    t.same(driver.works[0]?.options, {}, 'no option the caller did not give');
    t.equal(r.json.bodyBase64, '//4A');
    t.notOk('bodyText' in r.json, 'bytes that are not UTF-8 are not shown as text');
  },
);

void t.test('a dead-lettered request is 422 with the reason and description', async (t) => {
  const { driver, send } = await start(t);
  driver.work = () =>
    Promise.reject(
      new SimTenantError(
        'SIM_E_TENANT_DEAD_LETTERED',
        'the relay dead-lettered m-3: RELAY_E_WORK_ROUTE: route nowhere is not served',
        {
          messageId: 'm-3',
          reason: 'RELAY_E_WORK_ROUTE',
          description: 'route nowhere is not served',
        },
      ),
    );
  const r = await send('POST', '/work', { route: 'nowhere', body: 'x', messageId: 'm-3' });
  t.equal(r.status, 422);
  t.same(r.json, {
    code: 'SIM_E_TENANT_DEAD_LETTERED',
    message: 'the relay dead-lettered m-3: RELAY_E_WORK_ROUTE: route nowhere is not served',
    details: {
      messageId: 'm-3',
      reason: 'RELAY_E_WORK_ROUTE',
      description: 'route nowhere is not served',
    },
  });
});

void t.test('a timeout is 504, no live session 503, each with its typed code', async (t) => {
  const { driver, send } = await start(t);
  driver.work = () =>
    Promise.reject(
      new SimTenantError('SIM_E_TENANT_TIMEOUT', 'no reply to m-4 within 50 ms', {
        messageId: 'm-4',
      }),
    );
  const late = await send('POST', '/work', { route: 'benefits', timeoutMs: 50 });
  t.equal(late.status, 504);
  t.equal(late.json.code, 'SIM_E_TENANT_TIMEOUT');
  driver.answer = () =>
    Promise.reject(new SimTenantError('SIM_E_TENANT_NO_SESSION', 'no relay session is live'));
  const none = await send('POST', '/call', { path: '/documents/x' });
  t.equal(none.status, 503);
  t.equal(none.json.code, 'SIM_E_TENANT_NO_SESSION');
  driver.work = () => Promise.reject(new Error('a bug'));
  const bug = await send('POST', '/work', { route: 'benefits' });
  t.same(bug, { status: 500, json: { code: 'internal', message: 'internal error' } });
});

void t.test(
  'bad requests are 400 SIM_E_CTL_REQUEST naming the field; the driver is not called',
  async (t) => {
    const { driver, send } = await start(t);
    const cases: [string, unknown, RegExp][] = [
      ['/work', 'not json', /not JSON/],
      ['/work', {}, /"route"/],
      ['/work', { route: 'a|b' }, /"route"/],
      ['/work', { route: 'r', body: 'x', bodyBase64: 'eA==' }, /not both/],
      ['/work', { route: 'r', bodyBase64: 'not base64!' }, /"bodyBase64"/],
      ['/work', { route: 'r', properties: { 'rc-route': 'x' } }, /reserved/],
      ['/work', { route: 'r', properties: { nested: { a: 1 } } }, /"properties.nested"/],
      ['/work', { route: 'r', timeoutMs: 1 }, /"timeoutMs"/],
      ['/work', { route: 'r', surprise: true }, /surprise/],
      ['/call', {}, /"path"/],
      ['/call', { path: 'no-slash' }, /"path"/],
      ['/call', { path: '/a b' }, /"path"/],
      ['/call', { path: '/x', method: 'GE T' }, /"method"/],
      ['/call', { path: '/x', headers: { 'x-a': 'line\nbreak' } }, /"headers.x-a"/],
      ['/call', { path: '/x', saveTo: 'relative/file.pdf' }, /absolute/],
    ];
    for (const [path, body, reason] of cases) {
      const r = await send('POST', path, body);
      t.equal(r.status, 400, `${path} ${JSON.stringify(body)} is 400`);
      t.equal(r.json.code, 'SIM_E_CTL_REQUEST');
      t.match(String(r.json.message), reason);
    }
    t.equal(driver.works.length + driver.calls.length, 0);
    const unknown = await send('GET', '/work');
    t.equal(unknown.status, 404);
    t.equal(unknown.json.code, 'SIM_E_CTL_ROUTE');
  },
);

void t.test(
  'a body over the bound is 413 SIM_E_CTL_TOO_LARGE and never reaches the driver',
  async (t) => {
    const { driver, send } = await start(t, { maxBodyBytes: 1024 });
    const big = await send('POST', '/work', { route: 'r', body: 'x'.repeat(2000) });
    t.equal(big.status, 413);
    t.equal(big.json.code, 'SIM_E_CTL_TOO_LARGE');
    const fits = await send('POST', '/work', { route: 'r', body: 'x'.repeat(900) });
    t.equal(fits.status, 200, 'a body under the bound still goes');
    t.equal(driver.works.length, 1);
  },
);

void t.test('POST /call sends the request and answers status, headers and body', async (t) => {
  const { driver, send } = await start(t);
  const r = await send('POST', '/call', {
    path: '/ctb-intake/changes',
    method: 'post',
    headers: { 'content-type': 'application/xml' },
    body: '<ChangeOfCircumstances/>',
    route: 'ctb-intake',
    messageId: 'm-5',
  });
  t.equal(r.status, 200);
  t.same(r.json, {
    status: 200,
    headers: { 'content-type': 'application/pdf', 'content-length': '4' },
    sealed: true,
    messageId: 'm-call',
    route: 'ctb-intake',
    size: 4,
    bodyBase64: Buffer.from('%PDF').toString('base64'),
  });
  const [c] = driver.calls;
  t.equal(c?.path, '/ctb-intake/changes');
  t.equal(c?.options?.method, 'POST', 'the method is upper-cased');
  t.same(c?.options?.headers, { 'content-type': 'application/xml' });
  t.equal(
    Buffer.isBuffer(c?.options?.body) && c.options.body.toString(),
    '<ChangeOfCircumstances/>',
  );
  t.equal(c?.options?.messageId, 'm-5');

  const get = await send('POST', '/call', { path: '/documents/documents/x.pdf', method: 'GET' });
  t.equal(get.status, 200);
  t.equal(driver.calls[1]?.options?.body, undefined, 'no body unless one was given');
});

void t.test('saveTo writes the answer to a new file and never replaces one', async (t) => {
  const { driver, send } = await start(t);
  const dir = t.testdir();
  const pdf = Buffer.concat([Buffer.from('%PDF-1.7\n'), randomBytes(100_000)]);
  driver.answer = () =>
    Promise.resolve({
      status: 200,
      headers: { 'content-type': 'application/pdf' },
      body: pdf,
      sealed: true,
      messageId: 'm-6',
      route: 'documents',
    });
  const target = join(dir, 'bill.pdf');
  const r = await send('POST', '/call', {
    path: '/documents/bill.pdf',
    method: 'GET',
    saveTo: target,
  });
  t.equal(r.status, 200);
  t.same(r.json, {
    status: 200,
    headers: { 'content-type': 'application/pdf' },
    sealed: true,
    messageId: 'm-6',
    route: 'documents',
    savedTo: target,
    size: pdf.length,
    sha256: createHash('sha256').update(pdf).digest('hex'),
  });
  t.ok(readFileSync(target).equals(pdf), 'the file holds the answer');

  const existing = join(dir, 'keep.txt');
  writeFileSync(existing, 'mine');
  const refused = await send('POST', '/call', { path: '/documents/bill.pdf', saveTo: existing });
  t.equal(refused.status, 400);
  t.match(String(refused.json.message), /already exists/);
  t.equal(readFileSync(existing, 'utf8'), 'mine', 'an existing file is left alone');

  const nowhere = join(dir, 'missing-folder', 'bill.pdf');
  const failed = await send('POST', '/call', { path: '/documents/bill.pdf', saveTo: nowhere });
  t.equal(failed.status, 400);
  t.match(String(failed.json.message), /ENOENT/);
  t.notOk(existsSync(nowhere));
});

void t.test(
  'GET /sessions lists the live sessions without keys and with short session ids',
  async (t) => {
    const { driver, send } = await start(t);
    t.same((await send('GET', '/sessions')).json, { tenant: 'council-42', sessions: [] });
    const sid = randomBytes(16).toString('hex');
    driver.live = [
      {
        instanceId: 'relay-a',
        kid: 'k1',
        sid,
        ttl: 3600,
        createdAt: Date.UTC(2025, 9, 15, 9),
        expiresAt: Date.UTC(2025, 9, 15, 10),
        caps: ['sb', 'hc'],
      },
    ];
    const r = await send('GET', '/sessions');
    t.same(r.json, {
      tenant: 'council-42',
      sessions: [
        {
          instanceId: 'relay-a',
          kid: 'k1',
          sid: sid.slice(0, 8),
          ttl: 3600,
          createdAt: '2025-10-15T09:00:00.000Z',
          expiresAt: '2025-10-15T10:00:00.000Z',
          caps: ['sb', 'hc'],
        },
      ],
    });
    t.notMatch(JSON.stringify(r.json), sid, 'the whole session id never leaves');
  },
);

void t.test('the body is shown as text only for text, XML and JSON that is UTF-8', (t) => {
  t.equal(textOf('application/xml; charset=utf-8', Buffer.from('<a/>')), '<a/>');
  t.equal(textOf('application/problem+json', Buffer.from('{}')), '{}');
  t.equal(textOf('application/vnd.council+xml', Buffer.from('<b/>')), '<b/>');
  t.equal(textOf('text/csv', Buffer.from('a,b')), 'a,b');
  t.equal(textOf('application/pdf', Buffer.from('%PDF')), undefined);
  t.equal(textOf(undefined, Buffer.from('x')), undefined);
  t.equal(textOf('text/plain', Buffer.from([0xc3])), undefined, 'a cut UTF-8 sequence');
  t.end();
});
