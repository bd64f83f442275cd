// Validation at the edge of the relay's messaging. In: bad key rings and bad options for the
// handshake client, the work receiver and the sealed HC handler. Out: RELAY_E_SESSION_CONFIG or
// RELAY_E_WORK_CONFIG naming the field; the key ring serialises to key ids only.
import { randomBytes } from 'node:crypto';
import t from 'tap';
import {
  parseHandshakeClientOptions,
  parseSealedHcOptions,
  parseWorkReceiverOptions,
  TenantKeys,
} from '../../src/messaging';

void t.test('the key ring takes one or two 32-byte keys with distinct, well-formed ids', (t) => {
  const key = randomBytes(32);
  const bad: [string, unknown, RegExp][] = [
    ['no key', [], /one or two/],
    ['three keys', [1, 2, 3].map((i) => ({ kid: `k${i}`, key })), /one or two/],
    ['a short key', [{ kid: 'k1', key: randomBytes(16) }], /keys\[0\]\.key: .*32 bytes/],
    ['a bad kid', [{ kid: 'k 1', key }], /keys\[0\]\.kid/],
    [
      'a repeated kid',
      [
        { kid: 'k1', key },
        { kid: 'k1', key },
      ],
      /keys\[1\]\.kid: k1 is repeated/,
    ],
  ];
  for (const [name, input, message] of bad) {
    t.throws(
      () => new TenantKeys(input as never),
      { code: 'RELAY_E_SESSION_CONFIG', message },
      name,
    );
  }
  const ring = new TenantKeys([
    { kid: 'k2', key },
    { kid: 'k1', key: randomBytes(32) },
  ]);
  t.equal(ring.primary.kid, 'k2', 'the first key is the primary');
  t.ok(ring.get('k2')?.equals(key));
  t.equal(ring.get('k3'), undefined);
  t.equal(JSON.stringify(ring), '{"kids":["k2","k1"]}', 'serialises to key ids only');
  key.fill(0);
  t.notOk(ring.get('k2')?.equals(key), 'the ring holds its own copy');
  t.end();
});

void t.test('options errors name the field', (t) => {
  t.throws(() => parseHandshakeClientOptions({ tenant: 'council-42', instanceId: 'relay a' }), {
    code: 'RELAY_E_SESSION_CONFIG',
    message: /^instanceId: /,
  });
  t.throws(() => parseHandshakeClientOptions({ tenant: 'C42', instanceId: 'relay-a' }), {
    code: 'RELAY_E_SESSION_CONFIG',
    message: /^tenant: /,
  });
  t.throws(
    () =>
      parseHandshakeClientOptions({ tenant: 'council-42', instanceId: 'r', renewAtFraction: 1 }),
    { message: /^renewAtFraction: / },
  );
  t.throws(() => parseWorkReceiverOptions({ tenant: 'council-42', routes: [] }), {
    code: 'RELAY_E_WORK_CONFIG',
    message: /^routes: /,
  });
  t.throws(() => parseWorkReceiverOptions({ tenant: 'council-42', routes: ['a b'] }), {
    message: /^routes\.0: /,
  });
  t.throws(() => parseSealedHcOptions({ tenant: 'council-42', profile: 'test' }), {
    code: 'RELAY_E_WORK_CONFIG',
    message: /^profile: /,
  });
  const o = parseHandshakeClientOptions({ tenant: 'council-42', instanceId: 'relay-a' });
  t.equal(o.handshakeEntity, 'handshake');
  t.equal(o.handshakeRepliesEntity, 'handshake-replies');
  t.equal(o.renewAtFraction, 0.8);
  t.same(o.reconnectDelaysMs, [0, 1_000, 2_000, 5_000, 10_000, 30_000]);
  t.ok(Object.isFrozen(o));
  const w = parseWorkReceiverOptions({ tenant: 'council-42', routes: ['council-tax'] });
  t.equal(w.profile, 'production', 'production by default');
  t.equal(w.requestsEntity, 'requests');
  t.equal(w.repliesEntity, 'replies');
  t.end();
});
