// `relaycheck run` (and `npm start`): the conformance run. In: case filters, a seed and an
// output folder. Out: live progress on stderr, a table of cases (id, title, outcome, ms), a
// count line, the verdict, the run's report in <out>/ (report.json, summary.md, junit.xml,
// index.html); exit code 1 when a must-level case fails, 3 when the environment could not be
// set up (RUN_E_*).
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { AREAS, CATALOGUE, type Area, type Profile } from '../../../suites/catalogue';
import { PROFILES } from '../../../suites/catalogue/types';
import { REPO_ROOT } from '../../../suites/lib/scan';
import {
  NEEDS_REFERENCE_RELAY,
  SIMULATOR_ONLY,
  runCases,
  type RunSummary,
} from '../../../suites/runner/run';
import { loadTarget, type Target } from '../../../suites/lib/target';
import { caTrust, rerunWithCa } from '../ca-rerun';
import { selectCases } from '../../../suites/runner/select';
import { RunError } from '../../../suites/runner/errors';
import { progressDisplay } from './run-progress';
import { renderBrief, type ExternalRelayBrief } from '../../../suites/runner/external';
import type { ExitBox, Io } from '../main';
import { csv, integer, listOf, oneOf } from '../parse';
import { clip, table } from '../table';

export interface RunOpts {
  area?: Area[];
  case?: string[];
  exclude?: string[];
  profile: Profile;
  seed?: number;
  out?: string;
  strict?: boolean;
  json?: boolean;
  list?: boolean;
  relay: 'reference' | 'external';
  relayConfig?: string;
  relayWait: number;
  target: 'simulator' | 'azure';
  servicebus?: string;
  relayNamespace?: string;
  tenantConfig?: string;
}

/** The default output folder: reports/runs/<UTC timestamp>. */
export function defaultOutDir(now: Date): string {
  return join(REPO_ROOT, 'reports', 'runs', now.toISOString().replace(/[:.]/g, '-'));
}

/** The human summary of a run: the case table, reasons, and one count line. */
export function renderRun(summary: RunSummary): string {
  const rows = summary.outcomes.map((o) => [
    o.case.id,
    clip(o.case.title, 64),
    o.outcome,
    o.ms.toFixed(1).padStart(8),
  ]);
  let text = table(['id', 'title', 'outcome', '      ms'], rows);
  const explained = summary.outcomes.filter((o) => o.outcome !== 'pass' && o.reason !== undefined);
  for (const o of explained) text += `  ${o.case.id} ${o.outcome}: ${clip(o.reason ?? '', 300)}\n`;
  const c = summary.counts;
  text +=
    `${summary.outcomes.length} cases: ${c.pass} pass, ${c['non-strict']} non-strict, ` +
    `${c.fail} fail, ${c.skip} skip` +
    (summary.seed !== undefined ? ` (seed ${summary.seed})` : '') +
    `\nverdict: ${summary.report.verdict.headline}\n` +
    `report: ${summary.paths.reportJson}, ${summary.paths.summaryMd}, ${summary.paths.junitXml}\n` +
    `open in a browser: ${summary.paths.indexHtml}\n`;
  return text;
}

/** The command line of a run as the report shows it: the options as parsed, in one order. */
export function commandLine(opts: RunOpts): string {
  const quote = (v: string): string =>
    /^[\w@%+=:,./*?-]+$/.test(v) ? v : `'${v.replace(/'/g, "'\\''")}'`;
  const words = ['relaycheck', 'run'];
  if (opts.area !== undefined) words.push('--area', opts.area.join(','));
  if (opts.case !== undefined) words.push('--case', quote(opts.case.join(',')));
  if (opts.exclude !== undefined) words.push('--exclude', quote(opts.exclude.join(',')));
  if (opts.profile !== 'default') words.push('--profile', opts.profile);
  if (opts.seed !== undefined) words.push('--seed', String(opts.seed));
  if (opts.out !== undefined) words.push('--out', quote(opts.out));
  if (opts.strict === true) words.push('--strict');
  if (opts.relay === 'external') words.push('--relay', 'external');
  if (opts.relayConfig !== undefined) words.push('--relay-config', quote(opts.relayConfig));
  if (opts.relay === 'external' && opts.relayWait !== 300) {
    words.push('--relay-wait', String(opts.relayWait));
  }
  if (opts.target === 'azure') words.push('--target', 'azure');
  // A connection string holds a key: the report shows env:NAME as given, never the string.
  const conn = (v: string): string => (v.startsWith('env:') ? quote(v) : '<connection string>');
  if (opts.servicebus !== undefined) words.push('--servicebus', conn(opts.servicebus));
  if (opts.relayNamespace !== undefined) {
    words.push('--relay-namespace', conn(opts.relayNamespace));
  }
  if (opts.tenantConfig !== undefined) words.push('--tenant-config', quote(opts.tenantConfig));
  if (opts.json === true) words.push('--json');
  return words.join(' ');
}

export function registerRun(program: Command, io: Io, exit: ExitBox): void {
  program
    .command('run')
    .description('run the conformance catalogue and write the results (what `npm start` does)')
    .option('--area <areas>', `only these areas (${AREAS.join(', ')})`, listOf(AREAS, 'area'))
    .option('--case <globs>', 'only cases whose id matches (e.g. HS-00*)', csv)
    .option('--exclude <globs>', 'leave out cases whose id matches', csv)
    .option(
      '--profile <name>',
      `hardware profile (${PROFILES.join(', ')})`,
      oneOf(PROFILES),
      'default',
    )
    .option('--seed <n>', 'fast-check seed for every property', integer(-(2 ** 31), 2 ** 31 - 1))
    .option('--out <dir>', 'output folder (default reports/runs/<timestamp>)')
    .option('--strict', 'should-level failures fail the run too')
    .option('--json', 'print the results as JSON on stdout')
    .option('--list', 'list the cases that would run, and run nothing')
    .option(
      '--relay <kind>',
      'reference (relaycheck starts its own relay) or external (you start yours)',
      oneOf(['reference', 'external'] as const),
      'reference',
    )
    .option(
      '--relay-config <file>',
      'with --relay external: where to write the config your relay must use',
    )
    .option(
      '--relay-wait <seconds>',
      'with --relay external: how long to wait for your relay to connect',
      integer(1, 86_400),
      300,
    )
    .option(
      '--target <kind>',
      "simulator (the embedded simulator) or azure (the council's own namespaces)",
      oneOf(['simulator', 'azure'] as const),
      'simulator',
    )
    .option(
      '--servicebus <conn>',
      "with --target azure: the Service Bus namespace's connection string, or env:NAME",
    )
    .option(
      '--relay-namespace <conn>',
      "with --target azure: the Azure Relay namespace's connection string, or env:NAME",
    )
    .option(
      '--tenant-config <file>',
      'with --target azure: tenant id, handshake key and ranges (README: --target azure)',
    )
    .addHelpText(
      'after',
      '\nExit code: 0 when every must-level case passes, 1 when one fails, 2 for a bad command\n' +
        'line, 3 when the environment could not be set up (the reason is printed).\n' +
        'Progress goes to stderr: a live line on a terminal, one line per case otherwise.\n' +
        '\nExamples:\n  $ relaycheck run\n  $ relaycheck run --area hs,sas --seed 42\n' +
        "  $ relaycheck run --case 'IP-*' --exclude IP-004 --out /tmp/ip-run\n" +
        '  $ relaycheck run --relay external --relay-config /tmp/my-relay.json\n' +
        '      (then start your relay with that config; the reference relay:\n' +
        '       relaycheck relay --config /tmp/my-relay.json)\n' +
        '  $ relaycheck run --target azure --servicebus env:SB_CONN \\\n' +
        '      --relay-namespace env:RELAY_CONN --tenant-config tenant.json\n',
    )
    .action(async (opts: RunOpts) => {
      const selection = {
        ...(opts.area !== undefined ? { areas: opts.area } : {}),
        ...(opts.case !== undefined ? { include: opts.case } : {}),
        ...(opts.exclude !== undefined ? { exclude: opts.exclude } : {}),
      };
      const cases = selectCases(CATALOGUE, selection).filter((c) =>
        c.profiles.includes(opts.profile),
      );
      if (opts.list === true) {
        if (opts.target === 'azure') {
          const runs = cases.filter((c) => c.azure === true).length;
          io.out(
            table(
              ['id', 'level', 'azure', 'title'],
              cases.map((c) => [c.id, c.level, c.azure === true ? 'runs' : 'skipped', c.title]),
            ),
          );
          io.out(
            `${cases.length} cases selected: ${runs} run against the namespaces, ` +
              `${cases.length - runs} skipped (${SIMULATOR_ONLY})\n`,
          );
          return;
        }
        if (opts.relay === 'external') {
          const runs = cases.filter((c) => c.external === true).length;
          io.out(
            table(
              ['id', 'level', 'external relay', 'title'],
              cases.map((c) => [c.id, c.level, c.external === true ? 'runs' : 'skipped', c.title]),
            ),
          );
          io.out(
            `${cases.length} cases selected: ${runs} run against an external relay, ` +
              `${cases.length - runs} skipped (${NEEDS_REFERENCE_RELAY})\n`,
          );
          return;
        }
        io.out(
          table(
            ['id', 'level', 'title'],
            cases.map((c) => [c.id, c.level, c.title]),
          ),
        );
        io.out(`${cases.length} cases selected\n`);
        return;
      }
      if (opts.relay === 'external' && opts.relayConfig === undefined) {
        io.err(
          'relaycheck: --relay external needs --relay-config <file>: where to write the config your relay must use\n',
        );
        exit.code = 2;
        return;
      }
      if (opts.relay === 'reference' && opts.relayConfig !== undefined) {
        io.err('relaycheck: --relay-config goes with --relay external only\n');
        exit.code = 2;
        return;
      }
      const usage = (text: string): void => {
        io.err(`relaycheck: ${text}\n`);
        exit.code = 2;
      };
      const azureOpts = (
        [
          ['--servicebus', opts.servicebus],
          ['--relay-namespace', opts.relayNamespace],
          ['--tenant-config', opts.tenantConfig],
        ] as const
      ).filter(([, v]) => v !== undefined);
      if (opts.target === 'simulator' && azureOpts.length > 0) {
        usage(`${azureOpts.map(([n]) => n).join(', ')} go with --target azure only`);
        return;
      }
      let target: Target | undefined;
      if (opts.target === 'azure') {
        if (opts.relay === 'external') {
          usage(
            '--target azure runs the reference relay against your namespaces; --relay external is for the simulator only',
          );
          return;
        }
        if (
          opts.servicebus === undefined ||
          opts.relayNamespace === undefined ||
          opts.tenantConfig === undefined
        ) {
          const missing = ['--servicebus', '--relay-namespace', '--tenant-config'].filter(
            (n) => !azureOpts.some(([m]) => m === n),
          );
          usage(`--target azure needs ${missing.join(', ')}`);
          return;
        }
        try {
          target = loadTarget({
            serviceBus: opts.servicebus,
            relayNamespace: opts.relayNamespace,
            tenantConfig: opts.tenantConfig,
            repoRoot: REPO_ROOT,
          });
        } catch (e) {
          if (!(e instanceof RunError)) throw e;
          usage(`${e.code}: ${e.message}`);
          return;
        }
        // The SDK trusts a CA only through NODE_EXTRA_CA_CERTS, read at start: re-run with it.
        const trust = caTrust(target.caFile);
        if (trust === 'lost') {
          io.err('relaycheck: NODE_EXTRA_CA_CERTS could not be set for the run\n');
          exit.code = 3;
          return;
        }
        if (trust === 'rerun' && target.caFile !== undefined) {
          exit.code = await rerunWithCa(target.caFile);
          return;
        }
      }
      if (cases.length === 0) {
        io.err('relaycheck: no catalogued case matches the filters (see `relaycheck cases`)\n');
        exit.code = 2;
        return;
      }
      const display = progressDisplay(
        (text) => {
          io.err(text);
        },
        io.terminal?.() ?? { tty: false },
      );
      let summary: RunSummary;
      try {
        summary = await runCases({
          cases,
          outDir: opts.out ?? defaultOutDir(new Date()),
          ...(opts.seed !== undefined ? { seed: opts.seed } : {}),
          strict: opts.strict === true,
          profile: opts.profile,
          selection,
          command: commandLine(opts),
          onProgress: (p) => {
            display.update(p);
          },
          ...(opts.relay === 'external' && opts.relayConfig !== undefined
            ? {
                external: {
                  relayConfigPath: resolve(opts.relayConfig),
                  waitMs: opts.relayWait * 1000,
                  onBrief: (brief: ExternalRelayBrief) => {
                    display.end();
                    io.err(renderBrief(brief, opts.relayWait * 1000));
                  },
                },
              }
            : {}),
          ...(target !== undefined
            ? {
                target: {
                  target,
                  onBrief: (text: string) => {
                    display.end();
                    io.err(text);
                  },
                },
              }
            : {}),
        });
      } catch (e) {
        display.end();
        if (!(e instanceof RunError)) throw e;
        const tail =
          typeof e.details.tail === 'string' && e.details.tail !== '' ? e.details.tail : '';
        io.err(
          `relaycheck: the environment could not be set up: ${e.code}: ${e.message}\n` +
            (tail === '' ? '' : `${tail.replace(/^/gm, '  | ')}\n`),
        );
        exit.code = 3;
        return;
      }
      display.end();
      if (opts.json === true) {
        io.out(
          JSON.stringify(
            {
              counts: summary.counts,
              outDir: summary.outDir,
              verdict: {
                ready: summary.report.verdict.ready,
                headline: summary.report.verdict.headline,
              },
              report: {
                json: summary.paths.reportJson,
                summary: summary.paths.summaryMd,
                junit: summary.paths.junitXml,
                html: summary.paths.indexHtml,
              },
              cases: summary.outcomes.map((o) => ({
                id: o.case.id,
                outcome: o.outcome,
                ms: o.ms,
                reason: o.reason ?? null,
              })),
            },
            null,
            2,
          ) + '\n',
        );
      } else {
        io.out(renderRun(summary));
      }
      exit.code = summary.exitCode;
    });
}
