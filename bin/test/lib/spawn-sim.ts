// Runs `relaycheck sim …` as a user would, for the sim command tests. In: the arguments after
// `sim`. Out: the child, a promise of its first stdout line parsed as JSON (the ready line of
// --json), its exit code, and what it wrote to stderr.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

const BIN = join(__dirname, '..', '..', 'relaycheck.js');

export interface SimChild<T> {
  readonly child: ChildProcess;
  readonly ready: Promise<T>;
  readonly exited: Promise<number | null>;
  stderr(): string;
}

export function startSim<T>(args: readonly string[]): SimChild<T> {
  const child = spawn(process.execPath, [BIN, 'sim', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const ready = new Promise<T>((resolve, reject) => {
    createInterface({ input: child.stdout }).once('line', (line) => {
      resolve(JSON.parse(line) as T);
    });
    void exited.then((code) => {
      reject(new Error(`exited with ${String(code)}: ${stderr}`));
    });
  });
  // A start that is meant to fail is never awaited for `ready`: its rejection is expected.
  ready.catch(() => undefined);
  return { child, ready, exited, stderr: () => stderr };
}
