// The whole simulated world from one config (issue 5, done-when): Service Bus, Azure Relay,
// back office and the network model start together; the relay config names every logical
// endpoint (addresses from the selected service-tag ranges, the guide's ports) with the
// loopback port that stands for it; the same seed gives the same addresses and the same
// back-office bytes; parts can be left out; bad input gets the right typed error.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { selectRangesFromFile } from '../../relay/src/egress/load';
import { contains } from '../../relay/src/egress/ranges';
import { parseWorldConfig, startWorld, type World, type WorldKeys } from '../src/world';

const KEYS = (): WorldKeys => ({
  rootManageKey: randomBytes(32).toString('base64'),
  relayKey: randomBytes(32).toString('base64'),
  tenantKey: randomBytes(32).toString('base64'),
  handshakeKey: randomBytes(32),
});

async function world(t: tap.Test, input: unknown): Promise<World> {
  const dir = mkdtempSync(join(tmpdir(), 'relaycheck-world-'));
  const w = await startWorld(parseWorldConfig(input, KEYS()), { dir });
  t.teardown(async () => {
    await w.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return w;
}

/** The first bytes a loopback listener sends after `hello` (or on connect). */
function firstBytes(port: number, hello: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(hello));
    socket.once('data', (b: Buffer) => {
      socket.destroy();
      resolve(b);
    });
    socket.once('error', reject);
  });
}

const AMQP_HEADER = Buffer.from([0x41, 0x4d, 0x51, 0x50, 0x00, 0x01, 0x00, 0x00]);

void t.test('starts every part and maps every logical endpoint to loopback', async (t) => {
  const w = await world(t, { seed: 7 });
  const r = w.relayConfig();
  t.equal(r.serviceBus?.host, 'council-42.servicebus.windows.net');
  t.equal(r.hybrid?.host, 'council-42-relay.servicebus.windows.net');
  t.equal(r.serviceBus?.keyName, 'relay', "the relay's own Listen+Send rule, not the root key");
  t.equal(r.hybrid?.keyName, 'council-relay');
  t.ok(
    r.backOffice !== null && Object.keys(r.backOffice).length === 8,
    'eight back-office services',
  );
  t.same(Object.keys(r.control).sort(), [
    'backOffice',
    'hybrid',
    'network',
    'serviceBus',
    'tenant',
  ]);
  const sessions: unknown = await (await fetch(`${r.control.tenant ?? ''}/sessions`)).json();
  t.same(sessions, { tenant: 'council-42', sessions: [] }, 'the tenant control API answers');

  const endpoints = r.network?.endpoints ?? [];
  const ports = (host: string): number[] =>
    endpoints
      .filter((e) => e.host === host)
      .map((e) => e.port)
      .sort((a, b) => a - b);
  t.same(ports('council-42.servicebus.windows.net'), [443, 5671, 5672]);
  t.same(ports('council-42-relay.servicebus.windows.net'), [80, 443, 9350, 9351, 9352, 9353, 9354]);
  for (const e of endpoints)
    t.equal(e.dial.host, '127.0.0.1', `${e.host}:${e.port} dials loopback`);

  // The logical addresses come from the selected ranges (ServiceBus, UK South and West).
  const selection = await selectRangesFromFile(
    join(__dirname, '..', '..', 'fixtures', 'service-tags', 'ServiceTags_Public_excerpt_uk.json'),
    { regions: ['uksouth', 'ukwest'], tags: ['ServiceBus'] },
  );
  for (const e of endpoints) {
    t.ok(
      contains(selection.set, e.logicalAddress),
      `${e.logicalAddress} is in the selected ranges`,
    );
  }

  // Through the network model's proxy for logical 5672, the Service Bus plain listener answers.
  const plain = endpoints.find((e) => e.host === r.serviceBus?.host && e.port === 5672);
  if (plain === undefined) throw new Error('no 5672 endpoint');
  t.same(
    (await firstBytes(plain.dial.port, AMQP_HEADER)).subarray(0, 4),
    Buffer.from('AMQP'),
    'the Service Bus simulator answers through the proxy',
  );
  t.equal(statSync(w.relayConfigPath).mode & 0o777, 0o600, 'the relay config (keys) is 0600');
  t.ok(w.caPath !== undefined && statSync(w.caPath).size > 0, 'one CA bundle');
});

void t.test('the same seed gives the same addresses and the same back-office bytes', async (t) => {
  const a = await world(t, { seed: 11 });
  const b = await world(t, { seed: 11 });
  const c = await world(t, { seed: 12 });
  const addresses = (w: World): string[] =>
    (w.relayConfig().network?.endpoints ?? []).map(
      (e) => `${e.host} ${e.logicalAddress}:${e.port}`,
    );
  t.same(addresses(a), addresses(b), 'same seed, same logical addresses');
  t.not(JSON.stringify(addresses(a)), JSON.stringify(addresses(c)), 'another seed, other ones');

  const refs = (w: World): readonly string[] => w.backOffice?.data.councilTax.references ?? [];
  const ref = refs(a)[0];
  if (ref === undefined) throw new Error('no council tax account');
  t.same(refs(a), refs(b), 'same accounts');
  const body = async (w: World): Promise<string> =>
    (await fetch(`${w.backOffice?.url('council-tax') ?? ''}/accounts/${ref}`)).text();
  const [xa, xb] = await Promise.all([body(a), body(b)]);
  t.match(xa, /^<\?xml/);
  t.equal(xa, xb, 'byte-identical XML for the same account');
});

void t.test('writes relay.json in the relay format and keeps network-map.json live', async (t) => {
  const w = await world(t, { seed: 3 });
  const path = w.relayFilePath;
  const mapPath = w.networkMapPath;
  if (path === undefined || mapPath === undefined) throw new Error('no relay.json or map');
  t.equal(statSync(path).mode & 0o777, 0o600, 'relay.json holds keys: 0600');
  const file = JSON.parse(readFileSync(path, 'utf8')) as {
    tenant: { id: string; keys: { kid: string; secret: string }[] };
    serviceBus: { host: string; keyName: string; entities: Record<string, string> };
    hybrid: { host: string; paths: string[] };
    egress: { ports: number[]; networkMapFile: string };
    tls: { caFile?: string };
  };
  t.equal(file.tenant.id, 'council-42');
  t.equal(Buffer.from(file.tenant.keys[0]?.secret ?? '', 'base64').length, 32, 'a 32-byte K');
  t.equal(file.serviceBus.keyName, 'relay');
  t.same(Object.values(file.serviceBus.entities).sort(), [
    'handshake',
    'handshake-replies',
    'replies',
    'requests',
  ]);
  t.notOk(file.egress.ports.includes(5672), 'production profile: no plain AMQP port');
  t.notOk(file.egress.ports.includes(80), 'port 80 never carries council data');
  t.equal(file.egress.networkMapFile, mapPath);
  t.equal(file.tls.caFile, w.caPath);

  const read = (): { hosts: { name: string; addresses: string[] }[] } =>
    JSON.parse(readFileSync(mapPath, 'utf8')) as { hosts: { name: string; addresses: string[] }[] };
  const before = read().hosts.find((h) => h.name === file.serviceBus.host)?.addresses ?? [];
  t.equal(before.length, 1, 'the map answers the Service Bus host');
  const model = w.network;
  if (model === undefined) throw new Error('no network model');
  model.dns.move(file.serviceBus.host);
  await model.settled();
  const after = read().hosts.find((h) => h.name === file.serviceBus.host)?.addresses ?? [];
  t.not(after[0], before[0], 'a DNS move is written to the map');
});

void t.test(
  'without the tenant, Service Bus, Azure Relay or network there is no relay.json',
  async (t) => {
    const w = await world(t, { tenant: false, backOffice: false });
    t.equal(w.relayFilePath, undefined);
    t.throws(
      () => parseWorldConfig({}, { ...KEYS(), handshakeKey: randomBytes(16) }),
      { code: 'SIM_E_WORLD_CONFIG', message: /32 bytes/ },
      'a short handshake key is refused',
    );
  },
);

void t.test('a part set to false is left out', async (t) => {
  const w = await world(t, { serviceBus: false, backOffice: false });
  const r = w.relayConfig();
  t.equal(r.serviceBus, null);
  t.equal(r.backOffice, null);
  t.ok(r.hybrid !== null);
  t.notOk(
    (r.network?.endpoints ?? []).some((e) => e.host === 'council-42.servicebus.windows.net'),
    'no Service Bus endpoints',
  );
});

void t.test('refuses a bad config with the code of the part at fault', (t) => {
  const keys = KEYS();
  t.throws(() => parseWorldConfig({ unknownPart: {} }, keys), {
    code: 'SIM_E_WORLD_CONFIG',
    message: /simulator config: Unrecognized key/,
  });
  t.throws(() => parseWorldConfig({ seed: -1 }, keys), { code: 'SIM_E_WORLD_CONFIG' });
  t.throws(() => parseWorldConfig({ hybrid: { namespace: 'x' } }, keys), {
    code: 'SIM_E_HC_CONFIG',
  });
  t.throws(() => parseWorldConfig({ serviceBus: { queues: 'q' } }, keys), {
    code: 'SIM_E_SB_CONFIG',
  });
  t.throws(() => parseWorldConfig({ backOffice: { seed: [] } }, keys), {
    code: 'SIM_E_BO_CONFIG',
  });
  t.throws(() => parseWorldConfig({ tenant: { requestTtlMs: 999 } }, keys), {
    code: 'SIM_E_WORLD_CONFIG',
  });
  t.throws(() => parseWorldConfig({ hybridLimits: { listenerIdleTimeoutMs: -1 } }, keys), {
    message: /listenerIdleTimeoutMs/,
  });
  t.end();
});

void t.test("the Relay endpoint's limits may be set; Azure's figures by default", (t) => {
  const keys = KEYS();
  const set = parseWorldConfig({ hybridLimits: { listenerIdleTimeoutMs: 60_000 } }, keys);
  t.equal(set.hybridLimits.listenerIdleTimeoutMs, 60_000);
  t.equal(set.hybridLimits.responseDeadlineMs, 60_000, 'the others keep their defaults');
  t.equal(parseWorldConfig({}, keys).hybridLimits.listenerIdleTimeoutMs, 0, 'default: off');
  t.end();
});

void t.test("the tenant's request time-to-live may be set (a scenario scales it)", (t) => {
  const keys = KEYS();
  t.equal(
    parseWorldConfig({ tenant: { requestTtlMs: 900_000 } }, keys).tenant?.requestTtlMs,
    900_000,
  );
  t.equal(parseWorldConfig({}, keys).tenant?.requestTtlMs, undefined, "default: the driver's");
  t.end();
});
