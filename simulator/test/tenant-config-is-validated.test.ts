// The tenant driver's config at the edge. In: good and bad driver options. Out: defaults filled
// and frozen, keys decoded from bytes, base64 or base64url into non-enumerable 32-byte Buffers
// (printing the config shows no key), and SIM_E_TENANT_CONFIG naming the path for a bad tenant,
// a short key, a repeated kid, three active keys or a non-http sender URL.
import { randomBytes } from 'node:crypto';
import t from 'tap';
import { parseTenantDriverConfig } from '../src/cloud/tenant';

void t.test('a tenant driver config gets defaults, decoded hidden keys and is frozen', (t) => {
  const key = randomBytes(32);
  const c = parseTenantDriverConfig({
    tenant: 'council-42',
    keys: [
      { kid: 'k1', key: key.toString('base64') },
      { kid: 'k2', key: randomBytes(32).toString('base64url') },
      { kid: 'k0', key: randomBytes(32), state: 'retired' },
    ],
  });
  t.equal(c.profile, 'production');
  t.same(c.entities, {
    handshake: 'handshake',
    handshakeReplies: 'handshake-replies',
    requests: 'requests',
    replies: 'replies',
  });
  t.equal(c.ttlSeconds, 3600);
  t.equal(c.watchDeadLetters, false);
  t.ok(c.keys[0]?.key.equals(key), 'base64 decoded');
  t.equal(c.keys[1]?.key.length, 32, 'base64url decoded');
  t.equal(c.keys[2]?.state, 'retired');
  t.notOk(JSON.stringify(c).includes(key.toString('base64')), 'no key when printed');
  t.notOk(JSON.stringify(c).includes('"key"'), 'key fields are hidden');
  t.ok(Object.isFrozen(c) && Object.isFrozen(c.keys) && Object.isFrozen(c.entities));
  t.end();
});

void t.test('bad tenant driver configs are refused with the path', (t) => {
  const key = randomBytes(32);
  const cases: [string, unknown, RegExp][] = [
    ['bad tenant', { tenant: 'Council 42', keys: [{ kid: 'k1', key }] }, /^tenant: /],
    ['no keys', { tenant: 'council-42', keys: [] }, /^keys: /],
    [
      'short key',
      { tenant: 'council-42', keys: [{ kid: 'k1', key: randomBytes(31) }] },
      /^keys\[0\]\.key: must be exactly 32 bytes/,
    ],
    [
      'not base64',
      { tenant: 'council-42', keys: [{ kid: 'k1', key: 'not base64!' }] },
      /^keys\[0\]\.key: /,
    ],
    [
      'repeated kid',
      {
        tenant: 'council-42',
        keys: [
          { kid: 'k1', key },
          { kid: 'k1', key },
        ],
      },
      /^keys\[1\]\.kid: k1 is repeated/,
    ],
    [
      'three active keys',
      { tenant: 'council-42', keys: ['a', 'b', 'c'].map((kid) => ({ kid, key })) },
      /^keys: at most two keys may be active/,
    ],
    [
      'ftp sender',
      {
        tenant: 'council-42',
        keys: [{ kid: 'k1', key }],
        hybrid: { url: 'ftp://x', host: 'h', keyName: 'n', key: 'k' },
      },
      /^hybrid\.url: /,
    ],
    [
      'unknown field',
      { tenant: 'council-42', keys: [{ kid: 'k1', key }], colour: 'red' },
      /^\(top level\): /,
    ],
  ];
  for (const [name, input, message] of cases) {
    t.throws(() => parseTenantDriverConfig(input), { code: 'SIM_E_TENANT_CONFIG', message }, name);
  }
  t.end();
});
