// Property: for any form type and any key of 1-200 printable ASCII characters, the file name is
// `<formType>-<32 hex>.pdf`, the same every time, and resolves to a path directly inside the
// folder; a real drop with such a key lands there and nowhere else. Any other key is refused.
// Seeds are fixed and printed on failure (FC_SEED / FC_PATH replay).
import { dirname, join, resolve } from 'node:path';
import fc from 'fast-check';
import t from 'tap';
import { createFileDrop, fileDropName, isFileDropError } from '../../src/work/filedrop';
import { checkAsyncProperty, checkProperty } from '../helpers/property';
import { listing, minimalPdf, tempRoot } from './lib/fixture';

const NAME = /^[a-z0-9-]+-[0-9a-f]{32}\.pdf$/;
const printable = fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c));
/** Keys biased towards path-like text: separators, dots, drive letters, NUL-looking escapes. */
const key = fc.oneof(
  fc.string({ unit: printable, minLength: 1, maxLength: 200 }),
  fc
    .array(fc.constantFrom('..', '/', '\\', '.', 'C:', '%2e', '~', 'etc', 'passwd', ' ', '\\0'), {
      minLength: 1,
      maxLength: 60,
    })
    .map((parts) => parts.join('').slice(0, 200)),
);
const formType = fc.stringMatching(/^[a-z0-9][a-z0-9-]{0,63}$/);

void t.test('any printable key gives a <formType>-<32 hex>.pdf name inside the folder', (t) => {
  const folder = resolve('/srv/shares/forms');
  checkProperty(
    t,
    fc.property(formType, key, (f, k) => {
      const name = fileDropName(f, k);
      return (
        NAME.test(name) &&
        name.startsWith(`${f}-`) &&
        name === fileDropName(f, k) &&
        dirname(resolve(folder, name)) === folder
      );
    }),
  );
  t.end();
});

void t.test('a real drop with any printable key lands directly in its folder', async (t) => {
  const root = await tempRoot(t);
  const folder = join(root, 'share');
  const drop = createFileDrop({ folders: { 'any-key': folder } });
  const body = minimalPdf();
  const names = new Set<string>();
  await checkAsyncProperty(
    t,
    fc.asyncProperty(key, async (k) => {
      const r = await drop.drop({ formType: 'any-key', key: k, body });
      names.add(r.name);
      return NAME.test(r.name) && dirname(r.path) === folder && r.path === join(folder, r.name);
    }),
    60,
  );
  t.same(await listing(folder), [...names].sort(), 'only the dropped files, nothing elsewhere');
  t.same(await listing(root), ['share']);
});

void t.test('a key outside 1-200 printable ASCII characters is refused', (t) => {
  const outside = fc.oneof(
    fc.constant(''),
    fc.string({ unit: printable, minLength: 201, maxLength: 300 }),
    fc
      .tuple(
        fc.string({ unit: printable, maxLength: 50 }),
        fc.oneof(fc.integer({ min: 0, max: 0x1f }), fc.integer({ min: 0x7f, max: 0xffff })),
        fc.string({ unit: printable, maxLength: 50 }),
      )
      .map(([a, c, b]) => `${a}${String.fromCharCode(c)}${b}`),
  );
  checkProperty(
    t,
    fc.property(outside, (k) => {
      try {
        fileDropName('any-key', k);
        return false;
      } catch (e) {
        return isFileDropError(e, 'RELAY_E_FILEDROP_REQUEST');
      }
    }),
  );
  t.end();
});
