// Secrets come inline or from env:NAME; a missing or empty variable is refused by name; a
// tenant key must be exactly 32 bytes in canonical base64 or base64url; SAS keys may not carry
// whitespace. However the resulting config is printed (console.log, util.inspect, String,
// JSON.stringify, a pino line), no secret appears.
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { inspect } from 'node:util';
import { Console } from 'node:console';
import t from 'tap';
import { parseRelayConfig, type RelayConfig } from '../../src/config';
import { createRelayLogger } from '../../src/log';
import { sample, setPath } from './helpers/sample';

function parse(config: Record<string, unknown>, env: Record<string, string>): RelayConfig {
  return parseRelayConfig(config, { file: 'relay.yaml', env });
}

void t.test('a missing environment variable is named in the error', (t) => {
  const s = sample();
  delete s.env.RC_SB_KEY;
  t.throws(() => parse(s.config, s.env), {
    code: 'RELAY_E_CONFIG',
    message:
      'relay.yaml: serviceBus.key: expected environment variable RC_SB_KEY to be set, got nothing (it is not set)',
    details: { path: 'serviceBus.key', env: 'RC_SB_KEY' },
  });
  t.end();
});

void t.test('an empty environment variable is refused', (t) => {
  const s = sample();
  s.env.RC_HC_KEY = '';
  t.throws(() => parse(s.config, s.env), {
    message:
      /hybrid.key: expected environment variable RC_HC_KEY to hold a value, got an empty value/,
  });
  t.end();
});

void t.test('a malformed env: reference is refused, not taken as an inline secret', (t) => {
  const s = sample();
  setPath(s.config, ['serviceBus', 'key'], 'env:1BAD NAME');
  t.throws(() => parse(s.config, s.env), {
    message: /serviceBus.key: expected env:NAME .*, got a malformed env: reference/,
  });
  t.end();
});

void t.test('a variable is read only from the given environment, not from the prototype', (t) => {
  const s = sample();
  setPath(s.config, ['serviceBus', 'key'], 'env:toString');
  t.throws(() => parse(s.config, s.env), { message: /environment variable toString to be set/ });
  t.end();
});

void t.test('inline secrets are accepted', (t) => {
  const s = sample();
  const key = randomBytes(32);
  setPath(s.config, ['tenant', 'keys', 0, 'secret'], key.toString('base64'));
  setPath(s.config, ['serviceBus', 'key'], 'inline-sas-key');
  const c = parse(s.config, { RC_HC_KEY: 'hc-key' });
  t.ok(c.tenant.keys[0]?.secret.equals(key));
  t.equal(c.serviceBus.key, 'inline-sas-key');
  t.end();
});

void t.test('tenant keys decode from base64 and base64url, padded or not', (t) => {
  for (const encode of [
    (b: Buffer) => b.toString('base64'),
    (b: Buffer) => b.toString('base64').replace(/=$/, ''),
    (b: Buffer) => b.toString('base64url'),
    (b: Buffer) => `${b.toString('base64url')}=`,
  ]) {
    const key = Buffer.from(Array.from({ length: 32 }, (_, i) => (i * 37 + 251) & 0xff));
    const s = sample();
    s.env.RC_TENANT_KEY = encode(key);
    const c = parse(s.config, s.env);
    t.ok(c.tenant.keys[0]?.secret.equals(key), s.env.RC_TENANT_KEY.length.toString());
  }
  t.end();
});

void t.test('tenant keys of another length or encoding are refused without echoing them', (t) => {
  const bad: readonly [string, RegExp][] = [
    [randomBytes(31).toString('base64'), /got 44 characters/],
    [randomBytes(33).toString('base64'), /got 44 characters/],
    [randomBytes(16).toString('hex'), /got 32 characters/],
    [`${randomBytes(32).toString('base64').slice(0, 42)}+_`, /outside|characters/],
    [randomBytes(32).toString('base64').replace(/.=$/, 'B='), /non-canonical/],
    [`${randomBytes(32).toString('base64').slice(0, 43)} `, /outside the base64 alphabets/],
  ];
  for (const [value, why] of bad) {
    const s = sample();
    s.env.RC_TENANT_KEY = value;
    const e = t.throws(() => parse(s.config, s.env), {
      message:
        /tenant.keys\[0\].secret: expected 32 bytes in base64 or base64url .* \(from environment variable RC_TENANT_KEY\), got /,
    }) as Error;
    t.match(e.message, why);
    t.notOk(e.message.includes(value.trim()), 'the value is not echoed');
  }
  t.end();
});

void t.test('SAS keys with whitespace or control characters are refused', (t) => {
  const word = randomBytes(8).toString('hex');
  for (const value of [` ${word}`, `${word}\n`, `a ${word}`, `${word}\u0000y`, 'x'.repeat(513)]) {
    const s = sample();
    s.env.RC_SB_KEY = value;
    const e = t.throws(() => parse(s.config, s.env), {
      message:
        /serviceBus.key: expected a SAS key: 1-512 printable characters, no spaces \(from environment variable RC_SB_KEY\)/,
    }) as Error;
    t.notOk(e.message.includes(word) || e.message.includes('xxxx'), 'the value is not echoed');
  }
  t.end();
});

void t.test('no way of printing the config shows a secret', (t) => {
  const s = sample();
  const c = parse(s.config, s.env);
  const tenantKey = c.tenant.keys[0]?.secret ?? Buffer.alloc(0);
  const forms = [
    tenantKey.toString('base64'),
    tenantKey.toString('hex'),
    tenantKey.toString('base64url'),
    ...s.secrets,
  ];
  let consoleOut = '';
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      consoleOut += chunk.toString();
      done();
    },
  });
  const console2 = new Console(sink, sink);
  console2.log(c);
  console2.log(c.tenant, c.tenant.keys, c.tenant.keys[0], c.serviceBus, c.hybrid);
  console2.log('%o', c);
  console2.dir(c, { depth: 20, showHidden: true });
  const lines: string[] = [];
  createRelayLogger({ level: 'info', destination: { write: (l: string) => lines.push(l) } }).info(
    { config: c, keys: c.tenant.keys, sb: c.serviceBus },
    'config loaded',
  );
  const printed = [
    inspect(c, { depth: Infinity }),
    inspect(c, { depth: Infinity, showHidden: true }),
    inspect(c, { depth: Infinity, customInspect: false }),
    inspect(c.tenant.keys, { depth: Infinity, customInspect: false }),
    inspect(tenantKey),
    Object.prototype.toString.call(c),
    `${c.tenant.id} ${c.serviceBus.host} ${c.hybrid.host}`,
    JSON.stringify(c),
    JSON.stringify(c.tenant.keys),
    JSON.stringify(tenantKey),
    JSON.stringify({ sb: c.serviceBus, hc: c.hybrid }),
    consoleOut,
    lines.join(''),
  ];
  for (const [i, text] of printed.entries()) {
    for (const secret of forms) t.notOk(text.includes(secret), `printed form ${i} leaks nothing`);
  }
  t.match(inspect(c, { depth: Infinity }), /\[redacted 32 bytes\]/);
  t.match(JSON.stringify(c), /"key":"\[redacted\]"/);
  t.match(lines.join(''), /config loaded/);
  t.equal(c.serviceBus.key, s.env.RC_SB_KEY, 'reading the field still gives the key');
  t.end();
});
