// The relaycheck command line. In: argv. Out: an exit code (0 ok, 1 a conformance failure
// or a negative answer, 2 a refused command line or input, 3 an internal error) and the
// sub-command's output on stdout. Usage errors are one line on stderr.
import { Command, CommanderError } from 'commander';
import { isRelaycheckError } from '../../relay/src/protocol/errors';
import { registerCases } from './commands/cases';
import { registerKeys } from './commands/keys';
import { registerRun } from './commands/run';
import { registerRanges } from './commands/ranges';
import { registerFirewall } from './commands/firewall';
import { registerPreflight } from './commands/preflight';
import { registerFuzz } from './commands/fuzz';
import { registerBench } from './commands/bench';
import { registerSim } from './commands/sim';
import { registerRelay } from './commands/relay';
import { registerTenant } from './commands/tenant';
import { registerReproduce } from './commands/reproduce';
import { isInteractive } from './commands/run-progress';

/** Where a sub-command leaves its exit code. */
export interface ExitBox {
  code: number;
}

/** Console seam so tests can capture what a command prints. */
export interface Io {
  out(text: string): void;
  err(text: string): void;
  /** Whether stderr may show a live display (a terminal, not CI); absent: it may not. */
  terminal?(): { readonly tty: boolean; readonly columns?: number };
}

export const processIo: Io = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
  terminal: () => ({
    tty: isInteractive(process.stderr, process.env),
    columns: process.stderr.columns,
  }),
};

/** Builds the program. Each sub-command registers itself with its options and examples. */
export function buildProgram(io: Io, exit: ExitBox): Command {
  const program = new Command('relaycheck')
    .description(
      'Conformance, fault reproduction and benchmarks for council integration relays\n' +
        '(Azure Service Bus and Hybrid Connections, outbound only).',
    )
    .exitOverride()
    .showSuggestionAfterError(true)
    .configureOutput({
      writeOut: (s) => {
        io.out(s);
      },
      writeErr: (s) => {
        io.err(s);
      },
      outputError: (s, write) => {
        write(`relaycheck: ${s.replace(/^error: /, '')}`);
      },
    })
    .addHelpText('after', '\nExample:\n  $ relaycheck run            # the full conformance run\n');
  registerRun(program, io, exit);
  registerCases(program, io, exit);
  registerKeys(program, io, exit);
  registerRanges(program, io, exit);
  registerFirewall(program, io, exit);
  registerPreflight(program, io, exit);
  registerFuzz(program, io, exit);
  registerBench(program, io, exit);
  registerReproduce(program, io, exit);
  registerSim(program, io, exit);
  registerRelay(program, io, exit);
  registerTenant(program, io, exit);
  for (const sub of program.commands) {
    sub.exitOverride().configureOutput(program.configureOutput());
  }
  return program;
}

/** Runs the command line and resolves with the exit code. Never throws. */
export async function main(argv: readonly string[], io: Io = processIo): Promise<number> {
  const exit: ExitBox = { code: 0 };
  const program = buildProgram(io, exit);
  try {
    await program.parseAsync([...argv]);
    return exit.code;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
    if (isRelaycheckError(e)) {
      io.err(`relaycheck: ${e.code}: ${e.message}\n`);
      return 2;
    }
    io.err(
      `relaycheck: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`,
    );
    return 3;
  }
}
