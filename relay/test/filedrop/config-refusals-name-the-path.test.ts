// The file drop's configuration is validated at the edge: a relative folder, a bad form type, no
// folders or too many, a limit out of range, a world-writable mode, bad PDF options or an unknown
// field are RELAY_E_FILEDROP_CONFIG naming the offending path; a good one comes back frozen, with
// folders normalised and the defaults filled in.
import t from 'tap';
import {
  MAX_FORM_TYPES,
  createFileDrop,
  isFileDropError,
  parseFileDropConfig,
} from '../../src/work/filedrop';

const CASES: readonly (readonly [string, unknown, string])[] = [
  ['a relative folder', { folders: { 'council-tax': 'shares/ct' } }, 'folders.council-tax'],
  ['a dot-relative folder', { folders: { 'council-tax': './ct' } }, 'folders.council-tax'],
  ['an empty folder', { folders: { 'council-tax': '' } }, 'folders.council-tax'],
  ['a folder with NUL', { folders: { 'council-tax': '/srv/a\0b' } }, 'folders.council-tax'],
  ['an upper-case form type', { folders: { Council_Tax: '/srv/ct' } }, 'folders.Council_Tax'],
  ['a form type with a slash', { folders: { 'a/b': '/srv/ab' } }, 'folders.a/b'],
  ['a form type starting with "-"', { folders: { '-x': '/srv/x' } }, 'folders.-x'],
  [
    'a form type of 65 characters',
    { folders: { ['a'.repeat(65)]: '/srv/x' } },
    `folders.${'a'.repeat(65)}`,
  ],
  ['a folder that is not a string', { folders: { ct: 42 } }, 'folders.ct'],
  ['no folders', { folders: {} }, 'folders'],
  ['folders missing', {}, 'folders'],
  [
    'too many folders',
    {
      folders: Object.fromEntries(
        Array.from({ length: MAX_FORM_TYPES + 1 }, (_, i) => [`f${i}`, `/srv/f${i}`]),
      ),
    },
    'folders',
  ],
  [
    'maxFileBytes over 1 GiB',
    { folders: { a: '/a' }, maxFileBytes: 1024 ** 3 + 1 },
    'maxFileBytes',
  ],
  ['maxFileBytes not whole', { folders: { a: '/a' }, maxFileBytes: 10.5 }, 'maxFileBytes'],
  ['a world-writable fileMode', { folders: { a: '/a' }, fileMode: 0o666 }, 'fileMode'],
  ['a fileMode with set-uid', { folders: { a: '/a' }, fileMode: 0o4640 }, 'fileMode'],
  ['a bad PDF limit', { folders: { a: '/a' }, pdf: { maxBytes: 1 } }, 'pdf.maxBytes'],
  ['an unknown PDF option', { folders: { a: '/a' }, pdf: { maxPages: 3 } }, 'pdf'],
];

void t.test('bad configuration is RELAY_E_FILEDROP_CONFIG naming the path', (t) => {
  for (const [what, input, path] of CASES) {
    let error: unknown;
    try {
      createFileDrop(input as never);
    } catch (e) {
      error = e;
    }
    t.ok(isFileDropError(error, 'RELAY_E_FILEDROP_CONFIG'), `${what}: RELAY_E_FILEDROP_CONFIG`);
    t.match(error, { details: { path } }, `${what}: details.path is ${path}`);
    t.match((error as Error).message, path.slice(0, 60), `${what}: the message names it`);
  }
  t.throws(() => parseFileDropConfig({ folders: { a: '/a' }, extra: true }), {
    code: 'RELAY_E_FILEDROP_CONFIG',
  });
  t.throws(() => parseFileDropConfig(null), { code: 'RELAY_E_FILEDROP_CONFIG' });
  t.end();
});

void t.test('a good configuration is frozen, normalised and defaulted', (t) => {
  const c = parseFileDropConfig({
    folders: { 'council-tax': '/srv/shares//ct/../council-tax/', 'blue-badge': '/srv/bb' },
  });
  t.same(c.folders, { 'council-tax': '/srv/shares/council-tax', 'blue-badge': '/srv/bb' });
  t.equal(c.maxFileBytes, 64 * 1024 * 1024, 'default 64 MiB');
  t.equal(c.pdf.maxBytes, 64 * 1024 * 1024, 'the PDF check gets the same limit');
  t.equal(c.fileMode, 0o640, 'default mode');
  t.ok(Object.isFrozen(c) && Object.isFrozen(c.folders), 'frozen');
  t.equal(parseFileDropConfig(c), c, 'a parsed config passes through');
  t.equal(createFileDrop(c).config, c);
  t.end();
});
