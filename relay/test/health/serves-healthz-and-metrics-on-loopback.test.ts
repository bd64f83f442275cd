// The health endpoint on 127.0.0.1 port 0: GET /healthz answers the provider's snapshot as
// JSON, 200 when healthy and 503 when not; GET /metrics answers Prometheus text; HEAD gives
// the headers alone; other methods 405, other paths 404, a body 413, a foreign Host 421; a
// provider that throws is answered 500 without its message. close() is idempotent.
import diagnostics from 'node:diagnostics_channel';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import t from 'tap';
import {
  createMetrics,
  HEALTH_CHANNELS,
  startHealthServer,
  type HealthProvider,
  type HealthSnapshot,
} from '../../src/health';

const SNAPSHOT: HealthSnapshot = {
  healthy: true,
  profile: 'development',
  instanceId: 'relay-test',
  mode: 'tcp',
  ports: [
    {
      host: 'council-42.servicebus.windows.net',
      port: 5671,
      purpose: 'amqp',
      outcome: 'allowed',
      at: '2025-01-01T00:00:00.000Z',
    },
    {
      host: 'council-42-relay.servicebus.windows.net',
      port: 9352,
      purpose: 'hc',
      outcome: 'timed-out',
      detail: 'no answer within 5000 ms',
      at: '2025-01-01T00:00:01.000Z',
    },
  ],
  session: { state: 'live', kid: 'k1', expiresAt: '2025-01-01T01:00:00.000Z' },
  transports: { serviceBus: 'up', hybrid: [{ path: 'council-tax', state: 'connecting' }] },
  startedAt: '2025-01-01T00:00:00.000Z',
  version: '0.1.0',
};

interface Reply {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

function call(
  url: string,
  options: { method?: string; path?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<Reply> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: u.hostname.replace(/^\[|\]$/g, ''),
        port: u.port,
        method: options.method ?? 'GET',
        path: options.path ?? '/healthz',
        headers: options.headers,
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString('utf8'),
          });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

async function start(t: tap.Test, provider: Partial<HealthProvider> = {}) {
  const metrics = provider.metrics ?? createMetrics();
  const server = await startHealthServer(
    { host: '127.0.0.1', port: 0 },
    { health: provider.health ?? (() => SNAPSHOT), metrics },
  );
  t.teardown(() => server.close());
  return { server, metrics };
}

void t.test('GET /healthz answers the snapshot as JSON with 200 when healthy', async (t) => {
  const { server } = await start(t);
  t.match(server.url, /^http:\/\/127\.0\.0\.1:\d+$/);
  t.ok(server.port > 0);
  const r = await call(server.url);
  t.equal(r.status, 200);
  t.equal(r.headers['content-type'], 'application/json; charset=utf-8');
  t.equal(r.headers['cache-control'], 'no-store');
  t.same(JSON.parse(r.body), SNAPSHOT);
});

void t.test('an unhealthy snapshot is answered 503 with the same body shape', async (t) => {
  const { server } = await start(t, {
    health: () => ({
      ...SNAPSHOT,
      healthy: false,
      mode: 'none',
      session: { state: 'rejected', kid: 'k1' },
    }),
  });
  const r = await call(server.url);
  t.equal(r.status, 503);
  t.match(JSON.parse(r.body), { healthy: false, mode: 'none', session: { state: 'rejected' } });
});

void t.test('an asynchronous provider is awaited', async (t) => {
  const { server } = await start(t, {
    health: () => Promise.resolve({ ...SNAPSHOT, mode: 'probing' as const }),
  });
  t.equal((JSON.parse((await call(server.url)).body) as HealthSnapshot).mode, 'probing');
});

void t.test('GET /metrics answers the registry as Prometheus text', async (t) => {
  const metrics = createMetrics();
  metrics.counter('relay_work_total', 'Work done.', ['via']).inc({ via: 'hybrid' });
  const { server } = await start(t, { metrics });
  const r = await call(server.url, { path: '/metrics' });
  t.equal(r.status, 200);
  t.equal(r.headers['content-type'], 'text/plain; version=0.0.4; charset=utf-8');
  t.equal(
    r.body,
    '# HELP relay_work_total Work done.\n# TYPE relay_work_total counter\nrelay_work_total{via="hybrid"} 1\n',
  );
});

void t.test('HEAD gives the headers of GET without a body', async (t) => {
  const { server } = await start(t);
  const get = await call(server.url);
  const head = await call(server.url, { method: 'HEAD' });
  t.equal(head.status, 200);
  t.equal(head.body, '');
  t.equal(head.headers['content-length'], get.headers['content-length']);
  const metrics = await call(server.url, { method: 'HEAD', path: '/metrics' });
  t.equal(metrics.status, 200);
  t.equal(metrics.body, '');
});

void t.test('other methods are answered 405 with Allow, other paths 404', async (t) => {
  const { server } = await start(t);
  for (const method of ['POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH']) {
    const r = await call(server.url, { method, path: '/healthz' });
    t.equal(r.status, 405, method);
    t.equal(r.headers.allow, 'GET, HEAD');
  }
  for (const path of ['/', '/healthz/', '/health', '/metrics.txt', '/../healthz', '//healthz']) {
    t.equal((await call(server.url, { path })).status, 404, path);
  }
  t.equal(
    (await call(server.url, { path: '/healthz?verbose=1' })).status,
    200,
    'a query is ignored',
  );
});

void t.test('a request with a body is refused 413 and the provider is not asked', async (t) => {
  let asked = 0;
  const { server } = await start(t, {
    health: () => {
      asked++;
      return SNAPSHOT;
    },
  });
  const withBody = await call(server.url, {
    method: 'GET',
    body: '{"x":1}',
    headers: { 'content-length': '7' },
  });
  t.equal(withBody.status, 413);
  const chunked = await call(server.url, {
    method: 'GET',
    body: 'abc',
    headers: { 'transfer-encoding': 'chunked' },
  });
  t.equal(chunked.status, 413);
  t.equal(asked, 0);
});

void t.test('a Host header that is not loopback is refused 421 (DNS rebinding)', async (t) => {
  const { server } = await start(t);
  for (const host of ['evil.example', 'evil.example:80', '192.0.2.1', '[2001:db8::1]:9464']) {
    t.equal((await call(server.url, { headers: { host } })).status, 421, host);
  }
  for (const host of [
    `127.0.0.1:${server.port}`,
    `localhost:${server.port}`,
    `[::1]:${server.port}`,
    'localhost',
  ]) {
    t.equal((await call(server.url, { headers: { host } })).status, 200, host);
  }
});

void t.test('a provider that throws is answered 500 without its message', async (t) => {
  const { server } = await start(t, {
    health: () => {
      throw new Error('SharedAccessKey=hunter2 at /srv/relay.ts:1');
    },
  });
  const r = await call(server.url);
  t.equal(r.status, 500);
  t.notMatch(r.body, /hunter2|srv/);
  t.same(JSON.parse(r.body), { healthy: false, error: 'no health snapshot' });
  t.equal((await call(server.url, { path: '/metrics' })).status, 200, 'metrics still answer');
});

void t.test('a credential that slips into a snapshot string is scrubbed', async (t) => {
  const { server } = await start(t, {
    health: () => ({
      ...SNAPSHOT,
      ports: [
        {
          host: 'h',
          port: 443,
          purpose: 'hc-wss',
          outcome: 'error',
          detail: 'wss://h/$hc/p?sb-hc-token=SECRETTOKEN',
          at: SNAPSHOT.startedAt,
        },
      ],
    }),
  });
  const r = await call(server.url);
  t.notMatch(r.body, /SECRETTOKEN/);
  t.match(r.body, /sb-hc-token=\[redacted\]/);
});

void t.test(
  'listening and closing are published; close is idempotent and frees the port',
  async (t) => {
    const seen: unknown[] = [];
    const listen = (m: unknown): void => {
      seen.push(['listening', m]);
    };
    const closed = (m: unknown): void => {
      seen.push(['closed', m]);
    };
    diagnostics.subscribe(HEALTH_CHANNELS.listening, listen);
    diagnostics.subscribe(HEALTH_CHANNELS.closed, closed);
    t.teardown(() => {
      diagnostics.unsubscribe(HEALTH_CHANNELS.listening, listen);
      diagnostics.unsubscribe(HEALTH_CHANNELS.closed, closed);
    });
    const server = await startHealthServer(
      { host: '127.0.0.1', port: 0 },
      { health: () => SNAPSHOT, metrics: createMetrics() },
    );
    await Promise.all([server.close(), server.close()]);
    await server.close();
    t.same(seen, [
      ['listening', { host: '127.0.0.1', port: server.port }],
      ['closed', { host: '127.0.0.1', port: server.port }],
    ]);
    await t.rejects(call(server.url), { code: 'ECONNREFUSED' });
  },
);

void t.test('localhost is accepted and binds a loopback address', async (t) => {
  const server = await startHealthServer(
    { host: 'localhost', port: 0 },
    { health: () => SNAPSHOT, metrics: createMetrics() },
  );
  t.teardown(() => server.close());
  t.match(server.host, /^(127\.\d+\.\d+\.\d+|::1)$/);
  t.equal((await call(server.url)).status, 200);
});
