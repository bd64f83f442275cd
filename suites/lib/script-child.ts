// Runs a short Node script (`node -e`) as a child process for a test: a peer that must not
// share the test's process (it may crash by design, e.g. hyco-https). In: the tap test, the
// script, its environment, its working directory. Out: its output so far, its exit code, a
// wait for a text on stdout, and stop() by PID (also run at teardown).
import { spawn, type ChildProcess } from 'node:child_process';

export interface ScriptChild {
  readonly process: ChildProcess;
  readonly stdout: () => string;
  readonly stderr: () => string;
  readonly exited: Promise<number | null>;
  /** Resolves when stdout contains `text`; rejects if the child exits first. */
  waitFor(text: string): Promise<void>;
  /** Stops the child by its PID and waits for it to exit. */
  stop(): Promise<void>;
}

export function runScriptChild(
  t: tap.Test,
  script: string,
  env: Record<string, string>,
  cwd: string,
): ScriptChild {
  const child = spawn(process.execPath, ['-e', script], {
    cwd,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  const waiters: { text: string; resolve: () => void }[] = [];
  child.stdout.on('data', (c: Buffer) => {
    out += c.toString();
    for (const w of [...waiters]) {
      if (out.includes(w.text)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
    }
  });
  child.stderr.on('data', (c: Buffer) => {
    err += c.toString();
  });
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code) => {
      resolve(code);
    });
  });
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
      process.kill(child.pid);
    }
    await exited;
  };
  t.teardown(stop);
  return {
    process: child,
    stdout: () => out,
    stderr: () => err,
    exited,
    stop,
    waitFor: (text) =>
      new Promise<void>((resolve, reject) => {
        if (out.includes(text)) {
          resolve();
          return;
        }
        waiters.push({ text, resolve });
        void exited.then(() => {
          reject(new Error(`the child exited before printing ${text}: ${err.slice(0, 500)}`));
        });
      }),
  };
}
