// The rules `relaycheck firewall` writes from Microsoft's real downloads (the guide's September
// 2019 list and the current-format excerpt), loaded into a real kernel firewall in a network
// namespace of the test's own. In: the two sources, the lab of suites/lib/netns.ts. Out: the
// kernel accepts each file (nft -f; iptables-restore --noflush); real connections from `council`
// to lab listeners on the relay's ports are refused (a lab address is outside every Azure range)
// while another port connects and the back office (named internal) is reached; and the kernel's
// own sets hold exactly the selected ranges: for seeded samples at the edges of the prefixes
// (first and last address, and the addresses just outside), `nft get element` finds an address
// exactly when it is inside the selection, and the iptables chain names exactly the aggregated
// prefixes. A real Azure address is never assigned or dialled (the safety rule of this project):
// membership is asked of the kernel, connections go to lab addresses only.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { main } from '../../bin/src/main';
import { capture } from '../../bin/test/lib/capture';
import {
  cidrContains,
  cidrRange,
  familyBits,
  formatAddress,
  parseCidr,
  type Address,
  type Cidr,
} from '../../relay/src/egress';
import { createPrng } from '../../simulator/src/network/prng';
import { LAB, LISTEN_SCRIPT, createLab, findTool, labUnavailable, probe } from '../lib/netns';

const TAGS = join(__dirname, '..', '..', 'fixtures', 'service-tags');
const SOURCES = [
  { name: "the guide's September 2019 list", file: join(TAGS, 'PublicIPs_uk_2019-09.xml') },
  { name: 'the current-format excerpt', file: join(TAGS, 'ServiceTags_Public_excerpt_uk.json') },
] as const;
/** Prefixes sampled per family and source (seeded); each gives four addresses. */
const SAMPLED = 24;
const SEED = 12;

const skip =
  labUnavailable() ??
  (findTool('nft') === undefined ? 'nft (nftables) is not installed' : undefined);

async function relaycheck(args: readonly string[]): Promise<string> {
  const io = capture();
  const code = await main(['node', 'relaycheck', ...args], io);
  if (code !== 0)
    throw new Error(`relaycheck ${args.join(' ')}: exit ${String(code)}: ${io.stderr}`);
  return io.stdout;
}

function rulesArgs(file: string, format: string): string[] {
  return [
    'firewall',
    '--source',
    file,
    '--regions',
    'uksouth,ukwest',
    '--format',
    format,
    '--internal',
    'default,198.19.0.0/30',
  ];
}

/** Edge samples: first, last, one before, one after, of seeded picks among the prefixes. */
function samples(prefixes: readonly Cidr[], seed: number): Address[] {
  if (prefixes.length === 0) return [];
  const random = createPrng(seed);
  const out: Address[] = [];
  const max = (f: 4 | 6): bigint => (1n << BigInt(familyBits(f))) - 1n;
  for (let i = 0; i < SAMPLED; i++) {
    const c = prefixes[Math.floor(random.next() * prefixes.length)] ?? prefixes[0];
    if (c === undefined) break;
    const { first, last } = cidrRange(c);
    for (const v of [first, last, first - 1n, last + 1n]) {
      if (v >= 0n && v <= max(c.family)) out.push({ family: c.family, value: v });
    }
  }
  return out;
}

void t.test(
  'the rules from the real downloads load and hold exactly their ranges',
  { skip },
  async (t) => {
    const lab = await createLab(t);
    const dir = mkdtempSync(join(tmpdir(), 'relaycheck-netns-real-'));
    t.teardown(() => {
      rmSync(dir, { recursive: true, force: true });
    });
    const listen = [LAB.uksouth4, LAB.outside4, LAB.uksouth6].flatMap((a) =>
      [443, 5671, 9352, 8080].map((p) => [a, p]),
    );
    const azure = lab.node(lab.azure, LISTEN_SCRIPT, { LISTEN: JSON.stringify(listen) });
    const bo = lab.node(lab.backoffice, LISTEN_SCRIPT, {
      LISTEN: JSON.stringify([[LAB.backoffice4, 443]]),
    });
    await Promise.all([azure.waitFor('ready'), bo.waitFor('ready')]);

    for (const [n, source] of SOURCES.entries()) {
      await t.test(source.name, async (t) => {
        const model = JSON.parse(await relaycheck(rulesArgs(source.file, 'json'))) as {
          ipv4: string[];
          ipv6: string[];
        };
        const prefixes = [...model.ipv4, ...model.ipv6].map((p) => parseCidr(p));
        t.ok(model.ipv4.length > 0, `${String(model.ipv4.length)} IPv4 prefixes selected`);
        const file = join(dir, `rules-${String(n)}.nft`);
        await relaycheck([...rulesArgs(source.file, 'nftables'), '--out', file]);
        await lab.exec(lab.council, 'nft', ['-f', file]);

        // Real connections, to lab addresses only.
        const relayPorts: [string, number][] = [LAB.uksouth4, LAB.outside4, LAB.uksouth6].flatMap(
          (a) => [443, 5671, 9352].map((p): [string, number] => [a, p]),
        );
        const got = await probe(
          lab,
          lab.council,
          [...relayPorts, [LAB.uksouth4, 8080], [LAB.backoffice4, 443]],
          1500,
        );
        const wrong = relayPorts
          .map(([a, p]) => `${a} ${String(p)}`)
          .filter((k) => got[k] !== 'refused')
          .map((k) => `${k}: ${got[k] ?? 'no result'}`);
        t.same(
          wrong,
          [],
          'a lab address is outside every Azure range: the relay ports are refused',
        );
        t.equal(got[`${LAB.uksouth4} 8080`], 'connected', 'another port is left to the council');
        t.equal(got[`${LAB.backoffice4} 443`], 'connected', 'the back office is reached');

        // The kernel's sets, asked address by address.
        const seeded = samples(prefixes, SEED + n);
        const disagree: string[] = [];
        for (const a of seeded) {
          const inside = prefixes.some((c) => cidrContains(c, a));
          const set = a.family === 4 ? 'azure_v4' : 'azure_v6';
          const text = formatAddress(a);
          const found = await lab
            .exec(lab.council, 'nft', ['get', 'element', 'inet', 'relaycheck', set, `{ ${text} }`])
            .then(
              () => true,
              () => false,
            );
          if (found !== inside)
            disagree.push(`${text}: kernel ${String(found)}, selection ${String(inside)}`);
        }
        t.ok(seeded.length >= SAMPLED * 2, `${String(seeded.length)} edge addresses asked`);
        t.same(disagree, [], 'the kernel set holds an address exactly when the selection does');
        await lab.exec(lab.council, 'nft', ['delete', 'table', 'inet', 'relaycheck']);

        // iptables: the chain names exactly the aggregated prefixes, once each.
        if (findTool('iptables-restore') === undefined) return;
        const base = join(dir, `rules-${String(n)}.ipt`);
        await relaycheck([...rulesArgs(source.file, 'iptables'), '--out', base]);
        for (const [restore, save, suffix, list] of [
          ['iptables-restore', 'iptables', '.v4', model.ipv4],
          ['ip6tables-restore', 'ip6tables', '.v6', model.ipv6],
        ] as const) {
          await lab.exec(
            lab.council,
            restore,
            ['--noflush'],
            readFileSync(`${base}${suffix}`, 'utf8'),
          );
          const rules = await lab.exec(lab.council, save, ['-S', 'RELAYCHECK-OUT']);
          const accepted = rules
            .split('\n')
            .filter((l) => l.includes('-j ACCEPT'))
            .map((l) => /-d (\S+)/.exec(l)?.[1] ?? '')
            .sort();
          t.same(accepted, [...list].sort(), `${save}: one ACCEPT per aggregated prefix`);
          await lab.exec(lab.council, save, ['-F', 'RELAYCHECK-OUT']);
          await lab.exec(lab.council, save, ['-X', 'RELAYCHECK-OUT']);
        }
      });
    }
  },
);
