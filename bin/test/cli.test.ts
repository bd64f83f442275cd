// The relaycheck command line, in process. In: argv. Out: exit codes and printed text.
import t from 'tap';
import type { Command } from 'commander';
import { buildProgram, main } from '../src/main';
import { CATALOGUE } from '../../suites/catalogue';
import { capture } from './lib/capture';

async function cli(...args: string[]) {
  const io = capture();
  const code = await main(['node', 'relaycheck', ...args], io);
  return { code, stdout: io.stdout, stderr: io.stderr };
}

function allCommands(cmd: Command, path: string[] = []): { path: string[]; cmd: Command }[] {
  return cmd.commands.flatMap((c) => [
    { path: [...path, c.name()], cmd: c },
    ...allCommands(c, [...path, c.name()]),
  ]);
}

void t.test('every command has --help with an example and exits 0', async (t) => {
  const commands = allCommands(buildProgram(capture(), { code: 0 }));
  t.ok(commands.length >= 7, 'run, cases, keys (tenant, sas), ranges, fuzz and bench exist');
  for (const { path } of commands) {
    const r = await cli(...path, '--help');
    t.equal(r.code, 0, `${path.join(' ')} --help exits 0`);
    t.match(r.stdout, /Example/, `${path.join(' ')} --help shows an example`);
  }
});

void t.test('an unknown option is refused with one line and exit code 2', async (t) => {
  for (const args of [
    ['--bogus'],
    ['cases', '--bogus'],
    ['run', '--nope'],
    ['keys', 'sas', '--x'],
  ]) {
    const r = await cli(...args);
    t.equal(r.code, 2, `${args.join(' ')} exits 2`);
    t.equal(r.stderr.trim().split('\n').length, 1, `${args.join(' ')} prints one line`);
    t.match(r.stderr, /unknown option/);
  }
});

void t.test('an unknown command is refused with exit code 2', async (t) => {
  const r = await cli('frobnicate');
  t.equal(r.code, 2);
  t.match(r.stderr, /unknown command 'frobnicate'/);
});

void t.test('bad option values are refused with the reason and exit code 2', async (t) => {
  const cases: [string[], RegExp][] = [
    [['cases', '--area', 'nowhere'], /unknown area 'nowhere'/],
    [['run', '--seed', 'abc'], /whole number/],
    [['run', '--profile', 'huge'], /expected one of default, min-spec/],
    [['keys', 'tenant', 'Council 42'], /3 to 64 characters/],
    [['keys', 'sas', '--rights', 'Read'], /unknown right 'Read'/],
  ];
  for (const [args, reason] of cases) {
    const r = await cli(...args);
    t.equal(r.code, 2, `${args.join(' ')} exits 2`);
    t.match(r.stderr, reason, `${args.join(' ')} says why`);
    t.equal(r.stdout, '', `${args.join(' ')} prints nothing on stdout`);
  }
});

void t.test('cases lists the whole catalogue and filters by area', async (t) => {
  const all = await cli('cases');
  t.equal(all.code, 0);
  for (const c of CATALOGUE) t.match(all.stdout, c.id);
  t.match(all.stdout, `${CATALOGUE.length} cases`);
  const hs = await cli('cases', '--area', 'hs', '--json');
  const parsed = JSON.parse(hs.stdout) as { id: string; area: string; requirement: string }[];
  t.ok(parsed.length > 0 && parsed.every((c) => c.area === 'hs' && c.requirement !== ''));
  t.equal(parsed.length, CATALOGUE.filter((c) => c.area === 'hs').length);
});

void t.test(
  'keys tenant prints a fresh 32-byte secret and a key id in the config format',
  async (t) => {
    const a = await cli('keys', 'tenant', 'council-42');
    const b = await cli('keys', 'tenant', 'council-42');
    t.equal(a.code, 0);
    const ka = JSON.parse(a.stdout) as { tenant: string; kid: string; key: string; state: string };
    const kb = JSON.parse(b.stdout) as { key: string; kid: string };
    t.equal(ka.tenant, 'council-42');
    t.equal(ka.state, 'active');
    t.match(ka.kid, /^\d{8}-[0-9a-f]{6}$/);
    t.equal(Buffer.from(ka.key, 'base64').length, 32);
    t.not(ka.key, kb.key, 'every call makes a new secret');
    t.equal(a.stderr, '', 'the secret is printed nowhere but stdout');
  },
);

void t.test('keys sas prints a 256-bit key with the chosen rule name and rights', async (t) => {
  const r = await cli('keys', 'sas', '--name', 'relay-listen', '--rights', 'listen');
  t.equal(r.code, 0);
  const rule = JSON.parse(r.stdout) as { keyName: string; key: string; rights: string[] };
  t.equal(rule.keyName, 'relay-listen');
  t.same(rule.rights, ['Listen']);
  t.equal(Buffer.from(rule.key, 'base64').length, 32);
});

void t.test('run --list shows the selected cases and runs nothing', async (t) => {
  const first = CATALOGUE[0];
  if (first === undefined) throw new Error('empty catalogue');
  const r = await cli('run', '--list', '--case', first.id);
  t.equal(r.code, 0);
  t.match(r.stdout, first.id);
  t.match(r.stdout, '1 cases selected');
});

void t.test('run refuses a filter that selects nothing with exit code 2', async (t) => {
  const r = await cli('run', '--case', 'NOPE-999');
  t.equal(r.code, 2);
  t.match(r.stderr, /no catalogued case matches/);
});

const TAGS = 'fixtures/service-tags';
const EXCERPT = `${TAGS}/ServiceTags_Public_excerpt_uk.json`;

void t.test(
  'ranges prints the aggregated Service Bus ranges of UK South and UK West',
  async (t) => {
    const r = await cli(
      'ranges',
      '--source',
      EXCERPT,
      '--regions',
      'uksouth,ukwest',
      '--tags',
      'ServiceBus',
      '--aggregate',
    );
    t.equal(r.code, 0);
    const lines = r.stdout.trim().split('\n');
    // Both regions are present: UK South's 51.140.146.48/29 and UK West's 51.140.210.64/28.
    t.ok(lines.includes('51.140.146.48/29'), 'a UK South Service Bus range');
    t.ok(lines.includes('51.140.210.64/28'), 'a UK West Service Bus range');
    t.ok(lines.includes('2603:1020:705::700/120'), 'IPv6 ranges are included');
    t.notOk(lines.includes('51.140.0.0/17'), 'AzureCloud-only ranges are not');
    t.equal(lines.length, 20);
    t.equal(new Set(lines).size, lines.length, 'no prefix twice');
  },
);

void t.test('ranges --contains answers with exit 0 inside and 1 outside', async (t) => {
  const inside = await cli(
    'ranges',
    '--source',
    EXCERPT,
    '--regions',
    'uksouth',
    '--contains',
    '51.140.146.50',
  );
  t.equal(inside.code, 0);
  t.match(inside.stdout, /51\.140\.146\.50 is in .*AzureCloud\.uksouth/);
  const outside = await cli(
    'ranges',
    '--source',
    EXCERPT,
    '--regions',
    'uksouth',
    '--tags',
    'ServiceBus',
    '--contains',
    '51.140.0.1',
  );
  t.equal(outside.code, 1);
  t.match(outside.stdout, /is not in the selected ranges/);
  const bad = await cli(
    'ranges',
    '--source',
    EXCERPT,
    '--regions',
    'uksouth',
    '--contains',
    '51.140.999.1',
  );
  t.equal(bad.code, 2);
  t.match(bad.stderr, /^relaycheck: IP_E_ADDRESS: /);
});

void t.test("ranges refuses the guide's copied list with line, column and character", async (t) => {
  const copied = `${TAGS}/PublicIPs_uk_2019-09.copied-from-guide.xml`;
  const refused = await cli('ranges', '--source', copied, '--regions', 'uksouth');
  t.equal(refused.code, 2);
  t.match(refused.stderr, /IP_E_CHARACTER: line 4, column 13: U\+00A0 NO-BREAK SPACE/);
  t.match(refused.stderr, /--tolerant/);
  t.equal(refused.stdout, '');
  const tolerated = await cli('ranges', '--source', copied, '--regions', 'uksouth', '--tolerant');
  const clean = await cli(
    'ranges',
    '--source',
    `${TAGS}/PublicIPs_uk_2019-09.xml`,
    '--regions',
    'uksouth',
  );
  t.equal(tolerated.code, 0);
  t.equal(tolerated.stdout, clean.stdout, 'tolerant mode gives exactly the clean list');
  t.match(tolerated.stderr, /replaced \d+ non-breaking spaces/);
});

void t.test('ranges refuses a missing file and an unknown region with exit code 2', async (t) => {
  const missing = await cli('ranges', '--source', `${TAGS}/nope.json`, '--regions', 'uksouth');
  t.equal(missing.code, 2);
  t.match(missing.stderr, /IP_E_SOURCE: .*no such file/);
  const region = await cli('ranges', '--source', EXCERPT, '--regions', 'atlantis');
  t.equal(region.code, 2);
  t.match(region.stderr, /IP_E_REGION/);
  const noRegions = await cli('ranges', '--source', EXCERPT);
  t.equal(noRegions.code, 2);
  t.match(noRegions.stderr, /required option '--regions <list>'/);
});

void t.test('ranges --format json carries the source change number and the prefixes', async (t) => {
  const r = await cli(
    'ranges',
    '--source',
    EXCERPT,
    '--regions',
    'ukwest',
    '--tags',
    'ServiceBus',
    '--format',
    'json',
  );
  t.equal(r.code, 0);
  const parsed = JSON.parse(r.stdout) as { changeNumber: number; prefixes: string[] };
  t.equal(parsed.changeNumber, 367);
  t.ok(parsed.prefixes.includes('51.140.210.64/28'));
});
