// The file-backed idempotency store across process lives. In: a store file written, closed and
// opened again; a torn final line as a write cut short leaves it; a damaged line before the
// end; many puts past 2 x maxEntries; a child process putting records and SIGKILLed at once,
// ten times. Out: every record acknowledged before the kill is read back; a torn tail is
// dropped (info.tornTail) and the rest kept; damage before the end is RELAY_E_STORE_CORRUPT
// (never a silent loss); the file is rewritten to the records held, with mode 0600.
import { spawn } from 'node:child_process';
import {
  appendFileSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import t from 'tap';
import { openFileIdempotencyStore } from '../../src/work/idempotency';

function tempDir(t: tap.Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'relaycheck-store-'));
  t.teardown(() => {
    rmSync(dir, { recursive: true, force: true });
  });
  return dir;
}

const ROOT = join(__dirname, '..', '..', '..');
const TS_NODE = require.resolve('ts-node/register/transpile-only', { paths: [ROOT] });

const put = (key: string) => ({ key, route: 'ctb-intake', status: 201, body: Buffer.from(key) });

void t.test('records written before close are there after opening again', async (t) => {
  const path = join(tempDir(t), 'store.jsonl');
  const a = await openFileIdempotencyStore(path);
  for (let i = 0; i < 20; i++) await a.put(put(`m-${i}`));
  await a.close();
  t.equal(statSync(path).mode & 0o777, 0o600, 'the file is private to the relay user');
  const b = await openFileIdempotencyStore(path);
  t.teardown(() => b.close());
  t.equal(b.info.loaded, 20);
  t.notOk(b.info.tornTail);
  t.same(b.get('m-7')?.body, Buffer.from('m-7'));
  await t.rejects(a.put(put('late')), { code: 'RELAY_E_STORE_IO' }, 'a closed store refuses');
});

void t.test('a torn final line is dropped and the records before it kept', async (t) => {
  const path = join(tempDir(t), 'store.jsonl');
  const a = await openFileIdempotencyStore(path);
  for (let i = 0; i < 3; i++) await a.put(put(`m-${i}`));
  await a.close();
  const whole = readFileSync(path, 'utf8');
  const lastLine = whole.trimEnd().split('\n').pop() ?? '';
  appendFileSync(path, lastLine.slice(0, 40)); // a write cut short: no newline
  const b = await openFileIdempotencyStore(path);
  t.ok(b.info.tornTail, 'the torn tail was seen');
  t.equal(b.info.loaded, 3, 'and the three whole records kept');
  await b.put(put('m-3'));
  await b.close();
  const c = await openFileIdempotencyStore(path);
  t.teardown(() => c.close());
  t.notOk(c.info.tornTail, 'the rewrite on open removed the torn tail');
  t.equal(c.info.loaded, 4);
});

void t.test('a damaged line before the end is RELAY_E_STORE_CORRUPT', async (t) => {
  const path = join(tempDir(t), 'store.jsonl');
  const a = await openFileIdempotencyStore(path);
  for (let i = 0; i < 3; i++) await a.put(put(`m-${i}`));
  await a.close();
  const lines = readFileSync(path, 'utf8').split('\n');
  for (const [what, damage] of [
    ['a changed status', (l: string) => l.replace('"s":201', '"s":200')],
    ['a cut line', (l: string) => l.slice(0, 30)],
  ] as const) {
    const copy = [...lines];
    copy[1] = damage(copy[1] ?? '');
    writeFileSync(path, copy.join('\n'));
    await t.rejects(
      openFileIdempotencyStore(path),
      { code: 'RELAY_E_STORE_CORRUPT', details: { line: 2 } },
      `${what} on line 2 stops the store from opening`,
    );
  }
});

void t.test('the file is rewritten once it holds twice maxEntries lines', async (t) => {
  const path = join(tempDir(t), 'store.jsonl');
  const store = await openFileIdempotencyStore(path, { maxEntries: 10 });
  t.teardown(() => store.close());
  for (let i = 0; i < 21; i++) await store.put(put(`m-${i}`));
  const lines = readFileSync(path, 'utf8').trimEnd().split('\n');
  t.equal(lines.length, 10, 'compacted to the records held');
  t.equal(store.size, 10);
  t.ok(store.get('m-20'));
  t.equal(store.get('m-10'), undefined);
});

void t.test('every record acknowledged before a SIGKILL is read back (10 kills)', async (t) => {
  const path = join(tempDir(t), 'store.jsonl');
  const writer = join(__dirname, 'helpers', 'store-writer.ts');
  const acknowledged: string[] = [];
  for (let round = 0; round < 10; round++) {
    // Loaded with require() (a -e script), not as the entry module: tap's loader hooks, which
    // children inherit, would hand a .ts entry to the ESM loader.
    const script = `require(${JSON.stringify(TS_NODE)}); require(${JSON.stringify(writer)});`;
    const child = spawn(process.execPath, ['-e', script], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', STORE_PATH: path, FIRST: String(round * 1_000) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    t.teardown(() => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    });
    const exited = new Promise<NodeJS.Signals | null>((resolve) => {
      child.once('exit', (_code, signal) => {
        resolve(signal);
      });
    });
    // Kill after a number of acknowledgements that varies by round (3 to 30).
    const target = 3 + ((round * 7) % 28);
    let seen = 0;
    await new Promise<void>((resolve, reject) => {
      const lines = createInterface({ input: child.stdout });
      lines.on('line', (line) => {
        if (line === 'ready') return;
        acknowledged.push(line);
        seen += 1;
        if (seen === target) {
          child.kill('SIGKILL');
          resolve();
        }
      });
      void exited.then(() => {
        reject(new Error(`the writer exited before ${target} records: ${stderr.slice(-500)}`));
      });
    });
    t.equal(await exited, 'SIGKILL', `round ${round}: killed after ${target} records`);
  }
  // maxEntries is the default (100,000): nothing is evicted, so every acknowledged record must
  // be there. (With a small bound, records put but not yet printed when the kill landed would
  // push acknowledged ones out: eviction, not loss.)
  const store = await openFileIdempotencyStore(path);
  t.teardown(() => store.close());
  const missing = acknowledged.filter((k) => store.get(k) === undefined);
  t.same(missing, [], `all ${acknowledged.length} acknowledged records are there`);
});
