// The DNS model: names answer logical addresses drawn from the selected service-tag ranges,
// deterministically from the seed; the dns.lookup-shaped resolver (callback and promise) that
// a relay injects; an endpoint that moves subnet; a poisoned answer that the relay's egress
// containment code catches; every query and answer is an event. No real DNS is ever asked.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import diagnostics from 'node:diagnostics_channel';
import t from 'tap';
import { cidrContains, parseAddress } from '../../relay/src/egress/cidr';
import { contains, selectRanges, type RangeSet } from '../../relay/src/egress/ranges';
import {
  DnsModel,
  NetEvents,
  compileRuleset,
  evaluate,
  isSimNetError,
  rulesFromServiceTags,
  startNetworkModel,
} from '../src/network';
import { dial, readBytes, startTestServer } from '../src/network/testing';

const NAME = 'council-42.servicebus.windows.net';
const source = readFileSync(
  join(__dirname, '..', '..', 'fixtures', 'service-tags', 'ServiceTags_Public_excerpt_uk.json'),
  'utf8',
);
const selection = selectRanges(source, { regions: ['uksouth', 'ukwest'], tags: ['ServiceBus'] });
const set: RangeSet = selection.set;
const pool = set.entries.map((e) => e.cidr);

function model(seed: number, events?: NetEvents): DnsModel {
  return new DnsModel({
    seed,
    pool,
    hosts: [
      { name: NAME },
      { name: 'council-7.servicebus.windows.net' },
      { name: 'fixed.example', addresses: ['51.140.146.50', '2603:1020:705::701'] },
    ],
    events,
  });
}

void t.test(
  'a name answers an IPv4 address from the selected ranges, the same for the same seed',
  (t) => {
    const a = model(7).record(NAME);
    const b = model(7).record(NAME);
    t.same(a, b, 'deterministic from the seed');
    t.equal(a.addresses.length, 1);
    const [address = ''] = a.addresses;
    t.ok(contains(set, address), `${address} is in ServiceBus.UKSouth/UKWest`);
    t.equal(parseAddress(address).family, 4);
    const draws = new Set(
      [1, 2, 3, 4, 5, 6, 7, 8].map((seed) => model(seed).record(NAME).addresses[0]),
    );
    t.ok(draws.size > 1, 'another seed draws another address');
    t.end();
  },
);

void t.test(
  'the callback resolver has the shape of dns.lookup and answers asynchronously',
  async (t) => {
    const dns = model(1);
    const [expected = ''] = dns.record(NAME).addresses;
    let sync = true;
    const one = await new Promise<unknown[]>((resolve) => {
      dns.lookup(`${NAME.toUpperCase()}.`, (...args: unknown[]) => {
        resolve([sync, ...args]);
      });
      sync = false;
    });
    t.same(
      one,
      [false, null, expected, 4],
      'case and a trailing dot do not matter; not called synchronously',
    );
    const all = await new Promise<unknown[]>((resolve) => {
      dns.lookup('fixed.example', { all: true }, (...args: unknown[]) => {
        resolve(args);
      });
    });
    t.same(all, [
      null,
      [
        { address: '51.140.146.50', family: 4 },
        { address: '2603:1020:705::701', family: 6 },
      ],
    ]);
    const v6 = await new Promise<unknown[]>((resolve) => {
      dns.lookup('fixed.example', 6, (...args: unknown[]) => {
        resolve(args);
      });
    });
    t.same(v6, [null, '2603:1020:705::701', 6]);
    const literal = await new Promise<unknown[]>((resolve) => {
      dns.lookup('51.140.146.51', {}, (...args: unknown[]) => {
        resolve(args);
      });
    });
    t.same(literal, [null, '51.140.146.51', 4], 'an IP literal answers itself');
    const missing = await new Promise<unknown[]>((resolve) => {
      dns.lookup('nope.servicebus.windows.net', (...args: unknown[]) => {
        resolve(args);
      });
    });
    t.ok(isSimNetError(missing[0], 'SIM_E_NET_NXDOMAIN'), 'an unknown name is NXDOMAIN');
    t.match(missing[0], {
      details: { dnsCode: 'ENOTFOUND', hostname: 'nope.servicebus.windows.net' },
    });
  },
);

void t.test(
  'the promise resolver answers like dns.promises.lookup and rejects with a typed error',
  async (t) => {
    const dns = model(1);
    const [expected = ''] = dns.record(NAME).addresses;
    t.same(await dns.lookupPromise(NAME), { address: expected, family: 4 });
    t.same(await dns.lookupPromise(NAME, { all: true }), [{ address: expected, family: 4 }]);
    await t.rejects(dns.lookupPromise(NAME, 6), {
      code: 'SIM_E_NET_NXDOMAIN',
      details: { family: 6 },
    });
    await t.rejects(dns.lookupPromise(''), { code: 'SIM_E_NET_NXDOMAIN' });
  },
);

void t.test('every query and answer is an event on sim:net:dns-*', async (t) => {
  const events = new NetEvents({ limit: 100, now: () => 0, model: 'dns-test' });
  const dns = model(1, events);
  const published: unknown[] = [];
  const listener = (m: unknown): void => {
    published.push(m);
  };
  diagnostics.subscribe('sim:net:dns-answer', listener);
  t.teardown(() => diagnostics.unsubscribe('sim:net:dns-answer', listener));
  await dns.lookupPromise(NAME);
  await t.rejects(dns.lookupPromise('unknown.example'));
  const log = events.since(0).map((e) => [e.channel, e.data.name, e.data.found]);
  t.same(log, [
    ['sim:net:dns-query', NAME, undefined],
    ['sim:net:dns-answer', NAME, true],
    ['sim:net:dns-query', 'unknown.example', undefined],
    ['sim:net:dns-answer', 'unknown.example', false],
  ]);
  t.equal(published.length, 2, 'answers reach diagnostics_channel subscribers');
});

void t.test('a name moves to another prefix of the selection, deterministically', (t) => {
  const a = model(3);
  const b = model(3);
  const [before = ''] = a.record(NAME).addresses;
  const moved = a.move(NAME);
  const [after = ''] = moved.addresses;
  t.not(after, before);
  t.ok(contains(set, after), 'still in the allowed ranges');
  const oldPrefixes = set.entries.filter((e) => cidrContains(e.cidr, parseAddress(before)));
  t.ok(
    oldPrefixes.every((e) => !cidrContains(e.cidr, parseAddress(after))),
    'in another subnet',
  );
  t.same(moved.history, [before, after]);
  t.equal(moved.moves, 1);
  t.same(b.move(NAME).addresses, [after], 'the same seed moves the same way');
  a.reset();
  t.same(a.record(NAME).addresses, [before], 'reset restores the start answer');
  t.end();
});

void t.test('a move with nowhere to go is a typed refusal', (t) => {
  const dns = new DnsModel({
    seed: 1,
    pool: [pool[5] ?? pool[0]].flatMap((c) => (c ? [c] : [])),
    hosts: [{ name: NAME }],
  });
  t.throws(() => dns.move(NAME), { code: 'SIM_E_NET_POOL' });
  t.throws(() => new DnsModel({ seed: 1, pool: [], hosts: [{ name: NAME }] }), {
    code: 'SIM_E_NET_POOL',
  });
  t.throws(() => dns.move('other.example'), { code: 'SIM_E_NET_NXDOMAIN' });
  t.throws(() => dns.setAnswer(NAME, ['51.140.146.050']), { code: 'SIM_E_NET_CIDR' });
  t.end();
});

void t.test(
  'a poisoned answer outside the ranges is caught by the egress containment code',
  async (t) => {
    const dns = model(1);
    dns.setAnswer(NAME, ['203.0.113.7']);
    const answer = await dns.lookupPromise(NAME);
    t.same(answer, { address: '203.0.113.7', family: 4 });
    t.notOk(contains(set, '203.0.113.7'), 'relay/src/egress says: not in the selected ranges');
    const ruleset = compileRuleset({ defaultPolicy: 'reject', rules: rulesFromServiceTags(set) });
    t.equal(
      evaluate(ruleset, '203.0.113.7', 5671).verdict,
      'reject',
      'and a tag-based firewall rejects it',
    );
  },
);

void t.test(
  'the proxies follow the DNS: a moved name and a poisoned one get endpoints of their own',
  async (t) => {
    const echo = await startTestServer('echo');
    t.teardown(() => echo.close());
    const net = await startNetworkModel(
      {
        seed: 11,
        hosts: [
          { name: NAME, services: [{ port: 5671, target: { host: echo.host, port: echo.port } }] },
        ],
        firewall: { defaultPolicy: 'reject', rules: rulesFromServiceTags(set) },
      },
      { ranges: set },
    );
    t.teardown(() => net.close());
    const [first = ''] = net.dns.record(NAME).addresses;
    const moved = net.dns.move(NAME);
    await net.settled();
    const [second = ''] = moved.addresses;
    const config = net.relayConfig();
    t.same(config.hosts, [{ name: NAME, addresses: [second] }]);
    t.same(
      config.endpoints.map((e) => [e.logicalAddress, e.port, e.current]),
      [
        [first, 5671, false],
        [second, 5671, true],
      ],
    );
    const target = config.endpoints.find((e) => e.logicalAddress === second);
    if (target === undefined) throw new Error('no endpoint for the new address');
    const r = await dial(target.dial.port);
    if (r.socket === undefined) throw new Error(`dial failed: ${r.error}`);
    r.socket.write('moved');
    t.equal((await readBytes(r.socket, 5)).toString(), 'moved', 'the new subnet keeps working');
    r.socket.destroy();

    net.dns.setAnswer(NAME, ['203.0.113.7']);
    await net.settled();
    const poisoned = net.endpoints.get('203.0.113.7:5671');
    t.match(poisoned, { current: true, state: 'refusing', verdict: 'reject' });
    t.same(
      await dial(poisoned?.dial.port ?? 0),
      { error: 'ECONNREFUSED' },
      'a relay that dials it anyway is refused',
    );
  },
);
