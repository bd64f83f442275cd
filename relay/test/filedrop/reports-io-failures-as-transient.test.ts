// IO failures are RELAY_E_FILEDROP_IO (503, abandon: the message comes back and the drop is
// retried), with the system's errno in details and no path in the message: a folder path that
// is an existing regular file (EEXIST), a folder under a regular file (ENOTDIR), and, when not
// running as root, a read-only folder (EACCES). Nothing is left behind.
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import { createFileDrop, fileDropSettlementOf, isFileDropError } from '../../src/work/filedrop';
import { dropEvents, listing, minimalPdf, rejection, tempRoot } from './lib/fixture';

void t.test(
  'a folder path that is a regular file, or lies under one, is an IO failure',
  async (t) => {
    const root = await tempRoot(t);
    const file = join(root, 'not-a-folder');
    await writeFile(file, 'a regular file where a share should be');
    const drop = createFileDrop({
      folders: { 'bulky-waste': file, 'grit-bin': join(file, 'below') },
    });
    const events = dropEvents(t);
    const cases = [
      ['bulky-waste', 'EEXIST'],
      ['grit-bin', 'ENOTDIR'],
    ] as const;
    for (const [formType, errno] of cases) {
      const e = await rejection(drop.drop({ formType, key: 'k', body: minimalPdf() }));
      t.ok(isFileDropError(e, 'RELAY_E_FILEDROP_IO'), `${formType}: RELAY_E_FILEDROP_IO`);
      t.match(e, { http: 503, details: { errno, formType, step: 'create its folder' } });
      t.notOk((e as Error).message.includes(root), 'the message names no path');
      t.same(fileDropSettlementOf(e), { action: 'abandon', code: 'RELAY_E_FILEDROP_IO' });
    }
    t.equal(await readFile(file, 'utf8'), 'a regular file where a share should be', 'untouched');
    t.same(await listing(root), ['not-a-folder']);
    t.same(
      events.map((e) => [e.formType, e.outcome, e.code]),
      cases.map(([formType]) => [formType, 'failed', 'RELAY_E_FILEDROP_IO']),
    );
  },
);

void t.test(
  'a read-only folder is an IO failure (EACCES) unless the relay runs as root',
  async (t) => {
    const root = await tempRoot(t);
    const folder = join(root, 'locked');
    await mkdir(folder);
    await chmod(folder, 0o555);
    t.teardown(() => chmod(folder, 0o755));
    const drop = createFileDrop({ folders: { 'tree-works': folder } });
    const asRoot = process.getuid?.() === 0;
    const outcome = await drop.drop({ formType: 'tree-works', key: 'k', body: minimalPdf() }).then(
      (r) => ({ written: r.name }),
      (e: unknown) => ({ error: e }),
    );
    if (asRoot) {
      // root ignores the mode bits: the drop succeeds, which is what a root relay would see.
      t.match(outcome, { written: /^tree-works-[0-9a-f]{32}\.pdf$/ }, 'root writes anyway');
    } else {
      t.match(outcome, { error: { code: 'RELAY_E_FILEDROP_IO', details: { errno: 'EACCES' } } });
      t.same(await listing(folder), [], 'nothing left');
    }
  },
);
