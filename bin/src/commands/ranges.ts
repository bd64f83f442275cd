// `relaycheck ranges`: Azure IP ranges from a service-tag download. In: a ServiceTags JSON,
// a single tag record or the legacy XML; regions; tag families. Out: the selected (or
// aggregated) prefixes, one per line or as JSON; with --contains, whether an address is in
// them (exit 0 when it is, 1 when not). Warnings go to stderr.
import type { Command } from 'commander';
import {
  RangesError,
  formatContainment,
  formatSelection,
  selectRangesFromFile,
  type RangeSelection,
  type SelectRangesOptions,
} from '../../../relay/src/egress';
import type { ExitBox, Io } from '../main';
import { csv, oneOf } from '../parse';

interface RangesOpts {
  source: string;
  regions: string[];
  tags?: string[];
  aggregate?: boolean;
  contains?: string;
  format: 'list' | 'json';
  tolerant?: boolean;
  lenient?: boolean;
}

/** The flag that accepts what a refusal refused, named so the user can act on it. */
const HINTS: Partial<Record<string, string>> = {
  IP_E_CHARACTER: '--tolerant accepts the copied list',
  IP_E_SCHEMA: '--lenient accepts fields and elements this version does not know',
};

async function select(source: string, options: SelectRangesOptions): Promise<RangeSelection> {
  try {
    return await selectRangesFromFile(source, options);
  } catch (e) {
    const hint = e instanceof RangesError ? HINTS[e.code] : undefined;
    if (hint === undefined || !(e instanceof RangesError)) throw e;
    throw new RangesError(e.code, `${e.message} [${hint}]`, e.details);
  }
}

export function registerRanges(program: Command, io: Io, exit: ExitBox): void {
  program
    .command('ranges')
    .description("select Azure IP ranges by region and service tag from Microsoft's download")
    .requiredOption(
      '--source <file>',
      'ServiceTags_Public_*.json, one tag record, or the legacy XML',
    )
    .requiredOption('--regions <list>', 'regions, e.g. uksouth,ukwest', csv)
    .option('--tags <list>', 'tag families: AzureCloud (default) and/or ServiceBus', csv)
    .option('--aggregate', 'print the fewest CIDRs that cover exactly the same addresses')
    .option('--contains <ip>', 'say whether this address is in the selection (exit 1 if not)')
    .option('--format <format>', 'list or json', oneOf(['list', 'json'] as const), 'list')
    .option(
      '--tolerant',
      "accept the guide's copy-pasted list: replace non-breaking spaces between markup tokens",
    )
    .option('--lenient', 'accept unknown JSON fields or XML elements (a newer download format)')
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  $ relaycheck ranges --source fixtures/service-tags/ServiceTags_Public_excerpt_uk.json \\\n' +
        '      --regions uksouth,ukwest --tags ServiceBus --aggregate\n' +
        '  $ relaycheck ranges --source ServiceTags_Public_20261116.json --regions uksouth \\\n' +
        '      --contains 51.140.146.50\n',
    )
    .action(async (opts: RangesOpts) => {
      const selection = await select(opts.source, {
        regions: opts.regions,
        ...(opts.tags !== undefined ? { tags: opts.tags } : {}),
        aggregate: opts.aggregate === true,
        tolerateNbsp: opts.tolerant === true,
        strict: opts.lenient !== true,
        ...(opts.contains !== undefined ? { contains: opts.contains } : {}),
      });
      for (const w of selection.warnings) io.err(`relaycheck: warning: ${w}\n`);
      if (selection.nbspReplaced > 0) {
        io.err(
          `relaycheck: warning: replaced ${selection.nbspReplaced} non-breaking spaces (U+00A0) ` +
            'between markup tokens (--tolerant)\n',
        );
      }
      const c = selection.containment;
      if (c !== undefined && opts.format === 'list') io.out(formatContainment(c) + '\n');
      else io.out(formatSelection(selection, opts.format));
      if (c !== undefined && !c.contained) exit.code = 1;
    });
}
