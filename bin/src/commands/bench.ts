// `relaycheck bench` (and `npm run bench -- <name>`): benchmarks, never tests. In: the
// benchmark's name and its rounds. Out: the figures side by side with their targets, or JSON.
import type { Command } from 'commander';
import type { ExitBox, Io } from '../main';
import { integer, oneOf } from '../parse';

const BENCHMARKS = ['crypto', 'servicebus'] as const;

interface BenchOpts {
  rounds: number;
  ms: number;
  messages: number;
  held: number;
  json?: boolean;
}

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
    .option(
      '--messages <n>',
      'servicebus: messages sent and received',
      integer(100, 1_000_000),
      50_000,
    )
    .option(
      '--held <n>',
      'servicebus: messages held for the memory figure',
      integer(100, 1_000_000),
      100_000,
    )
    .option('--json', 'print the figures as JSON')
    .addHelpText(
      'after',
      '\nFigures are medians of interleaved rounds; nothing passes or fails on time.\n' +
        '\nExamples:\n  $ npm run bench -- crypto\n  $ relaycheck bench crypto --rounds 3 --json\n' +
        '  $ npm run bench -- servicebus\n',
    )
    .action(async (name: (typeof BENCHMARKS)[number], opts: BenchOpts) => {
      if (name === 'servicebus') {
        // Loaded on demand: the SDK and the benchmarks stay out of every other command.
        const { renderServiceBusBench, runServiceBusBench } =
          await import('../../../suites/bench/servicebus');
        const result = await runServiceBusBench({ messages: opts.messages, held: opts.held });
        io.out(
          opts.json === true
            ? JSON.stringify(result, null, 2) + '\n'
            : renderServiceBusBench(result),
        );
        return;
      }
      const { renderCryptoBench, runCryptoBench } = await import('../../../suites/bench/crypto');
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
