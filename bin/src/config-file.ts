// Shared by the commands that take a JSON config file and by those that serve until stopped.
// In: a path and the typed error to raise; or nothing. Out: the parsed (unvalidated) JSON,
// or that error naming the file and what is wrong with it; a promise settled by SIGINT or
// SIGTERM.
import { readFile } from 'node:fs/promises';
import type { RelaycheckError } from '../../relay/src/protocol/errors';

/** Reads `path` as JSON; `fail` makes the typed error (cannot read, not JSON). */
export async function loadJsonConfig(
  path: string,
  fail: (message: string) => RelaycheckError,
  what = 'namespace config',
): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'unknown error';
    throw fail(`cannot read the ${what} ${path}: ${code}`);
  }
  try {
    return JSON.parse(text);
  } catch {
    throw fail(`the ${what} ${path} is not JSON`);
  }
}

/** Resolves at the first SIGINT or SIGTERM (and stops listening for them). */
export function untilStopped(): Promise<void> {
  return new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}
