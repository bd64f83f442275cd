// Unit tests of the simulated namespace's config (simulator/src/cloud/servicebus/config.ts)
// and of the SIM_E_SB_* rows of docs/errors.md. In: config objects, good and bad. Out:
// assertions on defaults, freezing, refusals with paths, SAS rules and the catalogue rows.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { createSasToken, verifySasToken } from '../../relay/src/protocol/sas';
import {
  DEFAULT_LOCK_DURATION_MS,
  defaultNamespaceConfig,
  parseNamespaceConfig,
  sasRules,
  sasScope,
} from '../src/cloud/servicebus/config';
import { SIM_SB_ERRORS, SimServiceBusError } from '../src/cloud/servicebus/engine/errors';

const KEY = 'k-' + 'x'.repeat(40); // a test value, not a secret
const configError = (path: string) => ({
  name: 'SimServiceBusError',
  code: 'SIM_E_SB_CONFIG',
  details: { path },
});

void t.test('parseNamespaceConfig', async (t) => {
  await t.test('fills in the Azure defaults and freezes the whole tree', (t) => {
    const c = parseNamespaceConfig({
      namespace: 'council-42',
      queues: [{ name: 'q' }],
      topics: [{ name: 't', subscriptions: [{ name: 's' }] }],
    });
    t.equal(c.profile, 'standard');
    t.equal(c.maxMessageSizeBytes, 262_144);
    t.equal(c.host, 'council-42.servicebus.windows.net');
    const q = c.queues[0];
    t.equal(q?.lockDurationMs, DEFAULT_LOCK_DURATION_MS);
    t.equal(q?.maxDeliveryCount, 10);
    t.equal(q?.requiresSession, false);
    t.equal(q?.duplicateDetectionWindowMs, undefined, 'duplicate detection is off by default');
    t.same(c.topics[0]?.subscriptions[0]?.rules, [{ name: '$Default', filter: { type: 'true' } }]);
    t.ok(Object.isFrozen(c));
    t.ok(Object.isFrozen(c.queues));
    t.ok(Object.isFrozen(c.topics[0]?.subscriptions[0]?.rules[0]?.filter));
    t.end();
  });

  await t.test('gives the premium profile a 100 MB message limit', (t) => {
    const c = parseNamespaceConfig({ namespace: 'council-42', profile: 'premium' });
    t.equal(c.maxMessageSizeBytes, 100 * 1024 * 1024);
    t.end();
  });

  await t.test('refuses a bad namespace name, naming the path', (t) => {
    t.throws(() => parseNamespaceConfig({ namespace: '4x' }), configError('namespace'));
    t.throws(() => parseNamespaceConfig({}), configError('namespace'));
    t.throws(() => parseNamespaceConfig(null), configError('(top level)'));
    t.end();
  });

  await t.test('refuses unknown fields and wrong types with their path', (t) => {
    t.throws(
      () =>
        parseNamespaceConfig({
          namespace: 'council-42',
          queues: [{ name: 'q', lockDuration: 'PT1M' }],
        }),
      configError('queues[0]'),
    );
    t.throws(
      () =>
        parseNamespaceConfig({
          namespace: 'council-42',
          queues: [{ name: 'q', maxDeliveryCount: 1.5 }],
        }),
      configError('queues[0].maxDeliveryCount'),
    );
    t.throws(
      () =>
        parseNamespaceConfig({
          namespace: 'council-42',
          authorizationRules: [{ keyName: 'a', key: KEY, rights: ['Listen', 'Listen'] }],
        }),
      configError('authorizationRules[0].rights'),
    );
    t.end();
  });

  await t.test('refuses a name used twice, case-insensitively, across queues and topics', (t) => {
    t.throws(
      () =>
        parseNamespaceConfig({
          namespace: 'council-42',
          queues: [{ name: 'Jobs' }],
          topics: [{ name: 'jobs' }],
        }),
      configError('topics[0].name'),
    );
    t.throws(
      () =>
        parseNamespaceConfig({
          namespace: 'council-42',
          topics: [{ name: 't', subscriptions: [{ name: 's' }, { name: 'S' }] }],
        }),
      configError('topics[0].subscriptions[1].name'),
    );
    t.end();
  });

  await t.test('keeps values inside Azure limits unless relaxedLimits is set', (t) => {
    const oneSecondLock = {
      namespace: 'council-42',
      queues: [{ name: 'q', lockDurationMs: 1000 }],
    };
    t.throws(() => parseNamespaceConfig(oneSecondLock), configError('queues[0].lockDurationMs'));
    t.equal(
      parseNamespaceConfig({ ...oneSecondLock, relaxedLimits: true }).queues[0]?.lockDurationMs,
      1000,
    );
    t.throws(
      () =>
        parseNamespaceConfig({
          namespace: 'council-42',
          queues: [{ name: 'q', duplicateDetectionWindowMs: 1 }],
        }),
      configError('queues[0].duplicateDetectionWindowMs'),
    );
    t.end();
  });

  await t.test('accepts correlation filters on subscriptions', (t) => {
    const c = parseNamespaceConfig({
      namespace: 'council-42',
      topics: [
        {
          name: 't',
          subscriptions: [
            {
              name: 's',
              rules: [
                {
                  name: 'r',
                  filter: { type: 'correlation', subject: 'x', applicationProperties: { a: 1 } },
                },
              ],
            },
          ],
        },
      ],
    });
    t.equal(c.topics[0]?.subscriptions[0]?.rules[0]?.filter.type, 'correlation');
    t.end();
  });
});

void t.test('sasRules', async (t) => {
  const c = parseNamespaceConfig({
    namespace: 'council-42',
    authorizationRules: [{ keyName: 'root', key: KEY, rights: ['Manage', 'Listen', 'Send'] }],
    queues: [
      { name: 'q', authorizationRules: [{ keyName: 'q-send', key: KEY + 'q', rights: ['Send'] }] },
    ],
  });
  const rules = sasRules(c);
  const now = Date.UTC(2026, 0, 1);
  const clock = { now: () => now };
  const verify = (
    keyName: string,
    key: string,
    resource: string,
    right: 'Send' | 'Listen',
  ): unknown =>
    verifySasToken(
      createSasToken({ resource, keyName, key, expiresAt: now / 1000 + 60 }),
      { resource, right, rules, maxLifetimeSeconds: 3600 },
      { clock },
    );

  await t.test('scopes namespace rules to sb://<host>/ and entity rules to the entity', (t) => {
    t.same(
      rules.map((r) => [r.keyName, r.scope, [...r.rights]]),
      [
        ['root', 'sb://council-42.servicebus.windows.net/', ['Manage', 'Listen', 'Send']],
        ['q-send', 'sb://council-42.servicebus.windows.net/q', ['Send']],
      ],
    );
    t.equal(sasScope(c, 'q'), 'sb://council-42.servicebus.windows.net/q');
    t.end();
  });

  await t.test('verifySasToken accepts tokens signed with the configured keys', (t) => {
    t.ok(verify('root', KEY, sasScope(c, 'q'), 'Listen'));
    t.ok(verify('q-send', KEY + 'q', sasScope(c, 'q'), 'Send'));
    t.throws(() => verify('q-send', KEY + 'q', sasScope(c, 'q'), 'Listen'), {
      code: 'SAS_E_RIGHTS',
    });
    t.end();
  });
});

void t.test('defaultNamespaceConfig', async (t) => {
  await t.test('holds the entities a relay needs and only the keys it was given', (t) => {
    const c = defaultNamespaceConfig({ rootManageKey: KEY, relayKey: KEY + 'r' });
    t.same(
      c.queues.map((q) => [q.name, q.requiresSession]),
      [
        ['handshake', false],
        ['handshake-replies', true],
        ['requests', false],
        ['replies', true],
      ],
    );
    t.same(
      c.topics.map((x) => [x.name, x.subscriptions.map((s) => s.name)]),
      [['events', ['relay']]],
    );
    t.same(
      c.authorizationRules.map((r) => [r.keyName, r.key]),
      [
        ['RootManageSharedAccessKey', KEY],
        ['relay', KEY + 'r'],
      ],
    );
    t.end();
  });

  await t.test('refuses an empty key', (t) => {
    t.throws(
      () => defaultNamespaceConfig({ rootManageKey: '' }),
      configError('authorizationRules[0].key'),
    );
    t.end();
  });
});

void t.test(
  'docs/errors.md lists every SIM_E_SB code with its http status and amqp condition',
  (t) => {
    const doc = readFileSync(join(__dirname, '..', '..', 'docs', 'errors.md'), 'utf8');
    const section = doc.slice(doc.indexOf('## Simulated Service Bus'));
    for (const code of SIM_SB_ERRORS.codes) {
      const spec = SIM_SB_ERRORS.specs[code];
      t.ok(spec.amqp, `${code} has an amqp condition`);
      const row = section.split('\n').find((l) => l.startsWith(`| \`${code}\``));
      const cells = (row ?? '').split('|').map((c) => c.trim());
      t.equal(cells[3], String(spec.http), `${code} http`);
      t.equal(cells[4], `\`${spec.amqp ?? ''}\``, `${code} amqp`);
    }
    const e = new SimServiceBusError('SIM_E_SB_NOT_FOUND', 'x');
    t.equal(e.amqp, 'amqp:not-found');
    t.equal(e.http, 404);
    t.end();
  },
);
