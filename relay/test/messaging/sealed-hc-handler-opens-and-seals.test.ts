// The sealed HC handler on its own (fake listener request and response). In: sealed requests
// of several segments, a tampered later segment, a key id the relay lacks, a stale timestamp, a
// plain body under each profile, a closed session gate, a failing dispatcher. Out: the
// dispatcher sees plain bytes and answers are sealed r2c under the request's kid; every refusal
// is plain JSON with its status and code, and leaks no dispatcher error text.
import { randomBytes, randomUUID } from 'node:crypto';
import { PassThrough, Readable } from 'node:stream';
import t from 'tap';
import { sealedHcHandler, TenantKeys, type HcDispatcher } from '../../src/messaging';
import { metadataToHeaders, openBody, parseMetadata, sealBody } from '../../src/protocol/envelope';
import type { HcHeaders, HcRequest, HcResponse } from '../../src/transports';
import { ManualGate } from './lib/fakes';

const TENANT = 'council-42';
const K1 = randomBytes(32);

interface Captured {
  status: number | undefined;
  headers: Record<string, string>;
  body: Buffer;
}

function fakeResponse(): { res: HcResponse; done: Promise<Captured> } {
  const captured: Captured = { status: undefined, headers: {}, body: Buffer.alloc(0) };
  const body = new PassThrough();
  const chunks: Buffer[] = [];
  body.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise<Captured>((resolve) => {
    body.on('end', () => {
      captured.body = Buffer.concat(chunks);
      resolve(captured);
    });
  });
  const res = {
    get statusSet() {
      return captured.status !== undefined;
    },
    status(code: number, _description?: string, headers: HcHeaders = {}) {
      if (captured.status !== undefined) throw new Error('status twice');
      captured.status = code;
      for (const [k, v] of Object.entries(headers)) captured.headers[k.toLowerCase()] = String(v);
    },
    body,
    async send(code: number, data?: string | Uint8Array, headers?: HcHeaders) {
      res.status(code, undefined, headers);
      body.end(data === undefined ? undefined : Buffer.from(data));
      await done;
    },
  };
  return { res, done };
}

function request(body: Buffer, headers: Record<string, string>, method = 'POST'): HcRequest {
  return {
    id: randomUUID(),
    method,
    target: '/council-tax/accounts/CT-1',
    headers: { 'content-type': 'application/json', ...headers },
    body: Readable.from([body]),
    size: body.length,
    mode: 'rendezvous',
    signal: new AbortController().signal,
  };
}

function sealed(
  plain: Buffer,
  options: { kid?: string; key?: Buffer; route?: string; ts?: number } = {},
) {
  const messageId = randomUUID();
  const route = options.route ?? 'council-tax';
  const s = sealBody(
    {
      tenant: TENANT,
      messageId,
      route,
      direction: 'c2r',
      key: options.key ?? K1,
      kid: options.kid ?? 'k1',
      ...(options.ts !== undefined ? { deps: { clock: { now: () => options.ts ?? 0 } } } : {}),
    },
    plain,
  );
  return {
    messageId,
    route,
    body: s.sealed,
    headers: { ...metadataToHeaders(s.metadata), 'rc-message-id': messageId, 'rc-route': route },
  };
}

async function collect(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

const echo: HcDispatcher = async (req) => ({
  status: 200,
  headers: { 'content-type': 'application/octet-stream' },
  body: await collect(req.body),
});

function handler(
  dispatch: HcDispatcher,
  extra: { profile?: 'production' | 'development'; gate?: ManualGate } = {},
) {
  const gate = extra.gate ?? new ManualGate();
  if (extra.gate === undefined) gate.set(true);
  return sealedHcHandler(
    { tenant: TENANT, routes: ['council-tax'], profile: extra.profile ?? 'production' },
    { keys: new TenantKeys([{ kid: 'k1', key: K1 }]), dispatch, session: gate },
  );
}

void t.test(
  'a four-segment body is opened for the dispatcher and the answer is sealed back',
  async (t) => {
    const plain = randomBytes(200_000);
    const s = sealed(plain);
    const { res, done } = fakeResponse();
    let seen: Buffer | undefined;
    await handler(async (req) => {
      seen = await collect(req.body);
      t.equal(req.route, 'council-tax');
      t.equal(req.messageId, s.messageId);
      t.equal(req.sealed, true);
      return { status: 200, body: Buffer.concat([seen, Buffer.from('!')]) };
    })(request(s.body, s.headers), res);
    const out = await done;
    t.ok(seen?.equals(plain), 'the dispatcher saw the plain body');
    t.equal(out.status, 200);
    t.equal(out.headers['rc-kid'], 'k1');
    const opened = openBody(
      {
        tenant: TENANT,
        messageId: s.messageId,
        route: 'council-tax',
        direction: 'r2c',
        key: K1,
        kid: 'k1',
        policy: { requireSealed: true, ttlMs: 60_000 },
      },
      parseMetadata(out.headers),
      out.body,
    );
    t.ok(opened.equals(Buffer.concat([plain, Buffer.from('!')])), 'the answer opens at the tenant');
  },
);

void t.test(
  'a tampered third segment fails the dispatcher’s read and is refused 403',
  async (t) => {
    const s = sealed(randomBytes(200_000));
    const at = 2 * (65_536 + 16) + 10;
    s.body[at] = (s.body[at] ?? 0) ^ 0x01;
    const { res, done } = fakeResponse();
    let readFailed = false;
    await handler(async (req) => {
      try {
        return await echo(req);
      } catch (e) {
        readFailed = true;
        throw e;
      }
    })(request(s.body, s.headers), res);
    const out = await done;
    t.ok(readFailed, 'the dispatcher’s read failed');
    t.equal(out.status, 403);
    t.match(JSON.parse(out.body.toString()), {
      code: 'RELAY_E_WORK_ENVELOPE',
      envCode: 'ENV_E_AUTH',
    });
  },
);

void t.test('refusals carry their status and code and never reach the dispatcher', async (t) => {
  const fresh = (): Buffer => Buffer.from('{"a":1}');
  const otherKid = sealed(fresh(), { kid: 'k9', key: randomBytes(32) });
  const stale = sealed(fresh(), { ts: Date.now() - 3_600_000 });
  const plainHeaders = { 'rc-message-id': randomUUID(), 'rc-route': 'council-tax' };
  const down = new ManualGate();
  let calls = 0;
  const counting: HcDispatcher = (req) => {
    calls++;
    return echo(req);
  };
  const cases: [string, ReturnType<typeof handler>, HcRequest, number, Record<string, string>][] = [
    [
      'unknown kid',
      handler(counting),
      request(otherKid.body, otherKid.headers),
      403,
      { code: 'RELAY_E_WORK_ENVELOPE', envCode: 'ENV_E_KID' },
    ],
    [
      'stale ts',
      handler(counting),
      request(stale.body, stale.headers),
      403,
      { code: 'RELAY_E_WORK_ENVELOPE', envCode: 'ENV_E_STALE' },
    ],
    [
      'plain body in production',
      handler(counting),
      request(fresh(), plainHeaders),
      403,
      { code: 'RELAY_E_WORK_ENVELOPE', envCode: 'ENV_E_PLAIN' },
    ],
    [
      'no session',
      handler(counting, { gate: down }),
      request(fresh(), plainHeaders),
      503,
      { code: 'RELAY_E_WORK_NO_SESSION' },
    ],
    [
      'unknown route',
      handler(counting),
      request(fresh(), { ...plainHeaders, 'rc-route': 'planning' }),
      404,
      { code: 'RELAY_E_WORK_ROUTE' },
    ],
    [
      'route with a bar',
      handler(counting),
      request(fresh(), { ...plainHeaders, 'rc-route': 'a|b' }),
      400,
      { code: 'RELAY_E_WORK_MALFORMED' },
    ],
  ];
  for (const [name, h, req, status, json] of cases) {
    const { res, done } = fakeResponse();
    await h(req, res);
    const out = await done;
    t.equal(out.status, status, `${name}: ${status}`);
    t.match(JSON.parse(out.body.toString()), json, `${name}: its code`);
    t.equal(out.headers['rc-env'], undefined, `${name}: not sealed`);
  }
  t.equal(calls, 0, 'the dispatcher was never called');
});

void t.test(
  'the development profile accepts a plain body and still seals the answer',
  async (t) => {
    const { res, done } = fakeResponse();
    const headers = { 'rc-message-id': randomUUID(), 'rc-route': 'council-tax' };
    let sawSealed: boolean | undefined;
    await handler(
      async (req) => {
        sawSealed = req.sealed;
        return echo(req);
      },
      { profile: 'development' },
    )(request(Buffer.from('plain'), headers), res);
    const out = await done;
    t.equal(sawSealed, false);
    t.equal(out.status, 200);
    t.equal(out.headers['rc-kid'], 'k1', 'sealed under the primary key');
  },
);

void t.test('a failing dispatcher gets a 500 that does not repeat its error text', async (t) => {
  const s = sealed(Buffer.from('{"a":1}'));
  const { res, done } = fakeResponse();
  await handler(() => Promise.reject(new Error('db password=hunter2 rejected')))(
    request(s.body, s.headers),
    res,
  );
  const out = await done;
  t.equal(out.status, 500);
  t.match(JSON.parse(out.body.toString()), { code: 'RELAY_E_WORK_HANDLER' });
  t.notOk(out.body.toString().includes('hunter2'), 'no dispatcher error text');
});
