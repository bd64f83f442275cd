// loadRelayConfig reads the file (size checked by stat before reading), resolves relative
// paths against the file's directory, and checks that tls.caFile is a readable PEM file and
// that the service-tag source is a readable file. Each problem names the config file and the
// path in it. Files live in a temporary directory removed at teardown.
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { loadRelayConfig, MAX_CONFIG_BYTES } from '../../src/config';
import { sample, setPath } from './helpers/sample';

const PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';

function workspace(t: tap.Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'relay-config-'));
  t.teardown(() => {
    rmSync(dir, { recursive: true, force: true });
  });
  return dir;
}

void t.test(
  'relative paths resolve against the config file, not the working directory',
  async (t) => {
    const dir = workspace(t);
    mkdirSync(join(dir, 'conf'));
    mkdirSync(join(dir, 'tags'));
    writeFileSync(join(dir, 'conf', 'ca.pem'), PEM);
    writeFileSync(join(dir, 'tags', 'tags.json'), '{}');
    const s = sample();
    setPath(s.config, ['tls', 'caFile'], 'ca.pem');
    setPath(s.config, ['egress', 'ranges'], {
      serviceTags: { source: '../tags/tags.json', regions: ['uksouth'], tags: ['ServiceBus'] },
    });
    setPath(s.config, ['egress', 'networkMapFile'], 'map/network-map.json');
    const file = join(dir, 'conf', 'relay.json');
    writeFileSync(file, JSON.stringify(s.config));
    const c = await loadRelayConfig(file, s.env);
    t.equal(c.tls.caFile, join(dir, 'conf', 'ca.pem'));
    t.same(c.egress.ranges, {
      serviceTags: {
        source: join(dir, 'tags', 'tags.json'),
        regions: ['uksouth'],
        tags: ['ServiceBus'],
      },
    });
    t.equal(
      c.egress.networkMapFile,
      join(dir, 'conf', 'map', 'network-map.json'),
      'not checked: it may appear later',
    );
    t.equal(c.source.file, file);
  },
);

void t.test('absolute paths are kept', async (t) => {
  const dir = workspace(t);
  writeFileSync(join(dir, 'ca.pem'), PEM);
  const s = sample();
  setPath(s.config, ['tls', 'caFile'], join(dir, 'ca.pem'));
  const file = join(dir, 'relay.yaml');
  writeFileSync(file, JSON.stringify(s.config)); // JSON is YAML too
  const c = await loadRelayConfig(file, s.env);
  t.equal(c.tls.caFile, join(dir, 'ca.pem'));
});

interface FileCase {
  readonly name: string;
  readonly arrange: (dir: string, config: Record<string, unknown>) => void;
  readonly message: RegExp;
}

const FILE_CASES: readonly FileCase[] = [
  {
    name: 'a missing CA file',
    arrange: (_dir, c) => {
      setPath(c, ['tls', 'caFile'], 'nope.pem');
    },
    message: /relay.json: tls.caFile: expected a readable file, got no such file at ".*nope.pem"/,
  },
  {
    name: 'a CA file that is a directory',
    arrange: (dir, c) => {
      mkdirSync(join(dir, 'ca.pem'));
      setPath(c, ['tls', 'caFile'], 'ca.pem');
    },
    message: /tls.caFile: expected a readable file, got a directory/,
  },
  {
    name: 'a CA file without a certificate',
    arrange: (dir, c) => {
      writeFileSync(join(dir, 'ca.pem'), 'not a certificate\n');
      setPath(c, ['tls', 'caFile'], 'ca.pem');
    },
    message:
      /tls.caFile: expected PEM certificates \(-----BEGIN CERTIFICATE-----\), got a file without one/,
  },
  {
    name: 'a missing service-tag source',
    arrange: (_dir, c) => {
      setPath(c, ['egress', 'ranges'], {
        serviceTags: { source: 'tags.json', regions: ['uksouth'] },
      });
    },
    message:
      /relay.json: egress.ranges.serviceTags.source: expected a readable file, got no such file/,
  },
];

for (const fc of FILE_CASES) {
  void t.test(`${fc.name} is refused naming the config and the field`, async (t) => {
    const dir = workspace(t);
    const s = sample();
    fc.arrange(dir, s.config);
    const file = join(dir, 'relay.json');
    writeFileSync(file, JSON.stringify(s.config));
    await t.rejects(loadRelayConfig(file, s.env), { code: 'RELAY_E_CONFIG', message: fc.message });
  });
}

void t.test(
  'a missing config file, a directory, a wrong extension and an oversize file are refused',
  async (t) => {
    const dir = workspace(t);
    await t.rejects(loadRelayConfig(join(dir, 'none.yaml'), {}), {
      code: 'RELAY_E_CONFIG',
      message: /none.yaml: \(file\): expected a readable file, got no such file/,
    });
    mkdirSync(join(dir, 'd.yaml'));
    await t.rejects(loadRelayConfig(join(dir, 'd.yaml'), {}), { message: /got a directory/ });
    writeFileSync(join(dir, 'relay.conf'), 'version: 1\n');
    await t.rejects(loadRelayConfig(join(dir, 'relay.conf'), {}), {
      message: /expected a file name ending in .yaml, .yml or .json/,
    });
    writeFileSync(join(dir, 'big.yaml'), Buffer.alloc(MAX_CONFIG_BYTES + 10, 0x20));
    await t.rejects(loadRelayConfig(join(dir, 'big.yaml'), {}), {
      message: new RegExp(
        `big.yaml: \\(file\\): expected a file of at most ${MAX_CONFIG_BYTES} bytes, got ${MAX_CONFIG_BYTES + 10} bytes`,
      ),
    });
  },
);

void t.test('the environment passed in is the one used', async (t) => {
  const dir = workspace(t);
  const s = sample();
  const file = join(dir, 'relay.json');
  writeFileSync(file, JSON.stringify(s.config));
  const other = { ...s.env, RC_SB_KEY: randomBytes(32).toString('base64') };
  const c = await loadRelayConfig(file, other);
  t.equal(c.serviceBus.key, other.RC_SB_KEY);
});
