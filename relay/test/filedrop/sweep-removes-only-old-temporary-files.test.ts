// sweep(olderThanMs) removes the temporary files of drops cut short (a crash, SIGKILL) once they
// are older than the bound, in every configured folder, judged by an injected clock against the
// files' modification times; it leaves fresh ones, published files, other hidden names, the
// temporary file of a drop under way, and folders that do not exist yet.
import { mkdir, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import t from 'tap';
import { TEMP_NAME, createFileDrop, fileDropName, isFileDropError } from '../../src/work/filedrop';
import { deferred, listing, minimalPdf, rejection, tempRoot } from './lib/fixture';

const NOW = 1_750_000_000_000;
const HOUR = 3_600_000;

async function touch(path: string, atMs: number, body: Buffer | string = 'partial'): Promise<void> {
  await writeFile(path, body);
  await utimes(path, atMs / 1000, atMs / 1000);
}

void t.test('old temporary files go; fresh ones, real files and other names stay', async (t) => {
  const root = await tempRoot(t);
  const a = join(root, 'a');
  const b = join(root, 'b');
  await mkdir(a);
  await mkdir(b);
  const drop = createFileDrop(
    {
      folders: {
        'form-a': a,
        'form-a2': a, // a shared folder is swept once
        'form-b': b,
        'form-c': join(root, 'not-created-yet'),
      },
    },
    { now: () => NOW },
  );
  const temp = (formType: string, key: string, hex: string): string =>
    `.${fileDropName(formType, key)}.${hex}.tmp`;
  const oldA = temp('form-a', 'k1', '0123456789abcdef');
  const oldB = temp('form-b', 'k2', 'fedcba9876543210');
  const fresh = temp('form-a', 'k3', '00112233445566aa');
  const published = fileDropName('form-a', 'k4');
  const foreign = ['.upload-1-abcd.part', '.notes.tmp', 'report.pdf.0123456789abcdef.tmp'];
  t.ok(TEMP_NAME.test(oldA) && TEMP_NAME.test(fresh), 'the names are temporary names');
  await touch(join(a, oldA), NOW - 2 * HOUR);
  await touch(join(b, oldB), NOW - HOUR - 1);
  await touch(join(a, fresh), NOW - 60_000);
  await touch(join(a, published), NOW - 48 * HOUR, minimalPdf());
  for (const name of foreign) await touch(join(a, name), NOW - 48 * HOUR);
  await mkdir(join(a, temp('form-a', 'k5', 'aaaaaaaaaaaaaaaa')));

  t.equal(await drop.sweep(HOUR), 2, 'two old temporary files removed');
  t.same(
    await listing(a),
    [fresh, temp('form-a', 'k5', 'aaaaaaaaaaaaaaaa'), ...foreign, published].sort(),
  );
  t.same(await listing(b), []);
  t.equal(await drop.sweep(HOUR), 0, 'a second sweep finds nothing');
  t.equal(await drop.sweep(0), 1, 'with no age bound the fresh one goes too');
  t.same(await listing(root), ['a', 'b'], 'no folder was created by sweeping');
});

void t.test('the temporary file of a drop under way is never swept', async (t) => {
  const root = await tempRoot(t);
  const drop = createFileDrop(
    { folders: { slow: root } },
    { now: () => Date.now() + 365 * 24 * HOUR },
  );
  const started = deferred();
  const release = deferred();
  const pdf = minimalPdf('in-flight');
  async function* body(): AsyncGenerator<Buffer> {
    yield pdf.subarray(0, 9);
    started.resolve();
    await release.promise;
    yield pdf.subarray(9);
  }
  const pending = drop.drop({
    formType: 'slow',
    key: 'in-flight',
    body: Readable.from(body(), { objectMode: false }),
  });
  await started.promise;
  const during = await listing(root);
  t.equal(during.filter((n) => TEMP_NAME.test(n)).length, 1, 'the drop is writing');
  t.equal(await drop.sweep(0), 0, 'nothing swept');
  t.same(await listing(root), during, 'its temporary file is still there');
  release.resolve();
  const r = await pending;
  t.same(await listing(root), [r.name], 'the drop completed and cleaned up');
});

void t.test('sweep refuses a bound that is not a whole number of milliseconds', async (t) => {
  const root = await tempRoot(t);
  const drop = createFileDrop({ folders: { x: root } });
  for (const bad of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, '10' as unknown as number]) {
    t.ok(
      isFileDropError(await rejection(drop.sweep(bad)), 'RELAY_E_FILEDROP_REQUEST'),
      String(bad),
    );
  }
});
