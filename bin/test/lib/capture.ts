// The console seam of bin/src/main.ts for tests. In: nothing. Out: an Io whose out/err are
// collected into `stdout` and `stderr`, so a test reads what a command printed.
import type { Io } from '../../src/main';

export function capture(): Io & { stdout: string; stderr: string } {
  const io = {
    stdout: '',
    stderr: '',
    out(text: string) {
      io.stdout += text;
    },
    err(text: string) {
      io.stderr += text;
    },
  };
  return io;
}
