// The example configs in fixtures/relay/ load as documented: env: references resolved from an
// environment made at run time, relative paths made absolute against the file's directory,
// defaults filled, and the result frozen.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { loadRelayConfig, parseRelayConfig, type RelayConfig } from '../../src/config';

const FIXTURES = join(__dirname, '..', '..', '..', 'fixtures', 'relay');

function environment(): Record<string, string> {
  return {
    RELAYCHECK_TENANT_KEY: randomBytes(32).toString('base64'),
    RELAYCHECK_TENANT_KEY_OLD: randomBytes(32).toString('base64url'),
    RELAYCHECK_SB_KEY: randomBytes(32).toString('base64'),
    RELAYCHECK_HC_KEY: randomBytes(32).toString('base64'),
  };
}

function isDeepFrozen(value: unknown, path = 'config'): string[] {
  if (typeof value !== 'object' || value === null || value instanceof Uint8Array) return [];
  const own = Object.isFrozen(value) ? [] : [path];
  return [...own, ...Object.entries(value).flatMap(([k, v]) => isDeepFrozen(v, `${path}.${k}`))];
}

void t.test('production.yaml loads with its secrets from the environment', async (t) => {
  const env = environment();
  const c: RelayConfig = await loadRelayConfig(join(FIXTURES, 'production.yaml'), env);
  t.equal(c.profile, 'production');
  t.equal(c.instanceId, 'relay-a');
  t.equal(c.tenant.id, 'council-42');
  t.equal(c.tenant.keys.length, 1);
  t.equal(c.tenant.keys[0]?.kid, 'k1');
  t.ok(c.tenant.keys[0]?.secret.equals(Buffer.from(env.RELAYCHECK_TENANT_KEY ?? '', 'base64')));
  t.equal(c.tenant.keys[0]?.secret.length, 32);
  t.equal(c.serviceBus.key, env.RELAYCHECK_SB_KEY);
  t.equal(c.hybrid.key, env.RELAYCHECK_HC_KEY);
  t.same(c.serviceBus.entities, {
    handshake: 'handshake',
    handshakeReplies: 'handshake-replies',
    requests: 'requests',
    replies: 'replies',
  });
  t.same(c.egress.ports, [443, 5671, 9350, 9351, 9352, 9353, 9354]);
  t.equal(c.egress.networkMapFile, undefined, 'production names no network map');
  t.ok('serviceTags' in c.egress.ranges);
  if ('serviceTags' in c.egress.ranges) {
    t.equal(
      c.egress.ranges.serviceTags.source,
      join(FIXTURES, '..', 'service-tags', 'ServiceTags_Public_excerpt_uk.json'),
      'the source path is resolved against the file',
    );
    t.same(c.egress.ranges.serviceTags.regions, ['uksouth', 'ukwest']);
  }
  t.same(c.connectivity, {
    mode: 'auto',
    probeTimeoutMs: 5000,
    reprobeIntervalMs: 300000,
    reconnectDelaysMs: [0, 1000, 2000, 5000, 10000, 30000],
    reconnectJitter: 0.2,
  });
  t.same(c.health, { host: '127.0.0.1', port: 9464 });
  t.equal(c.routes.length, 4);
  t.equal(c.source.format, 'yaml');
  t.same(isDeepFrozen(c), [], 'every object in the config is frozen');
});

void t.test('development.json loads with two keys, plain AMQP and a network map', async (t) => {
  const env = environment();
  const c = await loadRelayConfig(join(FIXTURES, 'development.json'), env);
  t.equal(c.profile, 'development');
  t.same(
    c.tenant.keys.map((k) => k.kid),
    ['k2', 'k1'],
  );
  t.ok(
    c.tenant.keys[1]?.secret.equals(Buffer.from(env.RELAYCHECK_TENANT_KEY_OLD ?? '', 'base64url')),
  );
  t.ok(c.egress.ports.includes(5672));
  t.equal(c.egress.networkMapFile, join(FIXTURES, 'network-map.json'));
  t.same(c.egress.ranges, { prefixes: ['51.140.0.0/15', '51.104.0.0/15'] });
  t.equal(c.log.level, 'debug');
  t.equal(c.source.format, 'json');
  t.same(isDeepFrozen(c), []);
});

void t.test('the same file parses from text with parseRelayConfig', (t) => {
  const file = join(FIXTURES, 'production.yaml');
  const c = parseRelayConfig(readFileSync(file, 'utf8'), { file, env: environment() });
  t.equal(c.source.baseDir, FIXTURES, 'the base directory defaults to the file directory');
  t.end();
});

void t.test('a missing instance id gets a generated default', (t) => {
  const file = join(FIXTURES, 'production.yaml');
  const text = readFileSync(file, 'utf8').replace('instanceId: relay-a\n', '');
  const a = parseRelayConfig(text, { file, env: environment() });
  const b = parseRelayConfig(text, { file, env: environment() });
  t.match(a.instanceId, /^[A-Za-z0-9._:@-]+-\d+-[0-9a-f]{6}$/);
  t.not(a.instanceId, b.instanceId, 'each start draws a new suffix');
  const c = parseRelayConfig(text, {
    file,
    env: environment(),
    defaultInstanceId: () => 'fixed-1',
  });
  t.equal(c.instanceId, 'fixed-1');
  t.end();
});
