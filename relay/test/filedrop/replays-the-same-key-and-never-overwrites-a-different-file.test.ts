// Idempotency across deliveries and crashes: the same key and bytes again (a redelivery, a
// relay restarted after SIGKILL, two receivers at once) leave one file and answer replayed;
// the same key with other bytes, or a name taken by something that is not a regular file (a
// folder, a symbolic link), is RELAY_E_FILEDROP_CONFLICT and the existing entry is untouched.
import { link, mkdir, readFile, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import {
  createFileDrop,
  fileDropName,
  fileDropSettlementOf,
  isFileDropError,
} from '../../src/work/filedrop';
import { dropEvents, listing, minimalPdf, rejection, tempRoot } from './lib/fixture';

void t.test(
  'the same key twice leaves one file and the second receipt says replayed',
  async (t) => {
    const root = await tempRoot(t);
    const drop = createFileDrop({ folders: { 'council-tax-discount': root } });
    const events = dropEvents(t);
    const body = minimalPdf('single person discount');
    const first = await drop.drop({ formType: 'council-tax-discount', key: 'msg-1', body });
    const second = await drop.drop({ formType: 'council-tax-discount', key: 'msg-1', body });
    t.equal(first.replayed, false);
    t.equal(second.replayed, true);
    t.same({ ...second, replayed: false }, first, 'the same name, size and digest');
    t.same(await listing(root), [first.name], 'one file, no temporary name');
    t.same(
      events.map((e) => e.outcome),
      ['written', 'replayed'],
    );
  },
);

void t.test('a relay restarted after a kill replays the drop it had published', async (t) => {
  const root = await tempRoot(t);
  const body = minimalPdf('published just before SIGKILL');
  const before = createFileDrop({ folders: { 'housing-repair': root } });
  const r1 = await before.drop({ formType: 'housing-repair', key: 'redelivered', body });
  // A temporary file of the killed attempt is still there: it does not get in the way.
  await writeFile(join(root, `.${r1.name}.0123456789abcdef.tmp`), body.subarray(0, 9));
  const after = createFileDrop({ folders: { 'housing-repair': root } });
  const r2 = await after.drop({ formType: 'housing-repair', key: 'redelivered', body });
  t.equal(r2.replayed, true);
  t.equal(r2.path, r1.path);
  t.same(await readFile(r2.path), body);
});

void t.test('two drops of one key at once publish one file; the other replays', async (t) => {
  const root = await tempRoot(t);
  const drop = createFileDrop({ folders: { 'pest-control': root } });
  const body = minimalPdf('wasps');
  const receipts = await Promise.all(
    [1, 2, 3].map(() => drop.drop({ formType: 'pest-control', key: 'same', body })),
  );
  t.equal(receipts.filter((r) => !r.replayed).length, 1, 'exactly one wrote');
  t.equal(receipts.filter((r) => r.replayed).length, 2, 'the others replayed');
  t.same(await listing(root), [fileDropName('pest-control', 'same')]);
});

void t.test('the same key with different bytes is a conflict and the original stays', async (t) => {
  const root = await tempRoot(t);
  const drop = createFileDrop({ folders: { 'school-admission': root } });
  const events = dropEvents(t);
  const original = minimalPdf('first choice: Oak Primary');
  const r = await drop.drop({ formType: 'school-admission', key: 'reused-id', body: original });
  const before = await stat(r.path);
  for (const other of [minimalPdf('first choice: Elm Primary'), minimalPdf('longer title here')]) {
    const e = await rejection(
      drop.drop({ formType: 'school-admission', key: 'reused-id', body: other }),
    );
    t.ok(isFileDropError(e, 'RELAY_E_FILEDROP_CONFLICT'), 'RELAY_E_FILEDROP_CONFLICT');
    t.match(e, { http: 409, details: { formType: 'school-admission', name: r.name } });
    t.equal(fileDropSettlementOf(e).action, 'dead-letter', 'a conflict is permanent');
  }
  t.same(await readFile(r.path), original, 'the original bytes are untouched');
  t.equal((await stat(r.path)).ino, before.ino, 'the same file, not a replacement');
  t.same(await listing(root), [r.name], 'no temporary file left');
  t.same(
    events.map((e) => [e.outcome, e.code]),
    [
      ['written', undefined],
      ['refused', 'RELAY_E_FILEDROP_CONFLICT'],
      ['refused', 'RELAY_E_FILEDROP_CONFLICT'],
    ],
  );
});

void t.test(
  'a name taken by a folder or a symbolic link is a conflict, never followed',
  async (t) => {
    const root = await tempRoot(t);
    const folder = join(root, 'share');
    const outside = join(root, 'outside.pdf');
    const body = minimalPdf('same bytes as the link target');
    await writeFile(outside, body);
    await mkdir(folder);
    await mkdir(join(folder, fileDropName('garden-waste', 'dir')));
    await symlink(outside, join(folder, fileDropName('garden-waste', 'link')));
    const drop = createFileDrop({ folders: { 'garden-waste': folder } });
    for (const key of ['dir', 'link']) {
      const e = await rejection(drop.drop({ formType: 'garden-waste', key, body }));
      t.ok(isFileDropError(e, 'RELAY_E_FILEDROP_CONFLICT'), `${key}: a conflict`);
    }
    t.same(await readFile(outside), body, 'the link target is untouched');
    t.equal((await listing(folder)).length, 2, 'no temporary file left');
  },
);

void t.test('a hard link of the same bytes already under the name is a replay', async (t) => {
  const root = await tempRoot(t);
  const body = minimalPdf('linked in by hand');
  const loose = join(root, 'loose.pdf');
  await writeFile(loose, body);
  await link(loose, join(root, fileDropName('licence-renewal', 'by-hand')));
  const drop = createFileDrop({ folders: { 'licence-renewal': root } });
  const r = await drop.drop({ formType: 'licence-renewal', key: 'by-hand', body });
  t.equal(r.replayed, true);
});
