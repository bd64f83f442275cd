// `relaycheck firewall diff`: what changed between two downloads. In: the guide's 2019 list
// and the current-format excerpt, and small ServiceTags files made at run time. Out: per tag
// family and region the addresses added and removed (as the fewest prefixes, compared by
// address, not spelling), the change numbers of both, text or JSON, exit 0, or 1 with
// --exit-code when something changed; typed errors for what cannot be compared.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import t from 'tap';
import {
  cidrContains,
  loadServiceTagSource,
  parseCidr,
  parseSource,
  type Address,
  type Cidr,
} from '../../relay/src/egress';
import { diffSources, type DiffSide } from '../src/firewall/diff';
import { main } from '../src/main';
import { capture } from './lib/capture';

const TAGS = join(__dirname, '..', '..', 'fixtures', 'service-tags');
const EXCERPT = join(TAGS, 'ServiceTags_Public_excerpt_uk.json');
const LEGACY = join(TAGS, 'PublicIPs_uk_2019-09.xml');

async function cli(...args: string[]) {
  const io = capture();
  const code = await main(['node', 'relaycheck', 'firewall', 'diff', ...args], io);
  return { code, stdout: io.stdout, stderr: io.stderr };
}

async function side(path: string): Promise<DiffSide> {
  const loaded = await loadServiceTagSource(path);
  const source = parseSource(loaded.text, { format: loaded.format });
  return {
    info: {
      file: basename(path),
      format: source.format,
      layout: source.layout,
      changeNumber: source.changeNumber,
      cloud: source.cloud,
    },
    source,
  };
}

function tag(name: string, region: string, prefixes: string[]) {
  return {
    name,
    id: name,
    properties: {
      changeNumber: 1,
      region,
      regionId: 1,
      platform: 'Azure',
      systemService: name.startsWith('ServiceBus') ? 'AzureServiceBus' : '',
      addressPrefixes: prefixes,
      networkFeatures: ['API', 'NSG'],
    },
  };
}

async function tempDir(t: tap.Test): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'relaycheck-firewall-diff-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

async function tagsFile(dir: string, name: string, changeNumber: number, values: unknown[]) {
  const path = join(dir, name);
  await writeFile(path, JSON.stringify({ changeNumber, cloud: 'Public', values }, null, 2));
  return path;
}

/** The first, last and just-outside addresses of each prefix. */
function edges(cidrs: readonly Cidr[]): Address[] {
  return cidrs.flatMap((c) => {
    const size = 1n << BigInt((c.family === 4 ? 32 : 128) - c.length);
    return [c.network - 1n, c.network, c.network + size - 1n, c.network + size].map((value) => ({
      family: c.family,
      value,
    }));
  });
}

const within = (cidrs: readonly Cidr[], a: Address) => cidrs.some((c) => cidrContains(c, a));

void t.test(
  "the guide's 2019 list against the current excerpt: added and removed are exact",
  async (t) => {
    const before = await side(LEGACY);
    const after = await side(EXCERPT);
    const d = diffSources(before, after, { regions: ['uksouth', 'ukwest'] });
    t.ok(d.changed);
    t.same(
      d.groups.map((g) => `${g.family} ${g.region}`),
      ['AzureCloud uksouth', 'AzureCloud ukwest'],
    );
    for (const g of d.groups) {
      const old = before.source.groups
        .filter((x) => x.region.toLowerCase() === g.region)
        .flatMap((x) => x.prefixes);
      const neu = after.source.groups
        .filter((x) => x.region.toLowerCase() === g.region && x.family === 'AzureCloud')
        .flatMap((x) => x.prefixes);
      const added = g.added.map((p) => parseCidr(p));
      const removed = g.removed.map((p) => parseCidr(p));
      t.ok(added.length > 0, `${g.region}: ranges were added since 2019`);
      let wrong = 0;
      for (const a of edges([...old, ...neu, ...added, ...removed])) {
        if (within(added, a) !== (within(neu, a) && !within(old, a))) wrong++;
        if (within(removed, a) !== (within(old, a) && !within(neu, a))) wrong++;
      }
      t.equal(
        wrong,
        0,
        `${g.region}: every edge address is added, removed or neither as brute force says`,
      );
    }
    const text = await cli(LEGACY, EXCERPT, '--regions', 'uksouth,ukwest');
    t.equal(text.code, 0, 'exit 0 without --exit-code');
    t.match(
      text.stdout,
      'old: PublicIPs_uk_2019-09.xml (legacy AzurePublicIpAddresses XML: it has no change number',
    );
    t.match(
      text.stdout,
      'new: ServiceTags_Public_excerpt_uk.json (ServiceTags JSON, change number 367, cloud Public)',
    );
    t.match(
      text.stdout,
      /^AzureCloud uksouth: \d+ added, \d+ removed \(old region uksouth: \d+ prefixes; new AzureCloud\.uksouth: 230 prefixes\)$/m,
    );
    t.match(text.stdout, /^ {2}\+ 4\.158\.0\.0\/15$/m);
    t.match(text.stdout, /regenerate the rules and review them\n$/);
    t.equal((await cli(LEGACY, EXCERPT, '--exit-code')).code, 1, '--exit-code: 1 when changed');
  },
);

void t.test(
  'small files: a re-spelt prefix is no change; a new and a shrunk one are',
  async (t) => {
    const dir = await tempDir(t);
    const old = await tagsFile(dir, 'ServiceTags_Public_20261109.json', 100, [
      tag('AzureCloud.uksouth', 'uksouth', ['10.1.0.0/24', '10.1.1.0/24', '2603:1020:705::/120']),
      tag('AzureCloud.ukwest', 'ukwest', ['10.2.0.0/24']),
      tag('ServiceBus.UKSouth', 'uksouth', ['10.1.0.0/28']),
    ]);
    const neu = await tagsFile(dir, 'ServiceTags_Public_20261116.json', 101, [
      tag('AzureCloud.uksouth', 'uksouth', ['10.1.0.0/23', '10.1.4.0/25', '2603:1020:705::/121']),
      tag('AzureCloud.ukwest', 'ukwest', ['10.2.0.0/24']),
      tag('ServiceBus.UKSouth', 'uksouth', ['10.1.0.0/28']),
    ]);
    const r = await cli(old, neu);
    t.equal(r.code, 0);
    t.equal(
      r.stdout,
      [
        'relaycheck firewall diff (addresses compared, not spellings)',
        'old: ServiceTags_Public_20261109.json (ServiceTags JSON, change number 100, cloud Public)',
        'new: ServiceTags_Public_20261116.json (ServiceTags JSON, change number 101, cloud Public)',
        'regions: uksouth, ukwest; tags: AzureCloud',
        '',
        'AzureCloud uksouth: 1 added, 1 removed (old AzureCloud.uksouth: 3 prefixes; new AzureCloud.uksouth: 3 prefixes)',
        '  + 10.1.4.0/25',
        '  - 2603:1020:705::80/121',
        'AzureCloud ukwest: unchanged (old AzureCloud.ukwest: 1 prefix; new AzureCloud.ukwest: 1 prefix)',
        '',
        'the selection: 1 prefix added, 1 prefix removed (aggregated): regenerate the rules and review them',
        '',
      ].join('\n'),
    );
    const json = await cli(old, neu, '--format', 'json', '--exit-code');
    t.equal(json.code, 1);
    const doc = JSON.parse(json.stdout) as {
      old: { changeNumber: number; file: string };
      new: { changeNumber: number };
      changed: boolean;
      groups: { region: string; added: string[]; removed: string[] }[];
      selection: { added: string[]; removed: string[] };
    };
    t.equal(doc.old.changeNumber, 100);
    t.equal(doc.old.file, 'ServiceTags_Public_20261109.json');
    t.equal(doc.new.changeNumber, 101);
    t.equal(doc.changed, true);
    t.same(doc.selection, { added: ['10.1.4.0/25'], removed: ['2603:1020:705::80/121'] });
    t.same(
      doc.groups.map((g) => [g.region, g.added, g.removed]),
      [
        ['uksouth', ['10.1.4.0/25'], ['2603:1020:705::80/121']],
        ['ukwest', [], []],
      ],
    );

    const sb = await cli(old, neu, '--tags', 'ServiceBus', '--exit-code');
    t.equal(sb.code, 0, 'Service Bus did not change: exit 0 even with --exit-code');
    t.match(sb.stdout, 'ServiceBus uksouth: unchanged');
    t.match(
      sb.stdout,
      'the selection is unchanged: the generated rules would allow the same addresses',
    );
    t.notMatch(sb.stdout, 'AzureCloud');
    const same = await cli(old, old, '--exit-code', '--tags', 'AzureCloud,ServiceBus');
    t.equal(same.code, 0);
    t.match(same.stdout, /AzureCloud uksouth: unchanged[\s\S]*ServiceBus uksouth: unchanged/);
  },
);

void t.test('a range moving between regions changes both regions, not the selection', async (t) => {
  const dir = await tempDir(t);
  const old = await tagsFile(dir, 'a.json', 1, [
    tag('AzureCloud.uksouth', 'uksouth', ['10.3.0.0/24']),
    tag('AzureCloud.ukwest', 'ukwest', ['10.4.0.0/24']),
  ]);
  const neu = await tagsFile(dir, 'b.json', 2, [
    tag('AzureCloud.uksouth', 'uksouth', ['10.4.0.0/24']),
    tag('AzureCloud.ukwest', 'ukwest', ['10.3.0.0/24']),
  ]);
  const r = await cli(old, neu, '--exit-code');
  t.equal(r.code, 1, 'something changed');
  t.match(
    r.stdout,
    /AzureCloud uksouth: 1 added, 1 removed[^\n]*\n {2}\+ 10\.4\.0\.0\/24\n {2}- 10\.3\.0\.0\/24\n/,
  );
  t.match(
    r.stdout,
    'the selection as a whole is unchanged (addresses moved between regions or tags)',
  );
  const south = await cli(old, neu, '--regions', 'uksouth', '--format', 'json');
  t.same((JSON.parse(south.stdout) as { selection: unknown }).selection, {
    added: ['10.4.0.0/24'],
    removed: ['10.3.0.0/24'],
  });
});

void t.test('a region only one download names is all added (or all removed)', async (t) => {
  const dir = await tempDir(t);
  const old = await tagsFile(dir, 'a.json', 1, [
    tag('AzureCloud.uksouth', 'uksouth', ['10.3.0.0/24']),
  ]);
  const neu = await tagsFile(dir, 'b.json', 2, [
    tag('AzureCloud.uksouth', 'uksouth', ['10.3.0.0/24']),
    tag('AzureCloud.ukwest', 'ukwest', ['10.5.0.0/23', '10.5.2.0/24']),
  ]);
  const r = await cli(old, neu);
  t.match(
    r.stdout,
    'AzureCloud ukwest: 2 added, 0 removed (old absent; new AzureCloud.ukwest: 2 prefixes)',
  );
  t.match(r.stdout, '  + 10.5.0.0/23\n  + 10.5.2.0/24\n');
  const back = await cli(neu, old, '--regions', 'ukwest');
  t.match(
    back.stdout,
    'AzureCloud ukwest: 0 added, 2 removed (old AzureCloud.ukwest: 2 prefixes; new absent)',
  );
});

void t.test('what cannot be compared is refused with a typed error and exit 2', async (t) => {
  const sb = await cli(LEGACY, EXCERPT, '--tags', 'ServiceBus');
  t.equal(sb.code, 2);
  t.match(
    sb.stderr,
    /^relaycheck: IP_E_TAG: the legacy AzurePublicIpAddresses XML has no service tags/,
  );
  const region = await cli(LEGACY, EXCERPT, '--regions', 'atlantis');
  t.equal(region.code, 2);
  t.match(region.stderr, /^relaycheck: IP_E_REGION: region "atlantis" appears in neither source/);
  const format = await cli(LEGACY, EXCERPT, '--format', 'yaml');
  t.equal(format.code, 2);
  t.match(
    format.stderr,
    /^relaycheck: FIREWALL_E_FORMAT: unknown format "yaml" \(expected text, json\)/,
  );
  const missing = await cli(LEGACY, join(TAGS, 'nope.json'));
  t.match(missing.stderr, /^relaycheck: IP_E_SOURCE: .*nope\.json/);
  const copied = await cli(join(TAGS, 'PublicIPs_uk_2019-09.copied-from-guide.xml'), LEGACY);
  t.match(copied.stderr, /IP_E_CHARACTER: .*\[--tolerant accepts the copied list\]/);
  const tolerated = await cli(
    join(TAGS, 'PublicIPs_uk_2019-09.copied-from-guide.xml'),
    LEGACY,
    '--tolerant',
    '--exit-code',
  );
  t.equal(tolerated.code, 0, 'the copied list holds the same ranges as the clean one');
  t.match(tolerated.stderr, /warning: replaced \d+ non-breaking spaces/);
  const one = await cli(LEGACY);
  t.equal(one.code, 2);
  t.match(one.stderr, /missing required argument 'new'/);
});
