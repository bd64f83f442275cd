// `relaycheck bench` (and `npm run bench -- <name>`): benchmarks, never tests. In: the
// benchmark's name and its rounds. Out: the figures side by side with their targets, or JSON.
import type { Command } from 'commander';
import { renderCryptoBench, runCryptoBench } from '../../../suites/bench/crypto';
import type { ExitBox, Io } from '../main';
import { integer, oneOf } from '../parse';

const BENCHMARKS = ['crypto'] as const;

export function registerBench(program: Command, io: Io, _exit: ExitBox): void {
  program
    .command('bench')
    .description('run a benchmark and print its figures beside the targets')
    .argument('<name>', `the benchmark: ${BENCHMARKS.join(', ')}`, oneOf(BENCHMARKS))
    .option(
      '--rounds <n>',
      'interleaved rounds per figure (the median is reported)',
      integer(1, 100),
      5,
    )
    .option('--ms <n>', 'milliseconds per round', integer(50, 60_000), 1000)
    .option('--json', 'print the figures as JSON')
    .addHelpText(
      'after',
      '\nFigures are medians of interleaved rounds; nothing passes or fails on time.\n' +
        '\nExample:\n  $ npm run bench -- crypto\n  $ relaycheck bench crypto --rounds 3 --json\n',
    )
    .action((_name: string, opts: { rounds: number; ms: number; json?: boolean }) => {
      const result = runCryptoBench({
        rounds: opts.rounds,
        msPerRound: opts.ms,
        hellosPerRound: 10_000,
      });
      io.out(
        opts.json === true ? JSON.stringify(result, null, 2) + '\n' : renderCryptoBench(result),
      );
    });
}
