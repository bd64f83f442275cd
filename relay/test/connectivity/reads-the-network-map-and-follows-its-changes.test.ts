// The network map: the simulator's hosts and endpoint map, read from its file. In: map
// files written (atomically, by rename) into a temporary directory, and bad ones. Out: the
// resolver answers the map's hosts, the plan dials the loopback target of the checked
// logical address:port, a rewritten file is picked up at the next dial (an endpoint that
// moves subnet keeps working), an address the map does not serve is _UNMAPPED, and bad
// files are RELAY_E_EGRESS_MAP errors naming the file and the path in it.
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import {
  createEgress,
  mapEndpoint,
  networkMapFile,
  parseNetworkMap,
  type NetworkMap,
} from '../../src/connectivity';
import { FakeSockets, HC_HOST, RANGES, SB_HOST, testSettings } from './helpers/fakes';

function mapOf(sbAddress: string, ports: Record<number, number>): unknown {
  return {
    version: 1,
    hosts: [
      { name: SB_HOST, addresses: [sbAddress] },
      { name: HC_HOST, addresses: ['198.51.100.20'] },
    ],
    endpoints: Object.entries(ports).map(([port, dialPort]) => ({
      host: SB_HOST,
      logicalAddress: sbAddress,
      port: Number(port),
      dial: { host: '127.0.0.1', port: dialPort },
      current: true,
    })),
  };
}

function tempDir(t: tap.Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'relay-conn-map-'));
  t.teardown(() => {
    rmSync(dir, { recursive: true, force: true });
  });
  return dir;
}

/** Writes like the simulator: a temporary file, then rename over the map. */
function writeAtomically(file: string, content: unknown): void {
  const tmp = `${file}.tmp`;
  writeFileSync(tmp, typeof content === 'string' ? content : JSON.stringify(content));
  renameSync(tmp, file);
}

void t.test(
  'the plan resolves with the map hosts and dials the mapped loopback target',
  async (t) => {
    const file = join(tempDir(t), 'network-map.json');
    writeAtomically(file, mapOf('198.51.100.10', { 5671: 41001, 443: 41002 }));
    const egress = await createEgress(
      testSettings({ egress: { ranges: { prefixes: RANGES }, networkMapFile: file } }),
      { sockets: new FakeSockets() },
    );
    const amqps = await egress.plan({ host: SB_HOST, port: 5671, purpose: 'amqps' });
    t.same(
      { address: amqps.address, dial: amqps.dial, mapped: amqps.mapped },
      { address: '198.51.100.10', dial: { host: '127.0.0.1', port: 41001 }, mapped: true },
    );
    const upper = await egress.plan({
      host: SB_HOST.toUpperCase() + '.',
      port: 443,
      purpose: 'wss',
    });
    t.equal(upper.dial.port, 41002, 'names compare case-insensitively, a trailing dot ignored');
    await t.rejects(egress.plan({ host: SB_HOST, port: 9352, purpose: 'hc' }), {
      code: 'RELAY_E_EGRESS_UNMAPPED',
      message: /no endpoint for 198\.51\.100\.10 port 9352/,
    });
    await t.rejects(
      egress.plan({ host: 'other.servicebus.windows.net', port: 443, purpose: 'x' }),
      {
        code: 'RELAY_E_EGRESS_DNS',
        message: /no such name in .*network-map\.json/,
      },
    );
  },
);

void t.test(
  'a rewritten map is read again: an endpoint that moves subnet keeps working',
  async (t) => {
    const file = join(tempDir(t), 'network-map.json');
    writeAtomically(file, mapOf('198.51.100.10', { 5671: 41001 }));
    const egress = await createEgress(
      testSettings({ egress: { ranges: { prefixes: RANGES }, networkMapFile: file } }),
      { sockets: new FakeSockets() },
    );
    t.equal((await egress.plan({ host: SB_HOST, port: 5671, purpose: 'a' })).dial.port, 41001);
    writeAtomically(file, mapOf('198.51.100.200', { 5671: 41005 }));
    const moved = await egress.plan({ host: SB_HOST, port: 5671, purpose: 'a' });
    t.equal(moved.address, '198.51.100.200', 'the new answer is used');
    t.equal(moved.dial.port, 41005, 'through its own endpoint');

    writeAtomically(file, mapOf('203.0.113.50', { 5671: 41006 }));
    await t.rejects(
      egress.plan({ host: SB_HOST, port: 5671, purpose: 'a' }),
      {
        code: 'RELAY_E_EGRESS_RANGE',
      },
      'a move outside the ranges is refused',
    );
  },
);

void t.test('an unchanged file is parsed once; a stat per read decides', async (t) => {
  let reads = 0;
  let stamp = 1;
  const content = Buffer.from(JSON.stringify(mapOf('198.51.100.10', { 443: 41002 })));
  const source = networkMapFile('/virtual/map.json', {
    stat: () =>
      Promise.resolve({ size: content.byteLength, mtimeMs: stamp, ino: 7, isFile: () => true }),
    readFile: () => {
      reads += 1;
      return Promise.resolve(content);
    },
  });
  await Promise.all([source.read(), source.read(), source.read()]);
  await source.read();
  t.equal(reads, 1, 'concurrent and repeated reads share one parse');
  stamp = 2;
  await source.read();
  t.equal(reads, 2, 'a new mtime is read again');
});

void t.test('bad map files are typed errors naming the file and the path', async (t) => {
  const dir = tempDir(t);
  const cases: [string, unknown, RegExp][] = [
    ['not-json.json', '{"version":', /not valid JSON/],
    ['wrong-version.json', { version: 2, hosts: [], endpoints: [] }, /version/],
    [
      'name-as-dial.json',
      {
        version: 1,
        hosts: [],
        endpoints: [
          {
            host: SB_HOST,
            logicalAddress: '198.51.100.10',
            port: 443,
            dial: { host: 'localhost', port: 1 },
            current: true,
          },
        ],
      },
      /endpoints\[0\]\.dial\.host: an IP address literal/,
    ],
    [
      'bad-port.json',
      {
        version: 1,
        hosts: [],
        endpoints: [
          {
            host: SB_HOST,
            logicalAddress: '198.51.100.10',
            port: 70000,
            dial: { host: '127.0.0.1', port: 1 },
            current: true,
          },
        ],
      },
      /endpoints\[0\]\.port/,
    ],
  ];
  for (const [name, content, pattern] of cases) {
    const file = join(dir, name);
    writeAtomically(file, content);
    await t.rejects(
      networkMapFile(file).read(),
      { code: 'RELAY_E_EGRESS_MAP', message: pattern },
      name,
    );
  }
  await t.rejects(networkMapFile(join(dir, 'missing.json')).read(), {
    code: 'RELAY_E_EGRESS_MAP',
    message: /no such file/,
  });
  await t.rejects(
    createEgress(
      testSettings({
        egress: { ranges: { prefixes: RANGES }, networkMapFile: join(dir, 'missing.json') },
      }),
    ),
    { code: 'RELAY_E_EGRESS_MAP' },
    'createEgress reads the map once and fails early',
  );
});

void t.test('map lookups compare canonical addresses', (t) => {
  const map: NetworkMap = parseNetworkMap({
    version: 1,
    hosts: [],
    endpoints: [
      {
        host: SB_HOST,
        logicalAddress: '2001:DB8:1:0:0:0:0:5',
        port: 443,
        dial: { host: '::1', port: 41010 },
        current: true,
      },
    ],
  });
  t.equal(mapEndpoint(map, '2001:db8:1::5', 443)?.dial.port, 41010);
  t.equal(mapEndpoint(map, '2001:db8:1::5', 5671), undefined);
  t.equal(mapEndpoint(map, 'garbage', 443), undefined);
  t.end();
});
