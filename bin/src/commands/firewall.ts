// `relaycheck firewall`: outbound firewall rules for the relay's server from Microsoft's IP
// range download, and `relaycheck firewall diff`: what changed between two downloads.
// In: a source file (ServiceTags JSON, one tag record, or the legacy XML; read and selected
// by relay/src/egress), regions, tag families, ports, policy, internal networks, a format,
// and the clock (injected; the command line uses the real date). Out: the rules on stdout or
// in --out (written whole or not at all), warnings on stderr; exit 0, or 2 for a refused
// command line or input (typed errors: FIREWALL_E_*, IP_E_*). The diff exits 0, or 1 when
// something changed and --exit-code was given.
import { basename } from 'node:path';
import type { Command } from 'commander';
import {
  RangesError,
  loadServiceTagSource,
  parseSource,
  selectRangesFromFile,
  type RangeSelection,
  type SelectRangesOptions,
} from '../../../relay/src/egress';
import { diffSources, diffToJson, formatDiffText, type DiffSide } from '../firewall/diff';
import { FirewallError } from '../firewall/errors';
import { render, renderToText } from '../firewall/formats';
import { parseInternal } from '../firewall/intervals';
import { describePorts, parsePorts } from '../firewall/ports';
import {
  FIREWALL_FORMATS,
  buildRuleSet,
  parseFormat,
  parsePolicy,
  selectionInput,
  type FirewallRuleSet,
  type SourceInfo,
} from '../firewall/rules';
import { writeFilesAtomically } from '../firewall/write';
import type { ExitBox, Io } from '../main';
import { csv } from '../parse';

interface FirewallOpts {
  source?: string;
  regions?: string[];
  tags?: string[];
  ports: string;
  format?: string;
  policy: string;
  internal: string;
  out?: string;
  tolerant?: boolean;
  lenient?: boolean;
}

interface DiffOpts {
  regions?: string[];
  tags?: string[];
  format: string;
  exitCode?: boolean;
  tolerant?: boolean;
  lenient?: boolean;
}

/** The flag that accepts what a refusal refused (as `relaycheck ranges` names it). */
const HINTS: Partial<Record<string, string>> = {
  IP_E_CHARACTER: '--tolerant accepts the copied list',
  IP_E_SCHEMA: '--lenient accepts fields and elements this version does not know',
};

async function withHint<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (e) {
    const hint = e instanceof RangesError ? HINTS[e.code] : undefined;
    if (hint === undefined || !(e instanceof RangesError)) throw e;
    throw new RangesError(e.code, `${e.message} [${hint}]`, e.details);
  }
}

function sourceInfo(
  path: string,
  s: Pick<RangeSelection, 'format' | 'layout' | 'changeNumber' | 'cloud'>,
): SourceInfo {
  return {
    file: basename(path),
    format: s.format,
    layout: s.layout,
    changeNumber: s.changeNumber,
    cloud: s.cloud,
  };
}

function warn(io: Io, sel: { warnings: readonly string[]; nbspReplaced: number }): void {
  for (const w of sel.warnings) io.err(`relaycheck: warning: ${w}\n`);
  if (sel.nbspReplaced > 0) {
    io.err(
      `relaycheck: warning: replaced ${sel.nbspReplaced} non-breaking spaces (U+00A0) ` +
        'between markup tokens (--tolerant)\n',
    );
  }
}

function missingOption(cmd: Command, flag: string): never {
  cmd.error(`required option '${flag}' not specified`, {
    exitCode: 2,
    code: 'commander.missingMandatoryOptionValue',
  });
}

/** The model for the options: reads and selects the source, checks every option. */
async function ruleSet(
  opts: FirewallOpts,
  sourcePath: string,
  now: Date,
): Promise<{ model: FirewallRuleSet; selection: RangeSelection }> {
  const ports = parsePorts(opts.ports);
  const policy = parsePolicy(opts.policy);
  const internal = parseInternal(opts.internal);
  const options: SelectRangesOptions = {
    regions: opts.regions ?? [],
    ...(opts.tags !== undefined ? { tags: opts.tags } : {}),
    tolerateNbsp: opts.tolerant === true,
    strict: opts.lenient !== true,
  };
  let selection: RangeSelection;
  try {
    selection = await withHint(() => selectRangesFromFile(sourcePath, options));
  } catch (e) {
    if (e instanceof RangesError && e.code === 'IP_E_EMPTY') {
      throw new FirewallError(
        'FIREWALL_E_EMPTY',
        `${e.message}: rules allowing nothing would cut the relay off, so none are written`,
        e.details,
      );
    }
    throw e;
  }
  const model = buildRuleSet(sourceInfo(sourcePath, selection), selectionInput(selection), {
    ports,
    policy,
    internal,
    now,
  });
  return { model, selection };
}

async function loadSide(
  path: string,
  opts: DiffOpts,
): Promise<DiffSide & { warnings: readonly string[]; nbspReplaced: number }> {
  const parseOptions = { tolerateNbsp: opts.tolerant === true, strict: opts.lenient !== true };
  return withHint(async () => {
    const loaded = await loadServiceTagSource(path);
    const source = parseSource(loaded.text, { ...parseOptions, format: loaded.format });
    return {
      info: sourceInfo(path, source),
      source,
      warnings: source.warnings,
      nbspReplaced: source.nbspReplaced,
    };
  });
}

export function registerFirewall(
  program: Command,
  io: Io,
  exit: ExitBox,
  now: () => Date = () => new Date(),
): void {
  const firewall = program
    .command('firewall')
    .description(
      'outbound firewall rules (nftables, iptables, PowerShell, netsh, JSON) allowing exactly\n' +
        "the selected Azure ranges on the relay's ports; `firewall diff` compares two downloads",
    )
    .option('--source <file>', 'ServiceTags_Public_*.json, one tag record, or the legacy XML')
    .option('--regions <list>', 'regions, e.g. uksouth,ukwest', csv)
    .option('--tags <list>', 'tag families: AzureCloud (default) and/or ServiceBus', csv)
    .option(
      '--ports <list>',
      'guide (80,443,5671-5672,9350-9354) or a list like 443,5671,9350-9354',
      'guide',
    )
    .option('--format <format>', `one of ${FIREWALL_FORMATS.join(', ')}`)
    .option(
      '--policy <policy>',
      'TCP to the ports outside the ranges: reject (TCP reset), drop, or accept-other (refuse nothing)',
      'reject',
    )
    .option(
      '--internal <list>',
      'networks never refused (back office, DNS): default (RFC 1918, loopback, link-local, ULA), none, or CIDRs; "default,198.18.2.0/24" adds to them',
      'default',
    )
    .option(
      '--out <file>',
      'write here (atomically) instead of stdout; iptables writes <file>.v4 and <file>.v6',
    )
    .option(
      '--tolerant',
      "accept the guide's copy-pasted list: replace non-breaking spaces between markup tokens",
    )
    .option('--lenient', 'accept unknown JSON fields or XML elements (a newer download format)')
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  $ relaycheck firewall --source ServiceTags_Public_20261116.json --regions uksouth,ukwest \\\n' +
        '      --format nftables --out /etc/nftables.d/relaycheck.nft\n' +
        '  $ relaycheck firewall --source ServiceTags_Public_20261116.json --regions uksouth,ukwest \\\n' +
        '      --tags ServiceBus --format powershell --out relaycheck-firewall.ps1\n' +
        '  $ relaycheck firewall diff ServiceTags_Public_20261109.json ServiceTags_Public_20261116.json \\\n' +
        '      --regions uksouth,ukwest\n' +
        '\nSee docs/firewall.md for what the rules do and do not do.\n',
    )
    .action(async (opts: FirewallOpts) => {
      if (opts.source === undefined) missingOption(firewall, '--source <file>');
      if (opts.regions === undefined) missingOption(firewall, '--regions <list>');
      if (opts.format === undefined) missingOption(firewall, '--format <format>');
      const format = parseFormat(opts.format, FIREWALL_FORMATS);
      const { model, selection } = await ruleSet(opts, opts.source, now());
      warn(io, selection);
      for (const m of model.missing) {
        io.err(
          `relaycheck: warning: the source has no ${m.tag} tag for ${m.region}; its ranges are not in the rules\n`,
        );
      }
      if (opts.out === undefined) {
        io.out(renderToText(format, model));
        return;
      }
      const out = opts.out;
      const files = render(format, model).map((f) => ({ ...f, path: `${out}${f.suffix}` }));
      await writeFilesAtomically(files);
      io.out(
        `relaycheck: wrote ${files.map((f) => f.path).join(' and ')}: ` +
          `${model.counts.ipv4} IPv4 and ${model.counts.ipv6} IPv6 prefixes, ` +
          `TCP ${describePorts(model.ports)}, policy ${model.policy}\n`,
      );
    });

  firewall
    .command('diff')
    .description('what changed between two downloads of the ranges, per tag family and region')
    .argument('<old>', 'the earlier download (ServiceTags JSON, tag record or legacy XML)')
    .argument('<new>', 'the later download')
    .option('--regions <list>', 'regions to compare (default: every region either names)', csv)
    .option('--tags <list>', 'tag families: AzureCloud (default) and/or ServiceBus', csv)
    .option('--format <format>', 'text or json', 'text')
    .option('--exit-code', 'exit 1 when the selection changed (like git diff --exit-code)')
    .option('--tolerant', "accept the guide's copy-pasted list (non-breaking spaces)")
    .option('--lenient', 'accept unknown JSON fields or XML elements')
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  $ relaycheck firewall diff ServiceTags_Public_20261109.json ServiceTags_Public_20261116.json \\\n' +
        '      --regions uksouth,ukwest --tags AzureCloud,ServiceBus\n' +
        '  $ relaycheck firewall diff PublicIPs_uk_2019-09.xml ServiceTags_Public_20261116.json \\\n' +
        '      --regions uksouth,ukwest --format json --exit-code\n',
    )
    .action(async (oldPath: string, newPath: string, _opts: DiffOpts, cmd: Command) => {
      // commander hands --regions, --tags, --format, --tolerant and --lenient to `firewall`,
      // which declares them too, wherever they stand on the line: read both levels.
      const opts = cmd.optsWithGlobals<DiffOpts>();
      const format = parseFormat(opts.format, ['text', 'json'] as const);
      const before = await loadSide(oldPath, opts);
      const after = await loadSide(newPath, opts);
      warn(io, before);
      warn(io, after);
      const d = diffSources(before, after, {
        ...(opts.regions !== undefined ? { regions: opts.regions } : {}),
        ...(opts.tags !== undefined ? { tags: opts.tags } : {}),
      });
      io.out(format === 'json' ? `${JSON.stringify(diffToJson(d), null, 2)}\n` : formatDiffText(d));
      if (opts.exitCode === true && d.changed) exit.code = 1;
    });
}
