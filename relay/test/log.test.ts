// The relay logger never writes a secret: each kind (tenant key bytes, SAS keys, SAS tokens
// and their sig=, sb-hc-token, Authorization and ServiceBusAuthorization headers,
// SharedAccessKey in connection strings, passwords, bearer tokens) is redacted wherever it
// appears: a field at any depth, a child logger's bindings, the message, an error's message
// and stack. Secrets are drawn at run time.
import { randomBytes } from 'node:crypto';
import t from 'tap';
import { createRelayLogger, RELAY_LOG_REDACT_PATHS, redactForLog, scrubSecrets } from '../src/log';
import { HC_LOG_REDACT } from '../src/transports/hc-listener';

function capture(level: 'info' | 'debug' | 'warn' = 'debug') {
  const lines: string[] = [];
  const logger = createRelayLogger({ level, destination: { write: (l: string) => lines.push(l) } });
  return { logger, lines, text: () => lines.join('') };
}

const token = (): string => randomBytes(24).toString('base64url');

void t.test('every kind of secret in a logged object is redacted', (t) => {
  const s = {
    tenantKey: randomBytes(32),
    sasKey: randomBytes(32).toString('base64'),
    sig: token(),
    hcToken: token(),
    auth: token(),
    sbAuth: token(),
    csKey: randomBytes(32).toString('base64'),
    password: token(),
    bearer: token(),
    deep: token(),
  };
  const { logger, text, lines } = capture();
  logger.info(
    {
      tenant: { keys: [{ kid: 'k1', secret: s.tenantKey }] },
      serviceBus: { keyName: 'relay', key: s.sasKey },
      token: `SharedAccessSignature sr=https%3A%2F%2Fx&sig=${encodeURIComponent(s.sig)}&se=1&skn=relay`,
      url: `wss://h.example/$hc/council-tax?sb-hc-action=listen&sb-hc-token=${s.hcToken}`,
      headers: {
        Authorization: `SharedAccessSignature sig=${s.auth}`,
        ServiceBusAuthorization: s.sbAuth,
        'sb-hc-token': s.hcToken,
      },
      connectionString: `Endpoint=sb://h.example/;SharedAccessKeyName=relay;SharedAccessKey=${s.csKey}`,
      db: { password: s.password },
      note: `called with Bearer ${s.bearer}`,
      a: { b: { c: { d: { e: { secret: s.deep } } } } },
      body: Buffer.from('sealed body bytes'),
    },
    'connected',
  );
  t.equal(lines.length, 1);
  const out = text();
  for (const [name, value] of Object.entries(s)) {
    const forms =
      typeof value === 'string'
        ? [value, encodeURIComponent(value)]
        : [value.toString('base64'), value.toString('hex')];
    for (const form of forms) t.notOk(out.includes(form), `${name} does not appear`);
  }
  const line = JSON.parse(out) as Record<string, unknown>;
  t.match(line, {
    msg: 'connected',
    serviceBus: { keyName: 'relay', key: '[redacted]' },
    tenant: { keys: [{ kid: 'k1', secret: '[redacted]' }] },
    url: 'wss://h.example/$hc/council-tax?sb-hc-action=listen&sb-hc-token=[redacted]',
    connectionString:
      'Endpoint=sb://h.example/;SharedAccessKeyName=relay;SharedAccessKey=[redacted]',
    headers: {
      Authorization: '[redacted]',
      ServiceBusAuthorization: '[redacted]',
      'sb-hc-token': '[redacted]',
    },
    body: '[17 bytes]',
  });
  t.match(line.token, /^\[redacted\]$/, 'a field named token is dropped whole');
  t.end();
});

void t.test('secrets inside messages, interpolations and child bindings are scrubbed', (t) => {
  const sig = token();
  const key = randomBytes(32).toString('base64');
  const { logger, text } = capture();
  logger.warn(`renewal failed for ...&sig=${sig}&se=1`);
  logger.info('dialling %s', `Endpoint=sb://x/;SharedAccessKey=${key}`);
  logger.child({ token: sig, connection: 3 }).info({ n: 1 }, 'child line');
  const out = text();
  t.notOk(out.includes(sig));
  t.notOk(out.includes(key));
  t.match(out, /"connection":3/);
  t.match(out, /sig=\[redacted\]/);
  t.end();
});

void t.test('errors keep their shape while their message, stack and details are scrubbed', (t) => {
  const sig = token();
  const password = token();
  const { logger, lines } = capture();
  const e = Object.assign(new Error(`token refused: ...&sig=${sig}`), {
    code: 'RELAY_E_HC_UNAUTHORIZED',
    details: { password, status: 401 },
  });
  logger.error(e);
  logger.error({ err: e }, 'wrapped');
  logger.error(e, 'with a message');
  for (const l of lines) t.notOk(l.includes(sig) || l.includes(password), 'nothing leaks');
  const first = JSON.parse(lines[0] ?? '{}') as { err: Record<string, unknown>; msg: string };
  t.match(first.err, {
    type: 'Error',
    code: 'RELAY_E_HC_UNAUTHORIZED',
    details: { password: '[redacted]', status: 401 },
  });
  t.match(first.err.stack, /^Error: token refused: \.\.\.&sig=\[redacted\]/);
  t.equal(first.msg, 'token refused: ...&sig=[redacted]');
  t.match(JSON.parse(lines[1] ?? '{}'), { msg: 'wrapped', err: { type: 'Error' } });
  t.match(JSON.parse(lines[2] ?? '{}'), {
    msg: 'with a message',
    err: { code: 'RELAY_E_HC_UNAUTHORIZED' },
  });
  t.end();
});

void t.test(
  'the level filters lines; the contract form createRelayLogger(level, destination) works',
  (t) => {
    const lines: string[] = [];
    const logger = createRelayLogger('warn', { write: (l: string) => lines.push(l) });
    logger.info('hidden');
    logger.warn('shown');
    t.equal(lines.length, 1);
    t.match(lines[0], /"msg":"shown"/);
    t.end();
  },
);

void t.test('cycles, deep nesting and odd values do not break a line', (t) => {
  const { logger, lines } = capture();
  const loop: Record<string, unknown> = { name: 'loop' };
  loop.self = loop;
  let deep: Record<string, unknown> = {};
  const root = deep;
  for (let i = 0; i < 50; i++) {
    deep.next = {};
    deep = deep.next as Record<string, unknown>;
  }
  logger.info({ loop, root, when: new Date(0), fn: () => 1, map: new Map([['key', 'v']]) }, 'odd');
  const line = JSON.parse(lines[0] ?? '{}') as Record<string, unknown>;
  t.match(line, {
    loop: { name: 'loop', self: '[circular]' },
    when: '1970-01-01T00:00:00.000Z',
    fn: '[function]',
    map: { key: '[redacted]' },
  });
  t.match(JSON.stringify(line.root), /\[too deep\]/);
  t.end();
});

void t.test('the scrubber leaves ordinary text alone', (t) => {
  const plain = 'keyName=relay; signal=ok; design=x; path=/$hc/council-tax?sb-hc-action=listen';
  t.equal(scrubSecrets(plain), plain);
  t.same(redactForLog({ keyName: 'relay', kid: 'k1', keys: 2 }), {
    keyName: 'relay',
    kid: 'k1',
    keys: 2,
  });
  t.end();
});

void t.test('the pino redaction paths include the Hybrid Connections listener list', (t) => {
  for (const p of HC_LOG_REDACT) t.ok(RELAY_LOG_REDACT_PATHS.includes(p), p);
  t.end();
});
