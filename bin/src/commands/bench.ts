// `relaycheck bench` (and `npm run bench -- <name>`): benchmarks, never tests. In: the
// benchmark's name (default relay: the council's workloads through the reference relay on a
// hardware profile) and its options. Out: the figures side by side with their targets, or JSON;
// exit 2 on a bad command line or fixture, 3 when this machine cannot run the benchmark.
import { resolve } from 'node:path';
import type { Command } from 'commander';
import type { ExitBox, Io } from '../main';
import { csv, integer, oneOf } from '../parse';
import { BenchError } from '../../../suites/bench/errors';

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
  repeats: number;
  backend: 'cgroup' | 'container';
  direct: boolean;
  hyco: boolean;
  out?: string;
  json?: boolean;
}

export function registerBench(program: Command, io: Io, exit: ExitBox): void {
  program
    .command('bench')
    .description('run a benchmark and print its figures beside the targets')
    .argument(
      '[name]',
      `the benchmark: ${BENCHMARKS.join(', ')} (default relay: the workloads on a profile)`,
      oneOf(BENCHMARKS),
      'relay',
    )
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
    .option(
      '--repeats <n>',
      'relay: runs of each workload through the relay (figures: the median run)',
      integer(1, 20),
      3,
    )
    .option(
      '--backend <name>',
      'relay: what confines the relay: cgroup (cgroups of ours, else taskset + heap limit) or container (a Docker engine)',
      oneOf(['cgroup', 'container'] as const),
      'cgroup',
    )
    .option('--no-direct', 'relay: leave out the direct baseline (straight to the back office)')
    .option('--no-hyco', 'relay: leave out the hyco-https baseline (the retrievals)')
    .option(
      '--out <dir>',
      'relay: the report folder (report.json, index.html, summary.md; default reports/bench/<timestamp>)',
    )
    .option('--json', 'print the figures as JSON')
    .addHelpText(
      'after',
      '\nFigures are medians of interleaved rounds; nothing passes or fails on time.\n' +
        '\nExamples:\n  $ relaycheck bench --profile min-spec\n  $ npm run bench -- crypto\n  $ relaycheck bench crypto --rounds 3 --json\n' +
        '  $ npm run bench -- servicebus\n  $ npm run bench -- hybrid --rounds 3 --ms 2000\n' +
        '  $ npm run bench -- network\n' +
        '  $ npm run bench -- relay --profile min-spec\n' +
        '  $ npm run bench -- relay --workload xml-posts --step-seconds 10\n' +
        '  $ npm run bench -- relay-memory --size-mib 50 --rounds 3\n',
    )
    .action(async (name: (typeof BENCHMARKS)[number], opts: BenchOpts) => {
      let ran: { result: unknown; text: string };
      try {
        ran = await runBenchmark(name, opts, commandLine(name, opts));
      } catch (e) {
        // The environment could not run it (no engine, the relay never healthy): exit 3.
        if (!(e instanceof BenchError) || e.code === 'BENCH_E_FIXTURE') throw e;
        io.err(`relaycheck: ${e.code}: ${e.message}\n`);
        exit.code = 3;
        return;
      }
      io.out(opts.json === true ? JSON.stringify(ran.result, null, 2) + '\n' : ran.text);
    });
}

/** The command line of a run (for its report), the options that shape the figures. */
function commandLine(name: string, opts: BenchOpts): string {
  const words = ['relaycheck', 'bench', name, '--profile', opts.profile];
  if (opts.workload !== undefined) words.push('--workload', opts.workload.join(','));
  if (opts.stepSeconds !== undefined) words.push('--step-seconds', String(opts.stepSeconds));
  if (opts.maxSteps !== undefined) words.push('--max-steps', String(opts.maxSteps));
  words.push('--repeats', String(opts.repeats), '--backend', opts.backend);
  if (!opts.direct) words.push('--no-direct');
  if (!opts.hyco) words.push('--no-hyco');
  return words.join(' ');
}

/**
 * Runs one benchmark. Each is loaded on demand: the SDK, autocannon and the simulators stay
 * out of every other command (and out of the simulator's own memory figure).
 */
async function runBenchmark(
  name: (typeof BENCHMARKS)[number],
  opts: BenchOpts,
  command: string,
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
      const section = await import('../../../suites/bench/bench-section');
      const started = new Date();
      const result = await b.runRelayLoad({
        profile: opts.profile,
        workloads: opts.workload ?? b.workloadNames(),
        repeats: opts.repeats,
        backend: opts.backend,
        direct: opts.direct,
        hyco: opts.hyco,
        ...(opts.stepSeconds !== undefined ? { stepSeconds: opts.stepSeconds } : {}),
        ...(opts.maxSteps !== undefined ? { maxSteps: opts.maxSteps } : {}),
        onProgress: (line) => {
          process.stderr.write(`${line}\n`);
        },
      });
      const out = resolve(opts.out ?? section.defaultBenchOut(started));
      const paths = section.writeBenchReport(out, result, command);
      return {
        result,
        text:
          b.renderRelayLoad(result) +
          `\nreport: ${paths.indexHtml}\n        ${paths.reportJson}\n        ${paths.summaryMd}\n`,
      };
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
