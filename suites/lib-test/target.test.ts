// The target of `relaycheck run --target azure`, read from the command line and the tenant
// config file. In: connection strings (good, and each way of being wrong), env:NAME values, and
// tenant config files written to a temporary folder. Out: checks the Target built (hosts, rules,
// entities, ranges, CA path resolved beside the file), that every refusal is RUN_E_TARGET_CONFIG
// naming the option or file and what is wrong, and that no key ever appears in a message.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import fc from 'fast-check';
import {
  currentTarget,
  describeTarget,
  loadTarget,
  parseConnectionString,
  sdkConnectionString,
  TARGET_ENV,
  writeTarget,
} from '../lib/target';
import { REPO_ROOT } from '../lib/scan';
import { checkProperty } from '../lib/property';

const KEY = randomBytes(32).toString('base64');
const conn = (host: string, extra = ''): string =>
  `Endpoint=sb://${host}/;SharedAccessKeyName=relay;SharedAccessKey=${KEY}${extra}`;

function refusal(t: tap.Test, fn: () => unknown, message: RegExp, what: string): void {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  t.match(caught, { name: 'RunError', code: 'RUN_E_TARGET_CONFIG', message }, what);
  t.notOk(String((caught as Error | undefined)?.message).includes(KEY), `${what}: no key in it`);
}

void t.test('a namespace connection string as the portal gives it is read', (t) => {
  t.same(parseConnectionString(conn('council-42.servicebus.windows.net'), '--servicebus'), {
    host: 'council-42.servicebus.windows.net',
    keyName: 'relay',
    key: KEY,
  });
  t.same(
    parseConnectionString(
      ` endpoint=sb://Council-42.ServiceBus.Windows.NET;sharedaccesskeyname=relay;sharedaccesskey=${KEY};`,
      '--servicebus',
    ).host,
    'council-42.servicebus.windows.net',
    'names are case-insensitive, the trailing slash and ; optional, the host lower-cased',
  );
  t.equal(parseConnectionString(conn('127.77.0.1'), 'x').host, '127.77.0.1', 'an IP literal');
  const back = parseConnectionString(
    sdkConnectionString({ host: 'a-b.example', keyName: 'r', key: KEY }),
    'x',
  );
  t.same(back, { host: 'a-b.example', keyName: 'r', key: KEY }, 'the SDK form reads back');
  t.end();
});

void t.test('a connection string that is not a namespace key is refused with the reason', (t) => {
  const cases: [string, RegExp, string][] = [
    [
      conn('ns.servicebus.windows.net', ';EntityPath=requests'),
      /for one entity \(EntityPath\)/,
      'an entity path',
    ],
    [
      'Endpoint=sb://ns.servicebus.windows.net/;SharedAccessSignature=SharedAccessSignature sr=x&sig=y',
      /a shared access signature expires/,
      'a SAS instead of a key',
    ],
    [conn('localhost', ';UseDevelopmentEmulator=true'), /development emulator/, 'the emulator'],
    [conn('ns.servicebus.windows.net:5671'), /has a port \(5671\)/, 'a port'],
    [
      `Endpoint=https://ns.servicebus.windows.net/;SharedAccessKeyName=a;SharedAccessKey=${KEY}`,
      /Endpoint must be sb:\/\//,
      'another scheme',
    ],
    [`SharedAccessKeyName=a;SharedAccessKey=${KEY}`, /has no Endpoint/, 'no endpoint'],
    [
      'Endpoint=sb://ns.servicebus.windows.net/',
      /has no SharedAccessKeyName, SharedAccessKey/,
      'no rule, no key',
    ],
    [
      `${conn('ns.servicebus.windows.net')};SharedAccessKey=${KEY}`,
      /SharedAccessKey is given twice/,
      'a part twice',
    ],
    ['just words', /is not Name=value/, 'not a connection string'],
    [conn('bad_host!.example'), /is not a host name/, 'a bad host'],
  ];
  for (const [text, message, what] of cases) {
    refusal(t, () => parseConnectionString(text, '--servicebus'), message, what);
  }
  t.end();
});

void t.test('any text is read or refused with a typed error, never a throw of another kind', (t) =>
  checkProperty(
    t,
    fc.property(
      fc.oneof(
        fc.string({ maxLength: 300 }),
        fc
          .array(
            fc.tuple(
              fc.constantFrom(
                'Endpoint',
                'SharedAccessKeyName',
                'SharedAccessKey',
                'EntityPath',
                'x',
              ),
              fc.oneof(
                fc.string({ maxLength: 40 }),
                fc.constantFrom('sb://a.example/', 'sb://[::1]/', 'sb://1.2.3.4:99/'),
              ),
            ),
            { maxLength: 5 },
          )
          .map((parts) => parts.map(([k, v]) => `${k}=${v}`).join(';')),
      ),
      (text) => {
        try {
          const ns = parseConnectionString(text, '--servicebus');
          return ns.host !== '' && ns.keyName !== '' && ns.key !== '';
        } catch (e) {
          return (e as { code?: unknown }).code === 'RUN_E_TARGET_CONFIG';
        }
      },
    ),
  ),
);

void t.test('the tenant config file gives the tenant, its key and the ranges', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'relaycheck-target-'));
  t.teardown(() => {
    rmSync(dir, { recursive: true, force: true });
  });
  const ca = join(dir, 'ca.pem');
  writeFileSync(ca, '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
  const handshake = randomBytes(32).toString('base64');
  const file = join(dir, 'tenant.json');
  const write = (c: unknown): void => {
    writeFileSync(file, JSON.stringify(c));
  };
  const env = { SB: conn('council-42.servicebus.windows.net'), HK: handshake };
  write({
    tenant: 'council-42',
    key: 'env:HK',
    caFile: 'ca.pem',
    ranges: { prefixes: ['51.140.0.0/15'] },
  });
  const target = loadTarget({
    serviceBus: 'env:SB',
    relayNamespace: conn('council-42-relay.servicebus.windows.net'),
    tenantConfig: file,
    repoRoot: REPO_ROOT,
    env,
  });
  t.match(target, {
    serviceBus: { host: 'council-42.servicebus.windows.net', keyName: 'relay' },
    relayNamespace: { host: 'council-42-relay.servicebus.windows.net' },
    tenant: { id: 'council-42', kid: 'k1', key: handshake },
    entities: {
      handshake: 'handshake',
      handshakeReplies: 'handshake-replies',
      requests: 'requests',
      replies: 'replies',
    },
    hybridConnections: ['council-tax', 'business-rates', 'benefits', 'documents'],
    ranges: { prefixes: ['51.140.0.0/15'] },
    caFile: ca,
  });
  t.equal(
    describeTarget(target),
    'Service Bus council-42.servicebus.windows.net (rule relay), Azure Relay council-42-relay.servicebus.windows.net (rule relay), tenant council-42 (key k1)',
  );
  t.notOk(describeTarget(target).includes(KEY), 'the description holds no key');

  write({
    tenant: 'council-42',
    key: handshake,
    entities: { requests: 'work-in' },
    hybridConnections: ['documents'],
  });
  const other = loadTarget({
    serviceBus: env.SB,
    relayNamespace: env.SB,
    tenantConfig: file,
    repoRoot: REPO_ROOT,
  });
  t.equal(other.entities.requests, 'work-in', 'an entity renamed');
  t.same(other.hybridConnections, ['documents']);
  t.match(
    other.ranges,
    { serviceTags: { regions: ['uksouth', 'ukwest'], tags: ['ServiceBus'] } },
    'default ranges: the guide regions',
  );
  t.notOk('caFile' in other, 'no CA: the system trust store');

  // Written for the case processes (0600) and read back from RELAYCHECK_TARGET.
  const out = join(dir, 'target.json');
  writeTarget(out, target);
  t.equal(statSync(out).mode & 0o777, 0o600, 'target.json is 0600');
  t.same(currentTarget({ [TARGET_ENV]: out }), target);
  t.equal(currentTarget({}), undefined, 'no target: a simulator run');
  writeFileSync(out, '{"version":1}');
  t.throws(() => currentTarget({ [TARGET_ENV]: out }), /is not a target file/);
  t.ok(readFileSync(file, 'utf8').length > 0);
  t.end();
});

void t.test('a tenant config that is wrong says where', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'relaycheck-target-'));
  t.teardown(() => {
    rmSync(dir, { recursive: true, force: true });
  });
  const file = join(dir, 'tenant.json');
  const load =
    (env: NodeJS.ProcessEnv = {}) =>
    () =>
      loadTarget({
        serviceBus: conn('a.example'),
        relayNamespace: conn('b.example'),
        tenantConfig: file,
        repoRoot: REPO_ROOT,
        env,
      });
  refusal(t, load(), /cannot be read \(ENOENT\)/, 'no file');
  writeFileSync(file, '{ tenant: ');
  refusal(t, load(), /it is not JSON/, 'not JSON');
  const cases: [unknown, RegExp, string][] = [
    [{ key: KEY }, /tenant: /, 'no tenant'],
    [{ tenant: 'Council 42', key: KEY }, /tenant: a tenant id/, 'a bad tenant id'],
    [{ tenant: 'council-42' }, /key: /, 'no key'],
    [
      { tenant: 'council-42', key: randomBytes(16).toString('base64') },
      /must be 32 bytes in base64/,
      'a short key',
    ],
    [
      { tenant: 'council-42', key: 'not base64 at all!' },
      /must be 32 bytes in base64/,
      'not base64',
    ],
    [
      { tenant: 'council-42', key: 'env:NOPE' },
      /the environment variable NOPE is not set/,
      'an unset env key',
    ],
    [{ tenant: 'council-42', key: KEY, extra: 1 }, /Unrecognized key/, 'an unknown field'],
    [
      { tenant: 'council-42', key: KEY, caFile: 'missing.pem' },
      /caFile: .*missing.pem is not a readable PEM/,
      'a missing CA',
    ],
    [{ tenant: 'council-42', key: KEY, ranges: { prefixes: [] } }, /ranges/, 'empty ranges'],
  ];
  for (const [content, message, what] of cases) {
    writeFileSync(file, JSON.stringify(content));
    refusal(t, load(), message, what);
  }
  writeFileSync(file, JSON.stringify({ tenant: 'council-42', key: KEY }));
  refusal(
    t,
    () =>
      loadTarget({
        serviceBus: 'env:SBX',
        relayNamespace: conn('b.example'),
        tenantConfig: file,
        repoRoot: REPO_ROOT,
        env: {},
      }),
    /--servicebus: the environment variable SBX is not set/,
    'an unset --servicebus env',
  );
  refusal(
    t,
    () =>
      loadTarget({
        serviceBus: 'env:9x',
        relayNamespace: conn('b.example'),
        tenantConfig: file,
        repoRoot: REPO_ROOT,
        env: {},
      }),
    /is not env:NAME/,
    'a bad env name',
  );
  t.end();
});
