// The import boundaries of ARCHITECTURE.md, checked with the project's real ESLint config.
// In: small source texts placed (virtually) in relay/, relay/src/protocol/ and elsewhere.
// Out: whether lint refuses them.
import { join } from 'node:path';
import t from 'tap';
import { ESLint } from 'eslint';

const ROOT = join(__dirname, '..', '..');
const eslint = new ESLint({
  cwd: ROOT,
  // The rule under test needs no type information; the virtual files are not on disk.
  overrideConfig: { languageOptions: { parserOptions: { projectService: false, project: null } } },
  ruleFilter: ({ ruleId }) => ruleId === '@typescript-eslint/no-restricted-imports',
});

async function refused(file: string, source: string): Promise<boolean> {
  const [result] = await eslint.lintText(`import { x } from '${source}';\nexport const y = x;\n`, {
    filePath: join(ROOT, file),
  });
  return (result?.messages ?? []).some(
    (m) => m.ruleId === '@typescript-eslint/no-restricted-imports',
  );
}

void t.test('relay/ may not import the simulator, the suites or the reports', async (t) => {
  t.ok(await refused('relay/src/egress/probe.ts', '../../../simulator/src/cloud'));
  t.ok(await refused('relay/src/probe.ts', '../../suites/catalogue'));
  t.ok(await refused('relay/test/probe.test.ts', '../../reports/writer'));
  t.notOk(await refused('relay/src/egress/probe.ts', '../protocol/errors'));
  t.notOk(await refused('relay/src/egress/probe.ts', 'ipaddr.js'));
});

void t.test('relay/src/protocol/ imports only its own files and Node built-ins', async (t) => {
  t.notOk(await refused('relay/src/protocol/probe.ts', './primitives'));
  t.notOk(await refused('relay/src/protocol/probe.ts', 'node:crypto'));
  t.ok(await refused('relay/src/protocol/probe.ts', '../egress/cidr'), 'a sibling folder');
  t.ok(await refused('relay/src/protocol/probe.ts', './../egress/cidr'), 'an escape via ./..');
  t.ok(await refused('relay/src/protocol/probe.ts', 'zod'), 'a package');
  t.ok(await refused('relay/src/protocol/probe.ts', 'crypto'), 'a built-in without node:');
});

void t.test('the simulator and the suites may import the protocol core', async (t) => {
  t.notOk(await refused('simulator/src/probe.ts', '../../relay/src/protocol/sas'));
  t.notOk(await refused('suites/probe.test.ts', '../relay/src/protocol/handshake'));
});

void t.test(
  'the simulator may use the relay protocol and range code, nothing else of the relay',
  async (t) => {
    t.notOk(await refused('simulator/src/network/probe.ts', '../../../relay/src/egress/cidr'));
    t.notOk(await refused('simulator/test/probe.test.ts', '../../relay/src/egress/load'));
    t.ok(
      await refused('simulator/src/cloud/hybrid/probe.ts', '../../../../relay/src/transports'),
      'the relay listener under test',
    );
    t.ok(await refused('simulator/test/probe.test.ts', '../../relay/src/transports/hc-listener'));
  },
);
