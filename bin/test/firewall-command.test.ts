// `relaycheck firewall` on the command line. In: argv (real fixtures and small sources made at
// run time in a temporary folder), the real clock or an injected one. Out: rules on stdout or
// in --out files written whole, warnings on stderr, exit 0, and exit 2 with a typed code for
// bad ports, format, policy, internal networks, an empty selection, an unreadable source or an
// unwritable --out.
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command, CommanderError } from 'commander';
import t from 'tap';
import { main } from '../src/main';
import { registerFirewall } from '../src/commands/firewall';
import { capture } from './lib/capture';

const TAGS = join(__dirname, '..', '..', 'fixtures', 'service-tags');
const EXCERPT = join(TAGS, 'ServiceTags_Public_excerpt_uk.json');
const LEGACY = join(TAGS, 'PublicIPs_uk_2019-09.xml');
const COPIED = join(TAGS, 'PublicIPs_uk_2019-09.copied-from-guide.xml');
const FIXED = new Date('2026-11-23T10:00:00Z');

async function cli(...args: string[]) {
  const io = capture();
  const code = await main(['node', 'relaycheck', ...args], io);
  return { code, stdout: io.stdout, stderr: io.stderr };
}

/** The command with an injected clock (what main() does, minus the real date). */
async function cliAt(now: Date, ...args: string[]) {
  const io = capture();
  const exit = { code: 0 };
  const program = new Command('relaycheck').exitOverride();
  registerFirewall(program, io, exit, () => now);
  try {
    await program.parseAsync(['node', 'relaycheck', ...args]);
  } catch (e) {
    if (!(e instanceof CommanderError)) throw e;
    exit.code = 2;
  }
  return { code: exit.code, stdout: io.stdout, stderr: io.stderr };
}

async function tempDir(t: tap.Test): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'relaycheck-firewall-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
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

async function serviceTags(dir: string, name: string, changeNumber: number, values: unknown[]) {
  const path = join(dir, name);
  await writeFile(path, JSON.stringify({ changeNumber, cloud: 'Public', values }, null, 2));
  return path;
}

const BASE = ['firewall', '--source', EXCERPT, '--regions', 'uksouth,ukwest'];

void t.test('firewall prints nftables rules for the excerpt with the real date', async (t) => {
  const before = Date.now();
  const r = await cli(...BASE, '--format', 'nftables');
  t.equal(r.code, 0, r.stderr);
  t.equal(r.stderr, '');
  t.match(r.stdout, /^#!\/usr\/sbin\/nft -f\n/);
  t.match(
    r.stdout,
    'source: ServiceTags_Public_excerpt_uk.json (ServiceTags JSON, change number 367, cloud Public)',
  );
  const when = Date.parse(/# generated: (\S+)/.exec(r.stdout)?.[1] ?? '');
  t.ok(when >= before - 1000 && when <= Date.now() + 1000, 'generated now');
});

void t.test(
  'every format comes out of the command line, each with the same prefixes',
  async (t) => {
    const json = await cliAt(FIXED, ...BASE, '--format', 'json');
    t.equal(json.code, 0);
    const doc = JSON.parse(json.stdout) as {
      ipv4: string[];
      ipv6: string[];
      generatedAt: string;
      changeNumber: number;
    };
    t.equal(doc.generatedAt, '2026-11-23T10:00:00.000Z');
    t.equal(doc.changeNumber, 367);
    t.ok(doc.ipv6.length > 0, 'IPv6 present');
    for (const format of ['nftables', 'iptables', 'powershell', 'netsh']) {
      const r = await cliAt(FIXED, ...BASE, '--format', format);
      t.equal(r.code, 0, `${format}: exit 0`);
      for (const p of [doc.ipv4[0], doc.ipv4[doc.ipv4.length - 1], doc.ipv6[0]]) {
        t.match(r.stdout, p ?? 'none', `${format} holds ${p}`);
      }
    }
    const iptables = await cliAt(FIXED, ...BASE, '--format', 'iptables');
    t.match(
      iptables.stdout,
      /# ==== IPv4 rules for iptables-restore --noflush \(the \.v4 file with --out\) ====\n/,
    );
    t.match(
      iptables.stdout,
      /# ==== IPv6 rules for ip6tables-restore --noflush \(the \.v6 file with --out\) ====\n/,
    );
  },
);

void t.test(
  "the guide's copied list is refused with the hint, and accepted with --tolerant",
  async (t) => {
    const refused = await cli(
      'firewall',
      '--source',
      COPIED,
      '--regions',
      'uksouth',
      '--format',
      'json',
    );
    t.equal(refused.code, 2);
    t.match(
      refused.stderr,
      /^relaycheck: IP_E_CHARACTER: line \d+, column \d+: U\+00A0 .* \[--tolerant accepts the copied list\]\n$/,
    );
    t.equal(refused.stdout, '');
    const tolerated = await cli(
      'firewall',
      '--source',
      COPIED,
      '--regions',
      'uksouth,ukwest',
      '--format',
      'json',
      '--tolerant',
    );
    t.equal(tolerated.code, 0);
    t.match(tolerated.stderr, /warning: replaced \d+ non-breaking spaces/);
    const clean = await cli(
      'firewall',
      '--source',
      LEGACY,
      '--regions',
      'uksouth,ukwest',
      '--format',
      'json',
    );
    const strip = (s: string) => {
      const d = JSON.parse(s) as Record<string, unknown>;
      return { ipv4: d.ipv4, ipv6: d.ipv6 };
    };
    t.same(strip(tolerated.stdout), strip(clean.stdout), 'the same ranges as the clean list');
  },
);

void t.test(
  'bad option values are typed errors with exit code 2 and one line on stderr',
  async (t) => {
    const cases: [string[], RegExp][] = [
      [
        ['--format', 'nftables', '--ports', '443,0'],
        /^relaycheck: FIREWALL_E_PORTS: port "0" in "0"/,
      ],
      [
        ['--format', 'nftables', '--ports', '9354-9350'],
        /^relaycheck: FIREWALL_E_PORTS: .*runs backwards/,
      ],
      [
        ['--format', 'nftables', '--ports', 'all'],
        /^relaycheck: FIREWALL_E_PORTS: "all" is not a port/,
      ],
      [
        ['--format', 'pf'],
        /^relaycheck: FIREWALL_E_FORMAT: unknown format "pf" \(expected nftables, iptables, powershell, netsh, json\)/,
      ],
      [
        ['--format', 'nftables', '--policy', 'allow'],
        /^relaycheck: FIREWALL_E_POLICY: unknown policy "allow"/,
      ],
      [
        ['--format', 'nftables', '--internal', '10.0.0.1/8'],
        /^relaycheck: FIREWALL_E_INTERNAL: internal network "10.0.0.1\/8" .*host bits/,
      ],
      [
        ['--format', 'nftables', '--internal', 'none,10.0.0.0/8'],
        /^relaycheck: FIREWALL_E_INTERNAL: "none" cannot be combined/,
      ],
    ];
    for (const [extra, why] of cases) {
      const r = await cli(...BASE, ...extra);
      t.equal(r.code, 2, `${extra.join(' ')} exits 2`);
      t.match(r.stderr, why);
      t.equal(r.stderr.trim().split('\n').length, 1);
      t.equal(r.stdout, '', 'nothing on stdout');
    }
  },
);

void t.test('missing --source, --regions or --format is a usage error (exit 2)', async (t) => {
  for (const [args, flag] of [
    [['firewall', '--regions', 'uksouth', '--format', 'json'], '--source'],
    [['firewall', '--source', EXCERPT, '--format', 'json'], '--regions'],
    [['firewall', '--source', EXCERPT, '--regions', 'uksouth'], '--format'],
  ] as const) {
    const r = await cli(...args);
    t.equal(r.code, 2);
    t.match(
      r.stderr,
      new RegExp(`^relaycheck: required option '${flag} <\\w+>' not specified\\n$`),
    );
  }
});

void t.test('a source that cannot be read or selected is refused with its IP_E code', async (t) => {
  const dir = await tempDir(t);
  const missing = await cli(
    'firewall',
    '--source',
    join(dir, 'nope.json'),
    '--regions',
    'uksouth',
    '--format',
    'json',
  );
  t.equal(missing.code, 2);
  t.match(missing.stderr, /^relaycheck: IP_E_SOURCE: .*nope\.json.*no such file/);
  const folder = await cli('firewall', '--source', dir, '--regions', 'uksouth', '--format', 'json');
  t.equal(folder.code, 2);
  t.match(folder.stderr, /IP_E_SOURCE: .*a directory/);
  const html = join(dir, 'page.html');
  await writeFile(html, '<!DOCTYPE html><html><body>Download</body></html>');
  t.match(
    (await cli('firewall', '--source', html, '--regions', 'uksouth', '--format', 'json')).stderr,
    /IP_E_FORMAT: .*HTML page/,
  );
  t.match(
    (await cli('firewall', '--source', EXCERPT, '--regions', 'atlantis', '--format', 'json'))
      .stderr,
    /IP_E_REGION: region "atlantis"/,
  );
  t.match(
    (
      await cli(
        'firewall',
        '--source',
        LEGACY,
        '--regions',
        'uksouth',
        '--tags',
        'ServiceBus',
        '--format',
        'json',
      )
    ).stderr,
    /IP_E_TAG: the legacy AzurePublicIpAddresses XML has no service tags/,
  );
});

void t.test('an empty selection writes nothing: FIREWALL_E_EMPTY', async (t) => {
  const dir = await tempDir(t);
  const source = await serviceTags(dir, 'ServiceTags_Public_20261116.json', 400, [
    tag('AzureCloud.uksouth', 'uksouth', []),
    tag('AzureCloud.ukwest', 'ukwest', ['51.137.128.0/17']),
  ]);
  const out = join(dir, 'rules.nft');
  const r = await cli(
    'firewall',
    '--source',
    source,
    '--regions',
    'uksouth',
    '--format',
    'nftables',
    '--out',
    out,
  );
  t.equal(r.code, 2);
  t.match(
    r.stderr,
    /^relaycheck: FIREWALL_E_EMPTY: the selection \(regions uksouth; tags AzureCloud\) holds no prefix: rules allowing nothing would cut the relay off/,
  );
  t.same(await readdir(dir), ['ServiceTags_Public_20261116.json'], 'no file written');
});

void t.test(
  'a tag asked for but absent for one region is warned about, on stderr and in the header',
  async (t) => {
    const dir = await tempDir(t);
    const source = await serviceTags(dir, 'partial.json', 401, [
      tag('AzureCloud.uksouth', 'uksouth', ['51.140.0.0/17']),
      tag('AzureCloud.ukwest', 'ukwest', ['51.137.128.0/17']),
      tag('ServiceBus.UKSouth', 'uksouth', ['51.140.146.48/29', '2603:1020:705::700/120']),
    ]);
    const r = await cliAt(
      FIXED,
      'firewall',
      '--source',
      source,
      '--regions',
      'uksouth,ukwest',
      '--tags',
      'ServiceBus',
      '--format',
      'nftables',
    );
    t.equal(r.code, 0);
    t.match(
      r.stderr,
      'relaycheck: warning: the source has no ServiceBus tag for ukwest; its ranges are not in the rules',
    );
    t.match(
      r.stdout,
      '# warning: the source has no ServiceBus tag for ukwest: none of its ranges are here',
    );
    t.match(r.stdout, '\t\t\t51.140.146.48/29\n');
    t.match(r.stdout, '\t\t\t2603:1020:705::700/120\n');
    t.notMatch(r.stdout, '51.140.0.0/17', 'AzureCloud ranges are not selected');
  },
);

void t.test(
  '--out writes the same bytes as stdout, atomically, and replaces an earlier file whole',
  async (t) => {
    const dir = await tempDir(t);
    const out = join(dir, 'relaycheck.nft');
    await writeFile(out, 'the earlier rules\n');
    const printed = await cliAt(FIXED, ...BASE, '--format', 'nftables');
    const written = await cliAt(FIXED, ...BASE, '--format', 'nftables', '--out', out);
    t.equal(written.code, 0);
    t.match(
      written.stdout,
      /^relaycheck: wrote .*relaycheck\.nft: \d+ IPv4 and \d+ IPv6 prefixes, TCP 80, 443, 5671-5672, 9350-9354, policy reject\n$/,
    );
    t.equal(await readFile(out, 'utf8'), printed.stdout);
    t.same(await readdir(dir), ['relaycheck.nft'], 'no temporary file left');
  },
);

void t.test('--out with iptables writes <out>.v4 and <out>.v6', async (t) => {
  const dir = await tempDir(t);
  const out = join(dir, 'relaycheck');
  const r = await cliAt(FIXED, ...BASE, '--format', 'iptables', '--out', out);
  t.equal(r.code, 0);
  t.same((await readdir(dir)).sort(), ['relaycheck.v4', 'relaycheck.v6']);
  t.match(await readFile(`${out}.v4`, 'utf8'), /-d 4\.158\.0\.0\/15 -p tcp/);
  t.match(await readFile(`${out}.v6`, 'utf8'), /-d 2603:1020:\S+ -p tcp/);
  t.notMatch(
    await readFile(`${out}.v6`, 'utf8'),
    / -d \d+\.\d+\.\d+\.\d+\//,
    'no IPv4 prefix in the IPv6 file',
  );
});

void t.test('an unwritable --out is FIREWALL_E_OUT and leaves nothing behind', async (t) => {
  const dir = await tempDir(t);
  const noFolder = await cli(
    ...BASE,
    '--format',
    'json',
    '--out',
    join(dir, 'missing', 'rules.json'),
  );
  t.equal(noFolder.code, 2);
  t.match(
    noFolder.stderr,
    /^relaycheck: FIREWALL_E_OUT: cannot write ".*rules\.json": its folder does not exist\n$/,
  );
  const asFolder = join(dir, 'taken');
  await mkdir(asFolder);
  await writeFile(join(asFolder, 'keep'), 'x');
  const onFolder = await cli(...BASE, '--format', 'json', '--out', asFolder);
  t.equal(onFolder.code, 2);
  t.match(onFolder.stderr, /FIREWALL_E_OUT: .*it is a directory/);
  const v6Folder = join(dir, 'pair');
  await mkdir(`${v6Folder}.v6`);
  const pair = await cli(...BASE, '--format', 'iptables', '--out', v6Folder);
  t.equal(pair.code, 2);
  t.match(pair.stderr, /FIREWALL_E_OUT: .*pair\.v6.*it is a directory/);
  t.same(
    (await readdir(dir)).sort(),
    ['pair.v6', 'taken'],
    'no .v4 written when the .v6 cannot be',
  );
  t.same(await readdir(asFolder), ['keep']);
  const under = join(dir, 'taken', 'keep', 'rules.json');
  const notDir = await cli(...BASE, '--format', 'json', '--out', under);
  t.match(notDir.stderr, /FIREWALL_E_OUT: .*a part of the path is not a folder/);
});

void t.test('firewall --help and firewall diff --help show examples and exit 0', async (t) => {
  const help = await cli('firewall', '--help');
  t.equal(help.code, 0);
  t.match(help.stdout, /Examples:\n {2}\$ relaycheck firewall --source/);
  t.match(help.stdout, /--policy <policy>/);
  const diff = await cli('firewall', 'diff', '--help');
  t.equal(diff.code, 0);
  t.match(diff.stdout, /--exit-code/);
});
