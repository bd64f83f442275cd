// A child process for the SIGKILL test. In: env STORE_PATH and FIRST (the first index). Out:
// records `kill-<i>` put one after another without end; after each put resolves (the record
// is on disk) its key is printed on stdout. The parent kills it with SIGKILL at any moment.
import { openFileIdempotencyStore } from '../../../src/work/idempotency';

async function main(): Promise<void> {
  const path = process.env.STORE_PATH;
  const first = process.env.FIRST;
  if (path === undefined) throw new Error('STORE_PATH is not set');
  const store = await openFileIdempotencyStore(path);
  process.stdout.write('ready\n');
  // Bounded: the parent kills it long before this ends.
  for (let i = Number(first ?? 0); i < 1_000_000; i++) {
    const key = `kill-${i}`;
    await store.put({ key, route: 'r', status: 200, body: Buffer.from(key) });
    process.stdout.write(`${key}\n`);
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 1;
});
