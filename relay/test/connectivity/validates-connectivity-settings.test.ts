// The connectivity part of the relay config. In: valid and invalid config objects. Out:
// frozen settings with the documented defaults; every refusal is RELAY_E_EGRESS_CONFIG
// naming the path and what was expected, never echoing a key; a TLS minimum below 1.2 is
// refused; ranges from a service-tag file are selected at createEgress.
import { join } from 'node:path';
import t from 'tap';
import { connectivitySettings, createEgress } from '../../src/connectivity';
import { RANGES, SB_HOST } from './helpers/fakes';

const base = {
  serviceBus: { host: SB_HOST, keyName: 'relay', key: 'k'.repeat(44) },
  egress: { ranges: { prefixes: RANGES } },
};

void t.test('defaults are applied and the settings are frozen', (t) => {
  const s = connectivitySettings(base);
  t.equal(s.profile, 'production');
  t.same(s.connectivity, {
    mode: 'auto',
    probeTimeoutMs: 5_000,
    reprobeIntervalMs: 300_000,
    reconnectDelaysMs: [0, 1_000, 2_000, 5_000, 10_000, 30_000],
    reconnectJitter: 0.2,
  });
  t.same(s.egress.ports, [443, 5671, 9350, 9351, 9352, 9353, 9354]);
  t.same(s.tls, { caFile: undefined, minVersion: 'TLSv1.2' });
  t.equal(s.hybrid, undefined);
  t.ok(Object.isFrozen(s) && Object.isFrozen(s.egress) && Object.isFrozen(s.egress.ports));
  t.equal(connectivitySettings(s), s, 'parsed settings pass through');
  t.end();
});

void t.test('the whole relay config may be given: unknown sections are ignored', (t) => {
  const s = connectivitySettings({
    ...base,
    version: 1,
    tenant: { id: 'council-42' },
    routes: [],
  } as Parameters<typeof connectivitySettings>[0]);
  t.equal(s.serviceBus.host, SB_HOST);
  t.end();
});

void t.test('refusals name the path and what was expected', (t) => {
  const bad: [unknown, RegExp][] = [
    [
      { ...base, egress: { ...base.egress, ports: [443, 5671, 8080] } },
      /egress\.ports\[2\]: one of 80, 443/,
    ],
    [{ ...base, tls: { minVersion: 'TLSv1.1' } }, /tls\.minVersion/],
    [{ ...base, tls: { minVersion: 'TLSv1' } }, /tls\.minVersion/],
    [{ ...base, connectivity: { mode: 'fast' } }, /connectivity\.mode/],
    [{ ...base, connectivity: { probeTimeoutMs: 0 } }, /connectivity\.probeTimeoutMs/],
    [{ ...base, egress: { ranges: {} } }, /egress\.ranges: exactly one of serviceTags or prefixes/],
    [
      {
        ...base,
        egress: {
          ranges: { prefixes: RANGES, serviceTags: { source: 'x.json', regions: ['uksouth'] } },
        },
      },
      /egress\.ranges/,
    ],
    [{ ...base, serviceBus: { ...base.serviceBus, host: 'bad host!' } }, /serviceBus\.host/],
    [{ ...base, serviceBus: { ...base.serviceBus, key: 'ab;cd' } }, /serviceBus\.key: printable/],
    [{ ...base, serviceBus: undefined }, /serviceBus/],
  ];
  for (const [input, message] of bad) {
    const e = (() => {
      try {
        connectivitySettings(input as Parameters<typeof connectivitySettings>[0]);
        return undefined;
      } catch (err) {
        return err as Error & { code?: string };
      }
    })();
    t.equal(e?.code, 'RELAY_E_EGRESS_CONFIG', String(message));
    t.match(e?.message ?? '', message);
    t.notMatch(e?.message ?? '', /kkkk|ab;cd/, 'the key is not echoed');
  }
  t.end();
});

void t.test('service-tag ranges are selected from the file at createEgress', async (t) => {
  const source = join(
    __dirname,
    '..',
    '..',
    '..',
    'fixtures',
    'service-tags',
    'ServiceTags_Public_excerpt_uk.json',
  );
  const egress = await createEgress(
    {
      ...base,
      egress: { ranges: { serviceTags: { source, regions: ['uksouth'], tags: ['ServiceBus'] } } },
    },
    { networkMap: null },
  );
  t.ok(egress.policy.ranges.entries.length > 0, 'prefixes were selected');
  await t.rejects(
    createEgress(
      { ...base, egress: { ranges: { serviceTags: { source, regions: ['mars'] } } } },
      { networkMap: null },
    ),
    { code: 'RELAY_E_EGRESS_CONFIG', message: /egress\.ranges: region "mars"/ },
  );
  await t.rejects(
    createEgress(
      { ...base, egress: { ranges: { prefixes: ['10.0.0.1/8'] } } },
      { networkMap: null },
    ),
    { code: 'RELAY_E_EGRESS_CONFIG', message: /host bits/ },
  );
});
