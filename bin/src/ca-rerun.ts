// Trust for a CA the Service Bus SDK cannot be given directly. The SDK takes no CA for AMQP over
// TLS, and Node reads NODE_EXTRA_CA_CERTS only when a process starts, so a command that must
// trust a configured CA file re-runs itself with that variable set. In: the CA file and any
// extra descriptors to pass through. Out: the child's exit code; SIGINT and SIGTERM are
// forwarded to it. Certificate verification is never turned off.
import { spawn } from 'node:child_process';

/** The variable that marks the re-run, so a child never re-runs again. */
export const CA_RERUN_ENV = 'RELAYCHECK_CA_RERUN';

/** What to do about `caFile` in this process: nothing, re-run, or fail (a re-run that lost it). */
export function caTrust(caFile: string | undefined): 'trusted' | 'rerun' | 'lost' {
  if (caFile === undefined || process.env.NODE_EXTRA_CA_CERTS === caFile) return 'trusted';
  return process.env[CA_RERUN_ENV] === '1' ? 'lost' : 'rerun';
}

/** Re-runs this process with NODE_EXTRA_CA_CERTS; resolves with the child's exit code. */
export function rerunWithCa(
  caFile: string,
  extraStdio: readonly (number | 'ignore')[] = [],
): Promise<number> {
  const child = spawn(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
    env: { ...process.env, NODE_EXTRA_CA_CERTS: caFile, [CA_RERUN_ENV]: '1' },
    // stdin, stdout, stderr and any extra descriptor pass straight through.
    stdio: ['inherit', 'inherit', 'inherit', ...extraStdio],
  });
  const forward = (signal: NodeJS.Signals) => () => {
    child.kill(signal);
  };
  const onInt = forward('SIGINT');
  const onTerm = forward('SIGTERM');
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);
  return new Promise<number>((resolve) => {
    child.once('exit', (code, signal) => {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
      resolve(code ?? (signal === 'SIGINT' ? 130 : 143));
    });
  });
}
