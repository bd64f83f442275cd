// The Hybrid Connections namespace config and limits. In: good and bad input. Out: a frozen
// config with defaults, SAS rules scoped to the namespace and the paths, and SIM_E_HC_CONFIG
// naming the offending field; a refusal to bind anything but loopback.
import t from 'tap';
import {
  SimHybridError,
  hybridSasRules,
  parseHybridConfig,
  parseHybridLimits,
  startHybridSimulator,
  testHybridConfig,
} from '../src/cloud/hybrid';

void t.test('a config gets its defaults, its host, and is frozen', (t) => {
  const c = parseHybridConfig({ namespace: 'council-42', hybridConnections: [{ path: 'hyco' }] });
  t.equal(c.host, 'council-42.servicebus.windows.net');
  t.equal(c.hybridConnections[0]?.requiresClientAuthorization, true);
  t.ok(Object.isFrozen(c) && Object.isFrozen(c.hybridConnections[0]));
  t.end();
});

void t.test('SAS rules are scoped to the namespace or to their path', (t) => {
  const rules = hybridSasRules(parseHybridConfig(testHybridConfig().config));
  t.same(
    rules.map((r) => [r.keyName, r.scope]),
    [
      ['RootManageSharedAccessKey', 'sb://council-42.servicebus.windows.net/'],
      ['listen', 'sb://council-42.servicebus.windows.net/'],
      ['send', 'sb://council-42.servicebus.windows.net/'],
      ['hyco-listen', 'sb://council-42.servicebus.windows.net/hyco'],
    ],
  );
  t.end();
});

const bad: [string, unknown, string][] = [
  ['an unknown field', { namespace: 'council-42', extra: 1 }, '(top level)'],
  ['a bad namespace', { namespace: 'x' }, 'namespace'],
  [
    'a path with a slash',
    { namespace: 'council-42', hybridConnections: [{ path: 'a/b' }] },
    'hybridConnections[0].path',
  ],
  [
    'a path used twice (any case)',
    { namespace: 'council-42', hybridConnections: [{ path: 'Hyco' }, { path: 'hyco' }] },
    'hybridConnections[1].path',
  ],
  [
    'a right that does not exist',
    {
      namespace: 'council-42',
      authorizationRules: [{ keyName: 'k', key: 'v', rights: ['Admin'] }],
    },
    'authorizationRules[0].rights[0]',
  ],
  [
    'a key name used twice',
    {
      namespace: 'council-42',
      authorizationRules: [
        { keyName: 'k', key: 'v', rights: ['Listen'] },
        { keyName: 'k', key: 'w', rights: ['Send'] },
      ],
    },
    'authorizationRules[1].keyName',
  ],
];

for (const [what, input, path] of bad) {
  void t.test(`${what} is refused with SIM_E_HC_CONFIG naming ${path}`, (t) => {
    let error: unknown;
    try {
      parseHybridConfig(input);
    } catch (e) {
      error = e;
    }
    t.ok(error instanceof SimHybridError, 'a typed error');
    t.equal((error as SimHybridError).code, 'SIM_E_HC_CONFIG');
    t.equal((error as SimHybridError).details.path, path);
    t.end();
  });
}

void t.test('limits default to Azure figures and refuse nonsense', (t) => {
  const l = parseHybridLimits();
  t.equal(l.maxListenersPerPath, 25);
  t.equal(l.controlBodyBytes, 65_536);
  t.equal(l.responseDeadlineMs, 60_000);
  t.equal(l.rendezvousTtlMs, 30_000);
  t.throws(() => parseHybridLimits({ responseDeadlineMs: 0 }), { code: 'SIM_E_HC_CONFIG' });
  t.throws(() => parseHybridLimits({ unknown: 1 }), { code: 'SIM_E_HC_CONFIG' });
  t.end();
});

void t.test('the endpoint refuses to bind anything but loopback', async (t) => {
  await t.rejects(
    startHybridSimulator(testHybridConfig().config, {
      listeners: { https: false, tcp: false, plain: { host: '0.0.0.0' } },
      control: false,
    }),
    { code: 'SIM_E_HC_BIND' },
  );
});
