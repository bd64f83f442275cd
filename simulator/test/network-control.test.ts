// The network model's control API over real HTTP on loopback: DNS answers, firewall rules and
// faults change at run time and reach the proxies before the answer; the event log is read
// by sequence number; POST /reset restores the start state; bad requests get typed errors.
import t from 'tap';
import { relayConfigSchema, startNetworkModel } from '../src/network';
import { dial, readBytes, startTestServer } from '../src/network/testing';

const HOST = 'council-42.servicebus.windows.net';

async function setup(t: tap.Test) {
  const echo = await startTestServer('echo');
  t.teardown(() => echo.close());
  const model = await startNetworkModel({
    ranges: { prefixes: ['51.140.146.48/29', '51.140.210.64/28'] },
    hosts: [
      {
        name: HOST,
        services: [
          { port: 5671, target: { host: echo.host, port: echo.port } },
          { port: 443, target: { host: echo.host, port: echo.port } },
        ],
      },
    ],
    firewall: { defaultPolicy: 'accept', rules: [] },
    faults: [{ name: 'start-lag', type: 'latency', attributes: { latencyMs: 0 } }],
    control: {},
  });
  t.teardown(() => model.close());
  const base = model.control?.url ?? '';
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${base}${path}`, {
      method,
      ...(body === undefined
        ? {}
        : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
    return { status: res.status, json: (await res.json()) as Record<string, unknown> };
  };
  return { model, call, base };
}

void t.test('the control API listens on loopback and shows the whole state', async (t) => {
  const { call, base, model } = await setup(t);
  t.match(base, /^http:\/\/127\.0\.0\.1:\d+$/);
  const state = await call('GET', '/state');
  t.equal(state.status, 200);
  t.equal((state.json.endpoints as unknown[]).length, 2);
  t.match(state.json.firewall, { defaultPolicy: 'accept', rules: [] });
  t.match(state.json.faults, [{ name: 'start-lag', type: 'latency' }]);
  const relay = await call('GET', '/relay-config');
  t.same(relay.json, model.relayConfig());
  t.ok(
    relayConfigSchema.safeParse(relay.json).success,
    'the relay config has its documented shape',
  );
});

void t.test('DNS answers change at run time and get endpoints before the answer', async (t) => {
  const { call, model } = await setup(t);
  const poisoned = await call('POST', '/dns/answer', { name: HOST, addresses: ['203.0.113.9'] });
  t.equal(poisoned.status, 200);
  t.same(poisoned.json.addresses, ['203.0.113.9']);
  const relay = (await call('GET', '/relay-config')).json as {
    endpoints: { logicalAddress: string; current: boolean }[];
  };
  t.ok(relay.endpoints.some((e) => e.logicalAddress === '203.0.113.9' && e.current));
  const moved = await call('POST', '/dns/move', { name: HOST });
  t.equal(moved.status, 200);
  const [address = ''] = moved.json.addresses as string[];
  t.match(address, /^51\.140\.(146|210)\./, 'moved back into the ranges');
  t.equal(model.endpoints.get(`${address}:443`)?.state, 'listening');
  const unknown = await call('POST', '/dns/move', { name: 'nope.example' });
  t.same([unknown.status, unknown.json.code], [404, 'SIM_E_NET_NXDOMAIN']);
  const bad = await call('POST', '/dns/answer', { name: HOST, addresses: ['999.1.1.1'] });
  t.same([bad.status, bad.json.code], [400, 'SIM_E_NET_CIDR']);
});

void t.test('firewall rules change at run time; a malformed rule is refused whole', async (t) => {
  const { call, model } = await setup(t);
  const set = await call('PUT', '/firewall', {
    defaultPolicy: 'drop',
    rules: [{ name: 'tls-only', verdict: 'accept', destination: 'any', ports: [443] }],
    existing: 'apply',
  });
  t.equal(set.status, 200);
  t.match(set.json, { defaultPolicy: 'drop', rules: [{ name: 'tls-only', ports: ['443'] }] });
  const [amqps] = [...model.endpoints.values()].filter((e) => e.port === 5671);
  t.match(amqps, { verdict: 'drop', state: 'listening' });
  const bad = await call('PUT', '/firewall', {
    rules: [{ verdict: 'accept', destination: '51.140.146.50/29', ports: 443 }],
  });
  t.same([bad.status, bad.json.code], [400, 'SIM_E_NET_CIDR']);
  t.equal(model.firewall.ruleset.defaultPolicy, 'drop', 'the old rules stay in force');
  const wrong = await call('PUT', '/firewall', { rules: [], existing: 'sometimes' });
  t.same([wrong.status, wrong.json.code], [400, 'SIM_E_CTL_REQUEST']);
});

void t.test('faults are added, listed and removed; mistakes get typed errors', async (t) => {
  const { call, model } = await setup(t);
  const added = await call('POST', '/faults', {
    name: 'cut',
    type: 'limit_data',
    direction: 'downstream',
    attributes: { bytes: 3 },
    endpoint: { host: HOST.toUpperCase(), port: 443 },
  });
  t.equal(added.status, 200);
  t.match(added.json, { name: 'cut', endpoint: { host: HOST, port: 443 }, toxicity: 1 });
  const port = [...model.endpoints.values()].find((e) => e.port === 443)?.dial.port ?? 0;
  const r = await dial(port);
  if (r.socket === undefined) throw new Error(`dial failed: ${r.error}`);
  r.socket.write('abcdef');
  t.equal((await readBytes(r.socket, 3)).toString(), 'abc');
  r.socket.destroy();
  const cases: [unknown, number, string][] = [
    [{ type: 'packet_loss' }, 400, 'SIM_E_NET_FAULT_TYPE'],
    [{ type: 'latency', attributes: { latencyMs: -1 } }, 400, 'SIM_E_NET_FAULT'],
    [{ type: 'latency', attributes: { latencyMs: 5, colour: 'red' } }, 400, 'SIM_E_NET_FAULT'],
    [
      { type: 'latency', direction: 'sideways', attributes: { latencyMs: 5 } },
      400,
      'SIM_E_NET_FAULT',
    ],
    [{ type: 'latency', toxicity: 2, attributes: { latencyMs: 5 } }, 400, 'SIM_E_NET_FAULT'],
    [{ type: 'down', toxicity: 0.5 }, 400, 'SIM_E_NET_FAULT'],
    [{ name: 'cut', type: 'timeout' }, 400, 'SIM_E_NET_FAULT'],
    [{ type: 'timeout', endpoint: { port: 9352 } }, 404, 'SIM_E_NET_UNKNOWN_ENDPOINT'],
    [{ type: 'timeout', endpoint: { host: 'other.example' } }, 404, 'SIM_E_NET_UNKNOWN_ENDPOINT'],
    ['not json', 400, 'SIM_E_CTL_REQUEST'],
  ];
  for (const [body, status, code] of cases) {
    const res = await call('POST', '/faults', body);
    t.same([res.status, res.json.code], [status, code], JSON.stringify(body));
  }
  t.same(
    ((await call('GET', '/faults')).json.faults as { name: string }[]).map((f) => f.name),
    ['start-lag', 'cut'],
  );
  const removed = await call('DELETE', '/faults?name=cut');
  t.match(removed.json, { removed: { name: 'cut' } });
  const again = await call('DELETE', '/faults?name=cut');
  t.same([again.status, again.json.code], [404, 'SIM_E_NET_UNKNOWN_FAULT']);
  t.same((await call('POST', '/faults/clear')).json, { faults: [] });
  t.same(model.faults.list(), []);
});

void t.test('the event log is read after a sequence number', async (t) => {
  const { call, model } = await setup(t);
  const first = await call('GET', '/events');
  const last = first.json.last as number;
  t.ok(last > 0);
  await model.dns.lookupPromise(HOST);
  const later = await call('GET', `/events?after=${last}`);
  t.same(
    (later.json.events as { channel: string }[]).map((e) => e.channel),
    ['sim:net:dns-query', 'sim:net:dns-answer'],
  );
  const limited = await call('GET', '/events?after=0&limit=1');
  t.equal((limited.json.events as unknown[]).length, 1);
  const bad = await call('GET', '/events?after=-1');
  t.same([bad.status, bad.json.code], [400, 'SIM_E_CTL_REQUEST']);
});

void t.test('POST /reset restores DNS answers, rules, faults and the event log', async (t) => {
  const { call, model } = await setup(t);
  const start = (await call('GET', '/state')).json;
  await call('POST', '/dns/move', { name: HOST });
  await call('PUT', '/firewall', { defaultPolicy: 'reject', rules: [] });
  await call('POST', '/faults/clear');
  await call('POST', '/faults', { name: 'x', type: 'timeout' });
  t.not(JSON.stringify((await call('GET', '/state')).json), JSON.stringify(start));
  const reset = await call('POST', '/reset', {});
  t.same(reset.json, { reset: true, connections: 'keep' });
  const after = (await call('GET', '/state')).json;
  t.same(after.dns, start.dns, 'the start answers, history and move count');
  t.same(after.firewall, start.firewall);
  t.same(after.faults, start.faults);
  t.same(
    (after.endpoints as { key: string; state: string }[]).map((e) => [e.key, e.state]),
    (start.endpoints as { key: string; state: string }[]).map((e) => [e.key, e.state]),
    'the moved address endpoints are gone; the start ones listen again',
  );
  const log = (await call('GET', '/events')).json.events as { channel: string }[];
  t.equal(log[0]?.channel, 'sim:net:reset', 'the log restarts at the reset');
  t.equal(model.events.since(0).length, log.length);
});

void t.test('an unknown route is a typed 404', async (t) => {
  const { call } = await setup(t);
  const res = await call('GET', '/nothing');
  t.same([res.status, res.json.code], [404, 'SIM_E_CTL_ROUTE']);
});
