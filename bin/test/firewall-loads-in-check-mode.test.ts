// The generated rules load in the real tools' check modes: `nft -c -f` for nftables and
// `iptables-restore --test --noflush` / `ip6tables-restore --test --noflush` for iptables, for
// the guide's 2019 list and the current-format excerpt under every policy. In: rule files
// written to a temporary folder. Out: each tool's verdict. Nothing is ever loaded: check
// modes only, and each check runs in a network namespace of its own (`unshare --net`) when
// that is possible, so not even a tool's bug could touch this machine's firewall. Skipped,
// with the exact reason, where a tool is missing or cannot run (.ci/run installs
// nftables and iptables).
import { execFile, spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { selectRangesFromFile } from '../../relay/src/egress';
import { render } from '../src/firewall/formats';
import { parseInternal } from '../src/firewall/intervals';
import { GUIDE_PORTS, parsePorts, type PortRange } from '../src/firewall/ports';
import {
  buildRuleSet,
  selectionInput,
  type FirewallRuleSet,
  type RefusalPolicy,
} from '../src/firewall/rules';

const TAGS = join(__dirname, '..', '..', 'fixtures', 'service-tags');
const NOW = new Date('2026-11-23T10:00:00Z');
const SBIN = ['/usr/sbin', '/sbin', '/usr/local/sbin'];
const EXCERPT = 'ServiceTags_Public_excerpt_uk.json';

interface Run {
  readonly code: number;
  readonly output: string;
}

/** The tool's absolute path, or undefined. */
function which(name: string): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(':'), ...SBIN].filter((d) => d !== '');
  for (const dir of dirs) {
    try {
      accessSync(join(dir, name), constants.X_OK);
      return join(dir, name);
    } catch {
      // not in this folder
    }
  }
  return undefined;
}

/** `unshare` when it can give a check a network namespace of its own, else undefined. */
const UNSHARE = ((): string | undefined => {
  const unshare = which('unshare');
  return unshare !== undefined && spawnSync(unshare, ['--net', 'true']).status === 0
    ? unshare
    : undefined;
})();

/** The command line of a check: in a fresh network namespace when unshare allows it. */
function isolated(tool: string, args: readonly string[]): [string, string[]] {
  return UNSHARE === undefined ? [tool, [...args]] : [UNSHARE, ['--net', tool, ...args]];
}

function check(tool: string, args: readonly string[]): Promise<Run> {
  const [file, argv] = isolated(tool, args);
  return new Promise((resolve) => {
    execFile(file, argv, { timeout: 30_000 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
      resolve({ code, output: `${stdout}${stderr}`.trim() || (error?.message ?? '') });
    });
  });
}

/** Why a tool cannot check here (missing, or refusing a minimal file on stdin), or false. */
function skipReason(tool: string, pkg: string, args: string[], probe: string): string | false {
  const path = which(tool);
  if (path === undefined) {
    return `${tool} is not installed here (apt-get install ${pkg}); .ci/run installs it`;
  }
  const [file, argv] = isolated(path, args);
  const r = spawnSync(file, argv, { input: probe, timeout: 30_000 });
  if (r.status === 0) return false;
  const said = `${String(r.stdout)}${String(r.stderr)}`.trim();
  return `${tool} ${args.join(' ')} cannot run here: ${said || (r.error?.message ?? `exit ${r.status}`)}`;
}

const NFT = which('nft') ?? 'nft';
const V4 = which('iptables-restore') ?? 'iptables-restore';
const V6 = which('ip6tables-restore') ?? 'ip6tables-restore';
const NFT_SKIP = skipReason(
  'nft',
  'nftables',
  ['-c', '-f', '-'],
  'table inet relaycheck_probe\ndelete table inet relaycheck_probe\n',
);
const CHAIN_PROBE = '*filter\n:RELAYCHECK-PROBE - [0:0]\nCOMMIT\n';
const IPTABLES_SKIP =
  skipReason('iptables-restore', 'iptables', ['--test', '--noflush'], CHAIN_PROBE) ||
  skipReason('ip6tables-restore', 'iptables', ['--test', '--noflush'], CHAIN_PROBE);

const SOURCES = [
  { file: 'PublicIPs_uk_2019-09.xml', tags: ['AzureCloud'] },
  { file: EXCERPT, tags: ['AzureCloud'] },
  { file: EXCERPT, tags: ['AzureCloud', 'ServiceBus'] },
];
const POLICIES: RefusalPolicy[] = ['reject', 'drop', 'accept-other'];

async function model(
  file: string,
  tags: string[],
  policy: RefusalPolicy,
  ports: readonly PortRange[] = GUIDE_PORTS,
): Promise<FirewallRuleSet> {
  const sel = await selectRangesFromFile(join(TAGS, file), {
    regions: ['uksouth', 'ukwest'],
    tags,
  });
  return buildRuleSet(
    {
      file,
      format: sel.format,
      layout: sel.layout,
      changeNumber: sel.changeNumber,
      cloud: sel.cloud,
    },
    selectionInput(sel),
    { ports, policy, internal: parseInternal('default'), now: NOW },
  );
}

async function tempDir(t: tap.Test): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'relaycheck-firewall-check-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

async function nftFile(dir: string, name: string, m: FirewallRuleSet): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, render('nftables', m)[0]?.text ?? '');
  return path;
}

void t.test('the nftables files load with nft -c -f', { skip: NFT_SKIP }, async (t) => {
  const dir = await tempDir(t);
  for (const s of SOURCES) {
    for (const policy of POLICIES) {
      const path = await nftFile(
        dir,
        `${s.tags.join('-')}-${policy}.nft`,
        await model(s.file, s.tags, policy),
      );
      const r = await check(NFT, ['-c', '-f', path]);
      t.equal(r.code, 0, `${s.file} ${s.tags.join('+')} ${policy}: ${r.output || 'accepted'}`);
    }
  }
  const custom = await nftFile(
    dir,
    'custom-ports.nft',
    await model(EXCERPT, ['ServiceBus'], 'reject', parsePorts('443,5671,8443-8450')),
  );
  t.equal((await check(NFT, ['-c', '-f', custom])).code, 0, 'custom ports load too');

  // The check is real: overlapping set elements (what an unaggregated list would give) fail.
  const text = render('nftables', await model(EXCERPT, ['AzureCloud'], 'reject'))[0]?.text ?? '';
  const broken = join(dir, 'overlapping.nft');
  await writeFile(
    broken,
    text.replace('\t\telements = {\n\t\t\t4.', '\t\telements = {\n\t\t\t4.158.0.0/16,\n\t\t\t4.'),
  );
  const refused = await check(NFT, ['-c', '-f', broken]);
  t.not(refused.code, 0, 'nft -c refuses overlapping prefixes');
  t.match(refused.output, /conflicting intervals|overlap/i);
});

void t.test(
  'the iptables files load with iptables-restore --test and ip6tables-restore --test',
  { skip: IPTABLES_SKIP },
  async (t) => {
    const dir = await tempDir(t);
    const load = async (name: string, m: FirewallRuleSet): Promise<void> => {
      for (const f of render('iptables', m)) {
        const path = join(dir, `${name}${f.suffix}`);
        await writeFile(path, f.text);
        const r = await check(f.suffix === '.v4' ? V4 : V6, ['--test', '--noflush', path]);
        t.equal(r.code, 0, `${name}${f.suffix}: ${r.output || 'accepted'}`);
      }
    };
    for (const s of SOURCES) {
      for (const policy of POLICIES) {
        await load(`${s.file}-${s.tags.join('-')}-${policy}`, await model(s.file, s.tags, policy));
      }
    }
    const twenty = Array.from({ length: 20 }, (_, i) => String(1000 + 2 * i)).join(',');
    await load('twenty-ports', await model(EXCERPT, ['ServiceBus'], 'drop', parsePorts(twenty)));

    // The check is real: the IPv4 tool refuses the IPv6 file.
    const v6file = join(dir, `${EXCERPT}-AzureCloud-reject.v6`);
    const refused = await check(V4, ['--test', '--noflush', v6file]);
    t.not(refused.code, 0, 'iptables-restore refuses IPv6 prefixes');
  },
);
