// The network model's config edge: every listener and every dial target must be a loopback
// literal, refused otherwise with a typed error (logical addresses are never dialled); the
// rest of the shape is checked with zod, frozen, and typed errors name the offending path.
// Ranges can come from a real service-tag file; the relay config can be written to a file.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { contains, selectRanges } from '../../relay/src/egress/ranges';
import {
  isLoopbackLiteral,
  isSimNetError,
  parseNetworkConfig,
  relayConfigSchema,
  startNetworkModel,
  type NetworkConfigInput,
} from '../src/network';
import { startTestServer } from '../src/network/testing';

const HOST = 'council-42.servicebus.windows.net';
const tags = join(
  __dirname,
  '..',
  '..',
  'fixtures',
  'service-tags',
  'ServiceTags_Public_excerpt_uk.json',
);

function base(overrides: Partial<NetworkConfigInput> = {}): NetworkConfigInput {
  return {
    hosts: [
      {
        name: HOST,
        addresses: ['51.140.146.50'],
        services: [{ port: 5671, target: { host: '127.0.0.1', port: 45671 } }],
      },
    ],
    ...overrides,
  };
}

function refusal(t: tap.Test, input: unknown, code: string, message: RegExp): void {
  try {
    parseNetworkConfig(input);
    t.fail(`accepted: ${JSON.stringify(input)}`);
  } catch (e) {
    t.ok(isSimNetError(e, code as never), `${code}: ${(e as Error).message}`);
    t.match((e as Error).message, message);
  }
}

void t.test('a non-loopback listener, dial target or control API is refused at the edge', (t) => {
  const target = (host: string) =>
    base({
      hosts: [
        {
          name: HOST,
          addresses: ['51.140.146.50'],
          services: [{ port: 5671, target: { host, port: 5671 } }],
        },
      ],
    });
  refusal(t, base({ listenHost: '0.0.0.0' }), 'SIM_E_NET_NOT_LOOPBACK', /listenHost.*"0\.0\.0\.0"/);
  refusal(t, base({ listenHost: '::' }), 'SIM_E_NET_NOT_LOOPBACK', /listenHost/);
  refusal(t, base({ listenHost: 'localhost' }), 'SIM_E_NET_NOT_LOOPBACK', /literal loopback/);
  refusal(t, target('51.140.146.50'), 'SIM_E_NET_NOT_LOOPBACK', /target\.host.*51\.140\.146\.50/);
  refusal(t, target('198.51.100.3'), 'SIM_E_NET_NOT_LOOPBACK', /target\.host/);
  refusal(t, target('203.0.113.1'), 'SIM_E_NET_NOT_LOOPBACK', /target\.host/);
  refusal(t, target('example.com'), 'SIM_E_NET_NOT_LOOPBACK', /target\.host/);
  refusal(
    t,
    base({ control: { host: '203.0.113.10' } }),
    'SIM_E_NET_NOT_LOOPBACK',
    /control\.host/,
  );
  t.ok(parseNetworkConfig(target('127.0.0.2')), '127.0.0.0/8 is loopback');
  t.ok(parseNetworkConfig(base({ listenHost: '::1' })), '::1 is loopback');
  t.same(
    [
      '127.0.0.1',
      '127.255.255.254',
      '::1',
      '::ffff:127.0.0.1',
      '128.0.0.1',
      '::2',
      'localhost',
      '',
    ].map(isLoopbackLiteral),
    [true, true, true, true, false, false, false, false],
  );
  t.end();
});

void t.test('the shape is checked and errors name the offending path', (t) => {
  refusal(t, base({ hosts: [] }), 'SIM_E_NET_CONFIG', /hosts/);
  refusal(t, { ...base(), colour: 'blue' }, 'SIM_E_NET_CONFIG', /colour|Unrecognized/i);
  refusal(
    t,
    base({
      hosts: [
        {
          name: HOST,
          addresses: ['51.140.146.50'],
          services: [{ port: 8080, target: { host: '127.0.0.1', port: 1 } }],
        },
      ],
    }),
    'SIM_E_NET_PORT',
    /8080 is not one the simulator serves/,
  );
  refusal(
    t,
    base({
      hosts: [
        { name: 'not a name', services: [{ port: 443, target: { host: '127.0.0.1', port: 1 } }] },
      ],
    }),
    'SIM_E_NET_CONFIG',
    /hosts\[0\]\.name/,
  );
  refusal(
    t,
    base({
      hosts: [
        {
          name: HOST,
          addresses: ['51.140.146.50'],
          services: [{ port: 443, target: { host: '127.0.0.1', port: 1 } }],
        },
        {
          name: HOST.toUpperCase(),
          addresses: ['51.140.146.51'],
          services: [{ port: 443, target: { host: '127.0.0.1', port: 1 } }],
        },
      ],
    }),
    'SIM_E_NET_CONFIG',
    /listed twice/,
  );
  refusal(
    t,
    base({
      hosts: [
        {
          name: HOST,
          addresses: ['51.140.146.500'],
          services: [{ port: 443, target: { host: '127.0.0.1', port: 1 } }],
        },
      ],
    }),
    'SIM_E_NET_CIDR',
    /addresses\[0\]/,
  );
  refusal(
    t,
    base({ ranges: { prefixes: ['51.140.146.50/29'] } }),
    'SIM_E_NET_CIDR',
    /ranges\.prefixes\[0\]/,
  );
  refusal(
    t,
    base({
      firewall: {
        defaultPolicy: 'accept',
        rules: [{ verdict: 'accept', destination: 'any', ports: 0 }],
      },
    }),
    'SIM_E_NET_PORT',
    /rules\[0\]\.ports/,
  );
  refusal(
    t,
    base({ faults: [{ type: 'jitterbug' }] }),
    'SIM_E_NET_FAULT_TYPE',
    /faults\[0\]\.type/,
  );
  refusal(
    t,
    base({ faults: [{ type: 'latency' }] }),
    'SIM_E_NET_FAULT',
    /faults\[0\]\.attributes\.latencyMs/,
  );
  refusal(
    t,
    base({ faults: [{ type: 'timeout' }, { type: 'timeout' }] }),
    'SIM_E_NET_FAULT',
    /"timeout_downstream" is used twice/,
  );
  t.end();
});

void t.test('a parsed config is frozen all the way down', (t) => {
  const c = parseNetworkConfig(base());
  t.ok(Object.isFrozen(c) && Object.isFrozen(c.hosts[0]?.services[0]?.target));
  t.throws(() => {
    (c as { seed: number }).seed = 2;
  });
  t.equal(parseNetworkConfig(c), c, 'parsing a parsed config returns it');
  t.end();
});

void t.test('a host without an address and without ranges cannot start', async (t) => {
  await t.rejects(
    startNetworkModel({
      hosts: [{ name: HOST, services: [{ port: 443, target: { host: '127.0.0.1', port: 1 } }] }],
    }),
    { code: 'SIM_E_NET_POOL' },
  );
  await t.rejects(
    startNetworkModel(base({ faults: [{ type: 'timeout', endpoint: { port: 443 } }] })),
    { code: 'SIM_E_NET_UNKNOWN_ENDPOINT' },
  );
});

void t.test(
  'ranges from a service-tag file; the relay config is written to a file on every change',
  async (t) => {
    const echo = await startTestServer('echo');
    t.teardown(() => echo.close());
    const dir = mkdtempSync(join(tmpdir(), 'relaycheck-net-'));
    t.teardown(() => {
      rmSync(dir, { recursive: true, force: true });
    });
    const path = join(dir, 'relay-endpoints.json');
    const model = await startNetworkModel({
      ranges: { source: tags, regions: ['uksouth'], tags: ['ServiceBus'] },
      hosts: [
        { name: HOST, services: [{ port: 5671, target: { host: echo.host, port: echo.port } }] },
      ],
      relayConfigPath: path,
    });
    t.teardown(() => model.close());
    const set = selectRanges(readFileSync(tags, 'utf8'), {
      regions: ['uksouth'],
      tags: ['ServiceBus'],
    }).set;
    const written = relayConfigSchema.parse(JSON.parse(readFileSync(path, 'utf8')));
    const [address = ''] = written.hosts[0]?.addresses ?? [];
    t.ok(contains(set, address), `${address} comes from ServiceBus.UKSouth`);
    t.ok(
      written.endpoints.every((e) => isLoopbackLiteral(e.dial.host)),
      'every dial target is loopback',
    );
    t.ok(
      written.endpoints.every((e) => !isLoopbackLiteral(e.logicalAddress)),
      'logical addresses are names only',
    );
    model.dns.move(HOST);
    await model.settled();
    const rewritten = relayConfigSchema.parse(JSON.parse(readFileSync(path, 'utf8')));
    t.equal(rewritten.endpoints.length, 2, 'the moved address was added');
    t.same(rewritten, model.relayConfig());
  },
);

void t.test('a closed model refuses further changes with a typed error', async (t) => {
  const model = await startNetworkModel(base());
  await model.close();
  await t.rejects(model.faults.add({ type: 'timeout' }), { code: 'SIM_E_NET_CLOSED' });
  await t.rejects(model.firewall.set({ rules: [] }), { code: 'SIM_E_NET_CLOSED' });
  await t.rejects(model.reset(), { code: 'SIM_E_NET_CLOSED' });
});
