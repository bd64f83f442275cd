// A drop writes the PDF under a name the relay derives from the form type and the idempotency key,
// never from the message: a key or a PDF title that looks like a path stays a hash inside the
// folder. The bytes and SHA-256 on disk are the body's, the mode is the configured one, no
// temporary file is left, the folder is created on first use and one event is published.
import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import t from 'tap';
import { createFileDrop, fileDropName } from '../../src/work/filedrop';
import { dropEvents, listing, minimalPdf, tempRoot } from './lib/fixture';

const NAME = /^[a-z0-9-]+-[0-9a-f]{32}\.pdf$/;

void t.test(
  'a PDF lands under <formType>-<sha256(key)[0..32]>.pdf with its exact bytes',
  async (t) => {
    const root = await tempRoot(t);
    const folder = join(root, 'shares', 'planning', 'applications');
    const drop = createFileDrop({ folders: { 'planning-application': folder } });
    const events = dropEvents(t);
    const body = minimalPdf('application 2024/0042');
    const key = 'msg-6f1c2a9e-0001';

    const receipt = await drop.drop({ formType: 'planning-application', key, body });

    const digest = createHash('sha256').update(key).digest('hex');
    t.equal(receipt.name, `planning-application-${digest.slice(0, 32)}.pdf`, 'the name is derived');
    t.equal(receipt.name, fileDropName('planning-application', key), 'fileDropName agrees');
    t.match(receipt.name, NAME);
    t.equal(receipt.folder, folder, 'the configured folder');
    t.equal(receipt.path, join(folder, receipt.name), 'path is folder + name');
    t.equal(receipt.size, body.length);
    t.equal(receipt.sha256, createHash('sha256').update(body).digest('hex'));
    t.equal(receipt.replayed, false);
    t.ok(Object.isFrozen(receipt), 'the receipt is frozen');
    t.same(await readFile(receipt.path), body, 'the bytes on disk are the body');
    t.same(await listing(folder), [receipt.name], 'only the file: no temporary name is left');
    t.equal((await stat(receipt.path)).mode & 0o777, 0o640, 'the default file mode');
    t.same(events, [
      {
        formType: 'planning-application',
        name: receipt.name,
        size: body.length,
        replayed: false,
        outcome: 'written',
        findings: [],
        scan: 'off',
      },
    ]);
    t.same(receipt.findings, [], 'nothing flagged');
    t.equal(receipt.scan, 'off', 'no scanner: the receipt says the file was not scanned');
  },
);

void t.test('a key or a PDF title that looks like a path never becomes the name', async (t) => {
  const root = await tempRoot(t);
  const folder = join(root, 'evidence');
  const drop = createFileDrop({ folders: { 'blue-badge': folder } });
  const events = dropEvents(t);
  const keys = [
    '../../etc/passwd',
    '/etc/shadow',
    '..\\..\\windows\\win.ini',
    'a/../../b.pdf',
    ' ',
  ];
  const names: string[] = [];
  for (const key of keys) {
    const r = await drop.drop({ formType: 'blue-badge', key, body: minimalPdf('../../evil.pdf') });
    t.match(r.name, NAME, `${JSON.stringify(key)} gives a safe name`);
    t.equal(dirname(r.path), folder, `${JSON.stringify(key)} stays in the folder`);
    t.notOk(r.name.includes('passwd') || r.name.includes('evil'), 'nothing of the key or body');
    names.push(r.name);
  }
  t.same(await listing(folder), [...names].sort(), 'one file per key, nothing else');
  t.same(await listing(root), ['evidence'], 'nothing written beside the folder');
  const text = JSON.stringify(events);
  t.notOk(text.includes('passwd') || text.includes(root), 'events carry no key and no path');
});

void t.test('a Uint8Array body and a configured file mode are honoured', async (t) => {
  const root = await tempRoot(t);
  const drop = createFileDrop({ folders: { 'fly-tipping': root }, fileMode: 0o600 });
  const pdf = minimalPdf('photo evidence');
  const view = new Uint8Array(pdf.length + 6);
  view.set(pdf, 3);
  const r = await drop.drop({
    formType: 'fly-tipping',
    key: 'k-1',
    body: view.subarray(3, 3 + pdf.length),
  });
  t.same(await readFile(r.path), pdf, 'exactly the viewed bytes');
  t.equal((await stat(r.path)).mode & 0o777, 0o600, 'the configured mode');
});
