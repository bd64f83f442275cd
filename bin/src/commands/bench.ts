// `relaycheck bench` (and `npm run bench -- <name>`): benchmarks, never tests. In: the
// benchmark's name and its rounds. Out: the figures side by side with their targets, or JSON.
import type { Command } from 'commander';
import type { ExitBox, Io } from '../main';
import { csv, integer, oneOf } from '../parse';

const BENCHMARKS = ['crypto', 'servicebus', 'hybrid', 'network', 'relay', 'relay-memory'] as const;

interface BenchOpts {
  rounds: number;
  ms: number;
  messages: number;
  held: number;
  connections: number;
  transfers: number;
  pings: number;
  seconds: number;
  sizeMib: number;
  profile: string;
  workload?: string[];
  stepSeconds?: number;
  maxSteps?: number;
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
    .option(
      '--connections <n>',
      'hybrid, network: autocannon connections for the request-rate figures',
      integer(1, 1024),
      32,
    )
    .option(
      '--transfers <n>',
      'network: 1 MiB transfers per path and direction',
      integer(1, 10_000),
      100,
    )
    .option('--pings <n>', 'network: 64-byte round trips per path', integer(10, 1_000_000), 5000)
    .option('--seconds <n>', 'network: seconds of autocannon on the back office', integer(1, 60), 5)
    .option('--size-mib <n>', 'relay-memory: size of the PDF relayed, in MiB', integer(1, 1024), 50)
    .option(
      '--profile <name>',
      'relay: the hardware profile the relay runs in (fixtures/profiles)',
      'min-spec',
    )
    .option('--workload <names>', 'relay: only these workloads (fixtures/workloads)', csv)
    .option('--step-seconds <n>', 'relay: seconds per offered rate', integer(1, 600))
    .option(
      '--max-steps <n>',
      'relay: at most this many offered rates per workload',
      integer(1, 100),
    )
    .option('--json', 'print the figures as JSON')
    .addHelpText(
      'after',
      '\nFigures are medians of interleaved rounds; nothing passes or fails on time.\n' +
        '\nExamples:\n  $ npm run bench -- crypto\n  $ relaycheck bench crypto --rounds 3 --json\n' +
        '  $ npm run bench -- servicebus\n  $ npm run bench -- hybrid --rounds 3 --ms 2000\n' +
        '  $ npm run bench -- network\n' +
        '  $ npm run bench -- relay --profile min-spec\n' +
        '  $ npm run bench -- relay --workload xml-posts --step-seconds 10\n' +
        '  $ npm run bench -- relay-memory --size-mib 50 --rounds 3\n',
    )
    .action(async (name: (typeof BENCHMARKS)[number], opts: BenchOpts) => {
      const { result, text } = await runBenchmark(name, opts);
      io.out(opts.json === true ? JSON.stringify(result, null, 2) + '\n' : text);
    });
}

/**
 * Runs one benchmark. Each is loaded on demand: the SDK, autocannon and the simulators stay
 * out of every other command (and out of the simulator's own memory figure).
 */
async function runBenchmark(
  name: (typeof BENCHMARKS)[number],
  opts: BenchOpts,
): Promise<{ result: unknown; text: string }> {
  switch (name) {
    case 'servicebus': {
      const b = await import('../../../suites/bench/servicebus');
      const result = await b.runServiceBusBench({ messages: opts.messages, held: opts.held });
      return { result, text: b.renderServiceBusBench(result) };
    }
    case 'hybrid': {
      const b = await import('../../../suites/bench/hybrid');
      const result = await b.runHybridBench({
        rounds: opts.rounds,
        msPerRound: opts.ms,
        connections: opts.connections,
      });
      return { result, text: b.renderHybridBench(result) };
    }
    case 'network': {
      const b = await import('../../../suites/bench/network');
      const result = await b.runNetworkBench({
        transfers: opts.transfers,
        pings: opts.pings,
        seconds: opts.seconds,
        connections: opts.connections,
      });
      return { result, text: b.renderNetworkBench(result) };
    }
    case 'relay': {
      const b = await import('../../../suites/bench/workloads');
      const result = await b.runRelayLoad({
        profile: opts.profile,
        workloads: opts.workload ?? b.workloadNames(),
        ...(opts.stepSeconds !== undefined ? { stepSeconds: opts.stepSeconds } : {}),
        ...(opts.maxSteps !== undefined ? { maxSteps: opts.maxSteps } : {}),
        onProgress: (line) => {
          process.stderr.write(`${line}\n`);
        },
      });
      return { result, text: b.renderRelayLoad(result) };
    }
    case 'relay-memory': {
      const b = await import('../../../suites/bench/relay');
      const result = await b.runRelayBench({
        sizeMiB: opts.sizeMib,
        transfers: opts.rounds,
      });
      return { result, text: b.renderRelayBench(result) };
    }
    case 'crypto': {
      const b = await import('../../../suites/bench/crypto');
      const result = b.runCryptoBench({
        rounds: opts.rounds,
        msPerRound: opts.ms,
        hellosPerRound: 10_000,
      });
      return { result, text: b.renderCryptoBench(result) };
    }
  }
}
