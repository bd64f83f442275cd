// `relaycheck reproduce <scenario>`: turns a customer's integration fault into a run on this
// machine (docs/scenarios.md). In: a scenario's name or FAULT id, --seed, --speed 1|10|max,
// --fast (the short variant npm test runs), --defect (a deliberately broken relay, to prove the
// scenario catches its fault), --out, --json; or --list. Out: the live timeline on stdout, the
// verdicts, a report folder (report.json, summary.md, junit.xml, index.html with the timeline
// chart); exit 0 when every expectation held, 1 when one did not, 2 on a usage error (unknown
// scenario, bad file, bad option), 3 when this machine cannot run it.
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import type { ExitBox, Io } from '../main';
import { integer } from '../parse';
import { table } from '../table';
import { isRelaycheckError } from '../../../relay/src/protocol/errors';

interface ReproduceOpts {
  list?: boolean;
  seed?: number;
  speed: string;
  fast?: boolean;
  defect?: string;
  out?: string;
  json?: boolean;
}

export function registerReproduce(program: Command, io: Io, exit: ExitBox): void {
  program
    .command('reproduce')
    .description("reproduce a customer's integration fault from a scenario, on a timeline")
    .argument('[scenario]', 'a scenario name (fixtures/scenarios/<name>.yaml) or its FAULT-NNN id')
    .option('--list', 'list the scenarios with the symptom each reproduces')
    .option('--seed <n>', "the run's seed (default: the scenario's)", integer(0, 0xffffffff))
    .option(
      '--speed <speed>',
      'virtual time: 1 (real time), 10, or max (the fastest the scenario allows)',
      '1',
    )
    .option('--fast', 'the short variant npm test runs (at --speed max unless given)')
    .option(
      '--defect <name>',
      'run a deliberately broken relay (suites/fault/lib/defects.js) to see the scenario catch it',
    )
    .option('--out <dir>', 'report folder (default reports/scenarios/<scenario>-<time>)')
    .option('--json', 'print the run record as JSON instead of the timeline')
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  $ relaycheck reproduce --list\n' +
        '  $ relaycheck reproduce tcp-ports-closed-midday --speed 10\n' +
        '  $ relaycheck reproduce FAULT-001 --seed 7 --fast\n' +
        '  $ relaycheck reproduce FAULT-001 --fast --defect sticky-https   # must FAIL\n',
    )
    .action(async (name: string | undefined, opts: ReproduceOpts) => {
      const { listScenarios, loadScenario } = await import('../../../suites/fault/lib/load');
      const { parseSpeed } = await import('../../../suites/fault/lib/scale');
      const { runScenario } = await import('../../../suites/fault/lib/run');
      const { formatEntry } = await import('../../../suites/fault/lib/timeline');
      const { defectNames } = await import('../../../suites/fault/lib/defects-list');
      const { writeScenarioReport } = await import('../../../suites/fault/lib/report');
      try {
        if (opts.list === true) {
          const rows = listScenarios().map((s) => [s.case, s.name, s.symptom.replace(/\s+/g, ' ')]);
          io.out(table(['case', 'scenario', 'symptom it reproduces'], rows));
          return;
        }
        if (name === undefined) {
          io.err('relaycheck: reproduce needs a scenario (see --list)\n');
          exit.code = 2;
          return;
        }
        const scenario = loadScenario(name);
        const speed = parseSpeed(opts.fast === true && opts.speed === '1' ? 'max' : opts.speed);
        if (opts.defect !== undefined && !defectNames().includes(opts.defect)) {
          io.err(
            `relaycheck: SCENARIO_E_UNKNOWN: no defect "${opts.defect}" (known: ${defectNames().join(', ')})\n`,
          );
          exit.code = 2;
          return;
        }
        const live = opts.json !== true;
        if (live) {
          io.out(`${scenario.case} ${scenario.name}: ${scenario.title}\n`);
          io.out(`symptom: ${scenario.symptom.replace(/\s+/g, ' ')}\n`);
        }
        const run = await runScenario(scenario, {
          variant: opts.fast === true ? 'fast' : 'full',
          speed,
          ...(opts.seed === undefined ? {} : { seed: opts.seed }),
          ...(opts.defect === undefined ? {} : { defect: opts.defect }),
          ...(live
            ? {
                onEntry: (e) => {
                  io.out(formatEntry(e) + '\n');
                },
              }
            : {}),
        });
        const out = resolve(
          opts.out ?? `reports/scenarios/${scenario.name}-${run.startedAt.replace(/[:.]/g, '-')}`,
        );
        const written = await writeScenarioReport(run, out);
        if (live) {
          io.out(
            `\n${run.outcome === 'pass' ? 'REPRODUCED AND HANDLED' : 'FAILED'}: ${String(run.verdicts.filter((v) => v.pass).length)}/${String(run.verdicts.length)} expectations held` +
              ` (seed ${String(run.seed)}, speed ${run.speed} = ×${String(run.factor)}, sequence ${run.sequence.digest.slice(0, 16)}, ${String(Math.round(run.wallMs / 1000))} s)\n`,
          );
          for (const v of run.verdicts) {
            io.out(
              `  ${v.pass ? 'pass' : 'FAIL'}  ${v.what}\n        expected ${v.expected}\n        observed ${v.observed}\n`,
            );
          }
          io.out(
            `report: ${join(written, 'index.html')} (summary.md, report.json, junit.xml and timeline.txt beside it)\n`,
          );
        } else {
          io.out(JSON.stringify({ ...run, report: written }, null, 2) + '\n');
        }
        exit.code = run.outcome === 'pass' ? 0 : 1;
      } catch (e) {
        if (isRelaycheckError(e)) {
          io.err(`relaycheck: ${e.code}: ${e.message}\n`);
          exit.code = e.code === 'SCENARIO_E_SETUP' ? 3 : 2;
          return;
        }
        throw e;
      }
    });
}
