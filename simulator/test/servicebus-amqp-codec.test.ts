// Wire conversions and CBS decisions of the AMQP edge. In: lock tokens, times, audiences,
// SAS tokens from relay/src/protocol/sas. Out: delivery tags in .NET GUID order that the SDK
// reads back as the same token, .NET ticks, audiences split and checked against the
// namespace's host names, grants that cover their entity and children with the rule's rights.
import fc from 'fast-check';
import { randomUUID } from 'node:crypto';
import t from 'tap';
import { createSasToken, type SasRight } from '../../relay/src/protocol/sas';
import { checkProperty } from '../../suites/lib/property';
import { CbsSession, splitAudience } from '../src/cloud/servicebus/amqp/cbs';
import {
  lockTokenToTag,
  msToTicks,
  tagToLockToken,
  ticksToMs,
} from '../src/cloud/servicebus/amqp/codec';

void t.test('a lock token survives the .NET GUID byte order both ways', (t) =>
  checkProperty(
    t,
    fc.property(fc.uuid(), (uuid) => {
      const tag = lockTokenToTag(uuid);
      return tag.length === 16 && tagToLockToken(tag) === uuid.toLowerCase();
    }),
    500,
  ),
);

void t.test('the tag is the SDK order: first three groups byte-swapped', (t) => {
  const tag = lockTokenToTag('00112233-4455-6677-8899-aabbccddeeff');
  t.equal(tag.toString('hex'), '33221100554477668899aabbccddeeff');
  t.end();
});

void t.test('.NET ticks round-trip to the millisecond', (t) => {
  const now = Date.UTC(2026, 10, 22, 4, 0, 0, 123);
  const wrapped = msToTicks(now) as { value: Buffer };
  t.equal(wrapped.value.readBigInt64BE(), BigInt(now) * 10000n + 621355968000000000n);
  t.equal(ticksToMs(wrapped.value), now);
  t.end();
});

void t.test('audiences split into host and entity path', (t) => {
  t.same(splitAudience('sb://localhost:5673/q1/$management'), {
    authority: 'localhost:5673',
    host: 'localhost',
    path: 'q1/$management',
  });
  t.same(splitAudience('amqps://[::1]:5671/Q1'), { authority: '[::1]', host: '[::1]', path: 'q1' });
  t.same(splitAudience('sb://council-42.servicebus.windows.net/'), {
    authority: 'council-42.servicebus.windows.net',
    host: 'council-42.servicebus.windows.net',
    path: '',
  });
  t.equal(splitAudience('not a uri with spaces'), undefined);
  t.end();
});

void t.test('put-token: grants by audience, rights by rule, hosts of this namespace only', (t) => {
  const key = randomUUID();
  const rules = [
    {
      keyName: 'listen',
      key,
      rights: new Set<SasRight>(['Listen']),
      scope: 'sb://council-42.servicebus.windows.net/',
    },
  ];
  const expired: string[] = [];
  const cbs = new CbsSession(
    {
      rules,
      logicalHost: 'council-42.servicebus.windows.net',
      aliases: ['localhost', '::1'],
      maxLifetimeSeconds: 7200,
      clock: { now: () => Date.now() },
    },
    (path) => expired.push(path),
  );
  t.teardown(() => {
    cbs.close();
  });
  const token = (resource: string): string => createSasToken({ resource, keyName: 'listen', key });
  const type = 'servicebus.windows.net:sastoken';

  const ok = cbs.putToken('sb://localhost:5999/q1', type, token('sb://localhost:5999/q1'));
  t.match(ok, { status: 202, path: 'q1', keyName: 'listen' });
  t.doesNotThrow(() => {
    cbs.authorize('q1/$DeadLetterQueue', 'Listen');
  }, 'a grant covers the entity and its children');
  t.throws(
    () => {
      cbs.authorize('q1', 'Send');
    },
    { code: 'SIM_E_AMQP_UNAUTHORIZED', message: /'Send' claim/ },
  );
  t.throws(
    () => {
      cbs.authorize('q2', 'Listen');
    },
    { code: 'SIM_E_AMQP_UNAUTHORIZED', message: /No valid token/ },
  );

  t.match(cbs.putToken('sb://[::1]:5999/q2', type, token('sb://[::1]:5999/q2')), { status: 202 });
  t.match(cbs.putToken('sb://evil.example/q1', type, token('sb://evil.example/q1')), {
    status: 401,
    reason: 'SIM_E_AMQP_CBS_REFUSED',
  });
  t.match(cbs.putToken('sb://localhost/q1', 'jwt', 'eyJ...'), {
    status: 401,
    reason: 'SIM_E_AMQP_CBS_REFUSED',
  });
  t.match(cbs.putToken('sb://localhost/q1', type, token('sb://localhost/q2')), {
    status: 403,
    reason: 'SAS_E_RESOURCE',
    condition: 'amqp:unauthorized-access',
  });
  t.match(cbs.putToken('sb://localhost/q1', type, 'SharedAccessSignature sr=x'), {
    status: 401,
    reason: 'SAS_E_FORMAT',
  });
  t.same(expired, [], 'nothing expired yet');
  t.end();
});
