// `relaycheck fuzz` (and `npm run fuzz`): the parsers against hostile input. In: runs per
// target, seed, a name filter. Out: one line per target and exit code 1 on any finding
// (an untyped exception, a slow input or a hang).
import type { Command } from 'commander';
import type { FuzzResult } from '../../../suites/fuzz/run';
import type { ExitBox, Io } from '../main';
import { integer } from '../parse';

export function describeResult(r: FuzzResult): string {
  if (r.hung) return `HANG  ${r.name}: ${r.failure}\n`;
  const codes = Object.entries(r.codes)
    .sort((a, b) => b[1] - a[1])
    .map(([code, n]) => `${code} ${n}`)
    .join(', ');
  const head = r.failure === undefined ? 'ok   ' : 'FAIL ';
  let line =
    `${head} ${r.name}: ${r.runs} inputs, ${r.accepted} accepted, ${r.refused} refused` +
    ` (${codes === '' ? 'none' : codes}), slowest ${r.slowestMs.toFixed(1)} ms\n`;
  if (r.failure !== undefined) line += r.failure.replace(/^/gm, '      ') + '\n';
  return line;
}

export function registerFuzz(program: Command, io: Io, exit: ExitBox): void {
  program
    .command('fuzz')
    .description(
      'fuzz every parser and guard: handshake, envelope metadata, SAS, service-tag JSON and XML, the XML guard, the PDF guard, file names',
    )
    .option('--runs <n>', 'inputs per target', integer(1, 100_000_000), 1_000_000)
    .option('--seed <n>', 'fast-check seed', integer(-(2 ** 31), 2 ** 31 - 1), 20261122)
    .option('--target <text>', 'only targets whose name contains this text')
    .addHelpText(
      'after',
      '\nA finding is an exception that is not a typed RelaycheckError, an input slower than\n' +
        '1 s, or a hang (no progress for 20 s). Exit code 1 on any finding.\n' +
        '\nExample:\n  $ relaycheck fuzz --runs 200000 --target sas\n',
    )
    .action(async (opts: { runs: number; seed: number; target?: string }) => {
      const started = Date.now();
      const { fuzzAll } = await import('../../../suites/fuzz/run');
      const results = await fuzzAll({
        runs: opts.runs,
        seed: opts.seed,
        ...(opts.target !== undefined ? { filter: opts.target } : {}),
        onReport: (r) => {
          io.out(describeResult(r));
        },
      });
      if (results.length === 0) {
        io.err('relaycheck: no fuzz target matches\n');
        exit.code = 2;
        return;
      }
      const findings = results.filter((r) => r.hung || r.failure !== undefined).length;
      const inputs = results.reduce((n, r) => n + r.runs, 0);
      io.out(
        `${results.length} targets, ${inputs} inputs, ${findings} findings, seed ${opts.seed}, ` +
          `${((Date.now() - started) / 1000).toFixed(1)} s\n`,
      );
      exit.code = findings > 0 ? 1 : 0;
    });
}
