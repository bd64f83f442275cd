// Every refusal of a bad config is a RelayConfigError RELAY_E_CONFIG whose message reads
// `<file>: <path>: expected <what>, got <what was found>` and whose details name the file
// and the path. One case per rule: types, patterns, enums, unknown fields, the cross-field
// rules (ports, profile, keys, routes, loopback health host, reconnect schedule).
import t from 'tap';
import { isRelayConfigError, parseRelayConfig } from '../../src/config';
import { sample, setPath } from './helpers/sample';

interface Case {
  readonly name: string;
  readonly set: readonly [readonly (string | number)[], unknown][];
  readonly path: string;
  readonly message: RegExp;
}

const CASES: readonly Case[] = [
  {
    name: 'a missing version',
    set: [[['version'], undefined]],
    path: 'version',
    message: /expected 1, got nothing/,
  },
  { name: 'version 2', set: [[['version'], 2]], path: 'version', message: /expected 1, got 2/ },
  {
    name: 'an unknown profile',
    set: [[['profile'], 'staging']],
    path: 'profile',
    message: /expected one of "production", "development", got "staging"/,
  },
  {
    name: 'an unknown top-level field',
    set: [[['egres'], {}]],
    path: 'egres',
    message:
      /expected one of the fields version, profile, .*egress.*, got the unknown field "egres"/,
  },
  {
    name: 'an unknown nested field',
    set: [[['egress', 'portz'], [443]]],
    path: 'egress.portz',
    message:
      /expected one of the fields ports, ranges, networkMapFile, got the unknown field "portz"/,
  },
  {
    name: 'a malformed tenant id',
    set: [[['tenant', 'id'], 'Council 42']],
    path: 'tenant.id',
    message: /expected a tenant id: 3-64 of a-z 0-9 -, got "Council 42"/,
  },
  {
    name: 'no tenant keys',
    set: [[['tenant', 'keys'], []]],
    path: 'tenant.keys',
    message: /expected at least 1 item, got a list of 0 items/,
  },
  {
    name: 'three tenant keys',
    set: [
      [['tenant', 'keys', 1], { kid: 'k2', secret: 'env:RC_TENANT_KEY' }],
      [['tenant', 'keys', 2], { kid: 'k3', secret: 'env:RC_TENANT_KEY' }],
    ],
    path: 'tenant.keys',
    message: /expected at most 2 items, got a list of 3 items/,
  },
  {
    name: 'two keys with one kid',
    set: [[['tenant', 'keys', 1], { kid: 'k1', secret: 'env:RC_TENANT_KEY' }]],
    path: 'tenant.keys[1].kid',
    message: /expected key ids that differ, got "k1" twice/,
  },
  {
    name: 'a malformed kid',
    set: [[['tenant', 'keys', 0, 'kid'], 'k 1']],
    path: 'tenant.keys[0].kid',
    message: /expected a key id/,
  },
  {
    name: 'a host that is not a DNS name',
    set: [[['serviceBus', 'host'], 'https://council-42.servicebus.windows.net']],
    path: 'serviceBus.host',
    message: /expected a DNS host name/,
  },
  {
    name: 'a missing SAS key name',
    set: [[['hybrid', 'keyName'], undefined]],
    path: 'hybrid.keyName',
    message: /expected a string, got nothing \(the field is missing\)/,
  },
  {
    name: 'two entities with one name',
    set: [[['serviceBus', 'entities'], { requests: 'handshake' }]],
    path: 'serviceBus.entities.requests',
    message: /expected an entity other than handshake's, got "handshake" again/,
  },
  {
    name: 'a repeated hybrid path',
    set: [
      [
        ['hybrid', 'paths'],
        ['a', 'A'],
      ],
    ],
    path: 'hybrid.paths[1]',
    message: /expected paths that differ/,
  },
  {
    name: 'a port outside the guide',
    set: [
      [
        ['egress', 'ports'],
        [443, 25],
      ],
    ],
    path: 'egress.ports[1]',
    message: /expected one of 80, 443, 5671, 5672, 9350, 9351, 9352, 9353, 9354, got 25/,
  },
  {
    name: 'plain AMQP in production',
    set: [
      [
        ['egress', 'ports'],
        [443, 5672],
      ],
    ],
    path: 'egress.ports[1]',
    message:
      /expected no plain AMQP \(5672\) outside the development profile, got 5672 with profile production/,
  },
  {
    name: 'a repeated port',
    set: [
      [
        ['egress', 'ports'],
        [443, 443],
      ],
    ],
    path: 'egress.ports[1]',
    message: /expected each port once, got 443 twice/,
  },
  {
    name: 'tcp mode without the tcp ports',
    set: [
      [['connectivity', 'mode'], 'tcp'],
      [
        ['egress', 'ports'],
        [443, 5671],
      ],
    ],
    path: 'egress.ports',
    message:
      /expected ports that include 9352 and 5671 .* for connectivity mode tcp, got \[443, 5671\]/,
  },
  {
    name: 'https mode without 443',
    set: [
      [['connectivity', 'mode'], 'https'],
      [
        ['egress', 'ports'],
        [5671, 9352],
      ],
    ],
    path: 'egress.ports',
    message: /expected ports that include 443 for connectivity mode https/,
  },
  {
    name: 'auto mode with no usable path',
    set: [
      [
        ['egress', 'ports'],
        [80, 9350],
      ],
    ],
    path: 'egress.ports',
    message: /for connectivity mode auto, got \[80, 9350\]/,
  },
  {
    name: 'both kinds of ranges',
    set: [[['egress', 'ranges', 'serviceTags'], { source: 'x.json', regions: ['uksouth'] }]],
    path: 'egress.ranges',
    message:
      /expected a mapping with exactly one of serviceTags, prefixes, got the fields prefixes, serviceTags/,
  },
  {
    name: 'no ranges at all',
    set: [[['egress', 'ranges'], {}]],
    path: 'egress.ranges',
    message: /expected a mapping with exactly one of serviceTags, prefixes, got an empty mapping/,
  },
  {
    name: 'a service-tag selection with no region',
    set: [[['egress', 'ranges'], { serviceTags: { source: 'x.json', regions: [] } }]],
    path: 'egress.ranges.serviceTags.regions',
    message: /expected at least 1 item/,
  },
  {
    name: 'a tag given with its region',
    set: [
      [
        ['egress', 'ranges'],
        { serviceTags: { source: 'x.json', regions: ['uksouth'], tags: ['ServiceBus.UKSouth'] } },
      ],
    ],
    path: 'egress.ranges.serviceTags.tags[0]',
    message: /expected a tag family such as ServiceBus \(no region\), got "ServiceBus.UKSouth"/,
  },
  {
    name: 'a prefix with host bits set',
    set: [[['egress', 'ranges', 'prefixes'], ['51.140.1.0/15']]],
    path: 'egress.ranges.prefixes[0]',
    message: /expected a canonical CIDR prefix .*, got "51.140.1.0\/15"/,
  },
  {
    name: 'a TLS version below 1.2',
    set: [[['tls', 'minVersion'], 'TLSv1.1']],
    path: 'tls.minVersion',
    message: /expected one of "TLSv1.2", "TLSv1.3", got "TLSv1.1"/,
  },
  {
    name: 'a back-office URL with credentials',
    set: [[['backOffice', 'council-tax'], 'http://user:pw@127.0.0.1:18080']],
    path: 'backOffice.council-tax',
    message: /expected an http or https base URL .*, got a URL with credentials/,
  },
  {
    name: 'a back-office URL of another scheme',
    set: [[['backOffice', 'council-tax'], 'ftp://127.0.0.1/']],
    path: 'backOffice.council-tax',
    message: /got the scheme "ftp"/,
  },
  {
    name: 'a route to an unknown service',
    set: [[['routes', 0, 'service'], 'council-rent']],
    path: 'routes[0].service',
    message: /expected a service named in backOffice \(council-tax\), got "council-rent"/,
  },
  {
    name: 'a repeated route',
    set: [[['routes', 1], { name: 'council-tax', service: 'council-tax' }]],
    path: 'routes[1].name',
    message: /expected route names that differ/,
  },
  {
    name: 'a health host on every interface',
    set: [[['health', 'host'], '0.0.0.0']],
    path: 'health.host',
    message: /expected a loopback host \(127.0.0.0\/8, ::1 or localhost\), got "0.0.0.0"/,
  },
  {
    name: 'a health host on a LAN address',
    set: [[['health', 'host'], '192.0.2.10']],
    path: 'health.host',
    message: /loopback/,
  },
  {
    name: 'a health port out of range',
    set: [[['health', 'port'], 70000]],
    path: 'health.port',
    message: /expected a number at most 65535, got 70000/,
  },
  {
    name: 'a fractional port',
    set: [[['health', 'port'], 94.5]],
    path: 'health.port',
    message: /expected an integer, got 94.5/,
  },
  {
    name: 'an unknown log level',
    set: [[['log', 'level'], 'verbose']],
    path: 'log.level',
    message: /expected one of "fatal",/,
  },
  {
    name: 'a decreasing reconnect schedule',
    set: [
      [
        ['connectivity', 'reconnectDelaysMs'],
        [0, 1000, 500],
      ],
    ],
    path: 'connectivity.reconnectDelaysMs[2]',
    message:
      /expected at least 1200 \(delays must not decrease, even with the largest jitter\), got 500/,
  },
  {
    name: 'a re-probe interval shorter than a probe',
    set: [
      [['connectivity', 'probeTimeoutMs'], 10000],
      [['connectivity', 'reprobeIntervalMs'], 5000],
    ],
    path: 'connectivity.reprobeIntervalMs',
    message: /expected at least probeTimeoutMs \(10000\), got 5000/,
  },
  {
    name: 'a string where a number goes',
    set: [[['limits', 'maxConcurrent'], '16']],
    path: 'limits.maxConcurrent',
    message: /expected a number, got "16"/,
  },
  {
    name: 'a malformed instance id',
    set: [[['instanceId'], 'relay a']],
    path: 'instanceId',
    message: /expected an instance id/,
  },
  {
    name: 'a back-office service name with a space',
    set: [[['backOffice', 'council tax'], 'http://127.0.0.1:1/']],
    path: 'backOffice["council tax"]',
    message: /got the key "council tax"/,
  },
];

for (const c of CASES) {
  void t.test(`${c.name} is refused with its path`, (t) => {
    const s = sample();
    for (const [path, value] of c.set) setPath(s.config, path, value);
    let error: unknown;
    try {
      parseRelayConfig(s.config, { file: 'relay.json', env: s.env });
    } catch (e) {
      error = e;
    }
    t.ok(isRelayConfigError(error), 'a RelayConfigError');
    if (!isRelayConfigError(error)) return t.end();
    t.equal(error.code, 'RELAY_E_CONFIG');
    t.equal(error.details.file, 'relay.json');
    t.equal(error.details.path, c.path);
    t.ok(error.message.startsWith(`relay.json: ${c.path}: expected `), error.message);
    t.match(error.message, c.message);
    t.match(error.message, /, got /);
    for (const secret of s.secrets)
      t.notOk(error.message.includes(secret), 'no secret in the message');
    t.end();
  });
}

void t.test('a valid sample is accepted (the cases above fail for their own reason)', (t) => {
  const s = sample();
  const c = parseRelayConfig(s.config, { file: 'relay.json', env: s.env });
  t.equal(c.tenant.id, 'council-42');
  t.equal(c.source.format, 'object');
  t.end();
});

void t.test('text input names the line and column of the bad value', (t) => {
  const s = sample();
  setPath(s.config, ['health', 'host'], '0.0.0.0');
  const text = JSON.stringify(s.config, null, 2);
  const line = text.split('\n').findIndex((l) => l.includes('0.0.0.0')) + 1;
  const error = t.throws(() =>
    parseRelayConfig(text, { file: 'relay.json', env: s.env }),
  ) as Error & {
    details: Record<string, unknown>;
  };
  t.equal(error.details.line, line);
  t.match(error.message, new RegExp(`\\(line ${line}, column \\d+\\)$`));
  t.end();
});

void t.test('the message never quotes a secret put in the wrong place', (t) => {
  const s = sample();
  const leaked = s.secrets[0] ?? '';
  setPath(s.config, ['tenant', 'keys', 0, 'secret'], 12345);
  t.throws(() => parseRelayConfig(s.config, { file: 'relay.json', env: s.env }), {
    message: /tenant.keys\[0\].secret: expected a string, got 12345/,
  });
  setPath(s.config, ['tenant', 'keys', 0, 'secret'], `${leaked}x`);
  const e = t.throws(() => parseRelayConfig(s.config, { file: 'relay.json', env: s.env })) as Error;
  t.notOk(e.message.includes(leaked), e.message);
  t.match(e.message, /got 45 characters/);
  t.end();
});
