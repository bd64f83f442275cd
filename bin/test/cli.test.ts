// The relaycheck command line, in process. In: argv. Out: exit codes and printed text.
import t from 'tap';
import type { Command } from 'commander';
import { buildProgram, main, type Io } from '../src/main';
import { CATALOGUE } from '../../suites/catalogue';

function capture(): Io & { stdout: string; stderr: string } {
  const io = {
    stdout: '',
    stderr: '',
    out(text: string) {
      io.stdout += text;
    },
    err(text: string) {
      io.stderr += text;
    },
  };
  return io;
}

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
