// The file name of a Content-Disposition header (RFC 6266, ext-values of RFC 8187 / 5987). In:
// headers with filename and filename* (UTF-8 and ISO-8859-1, quoted and token forms, escapes),
// malformed headers, charsets other than UTF-8, bytes that are not UTF-8, overlong dots, and
// (fast-check) any header text and any name round-tripped through filename*. Out: the name
// (filename* preferred), undefined when there is none, or RELAY_E_CONTENT_NAME with the rule
// 'header', 'encoding', 'traversal', 'control' or 'length'; never an untyped error.
import fc from 'fast-check';
import t from 'tap';
import { isRelayContentError } from '../../src/work/content';
import {
  checkFileName,
  fileNameFromContentDisposition,
  MAX_HEADER_CHARS,
} from '../../src/work/filedrop/filename';
import { checkProperty } from '../helpers/property';

const NAMES: readonly (readonly [string, string | undefined])[] = [
  ['attachment; filename="bill.pdf"', 'bill.pdf'],
  ['attachment; filename=bill.pdf', 'bill.pdf'],
  ['ATTACHMENT ; FileName = "Council tax bill (2025).pdf" ', 'Council tax bill (2025).pdf'],
  ['form-data; name="evidence"; filename="a \\"quoted\\" name.pdf"', 'a "quoted" name.pdf'],
  ["attachment; filename*=UTF-8''%C5%B4yl%20Dewi.pdf", 'Ŵyl Dewi.pdf'],
  ["attachment; filename*=utf-8'cy'Ffurflen-gais.pdf", 'Ffurflen-gais.pdf'],
  ["attachment; filename*=ISO-8859-1''r%E9sum%E9.pdf", 'résumé.pdf'],
  ['attachment; filename="fallback.pdf"; filename*=UTF-8\'\'%C3%A9.pdf', 'é.pdf'],
  ['attachment; filename*=UTF-8\'\'%C3%A9.pdf; filename="fallback.pdf"', 'é.pdf'],
  ["attachment; filename*=UTF-8''%252e%252e%252fbill.pdf", '%2e%2e%2fbill.pdf'],
  ['attachment', undefined],
  ['inline; size=42', undefined],
  ['attachment;', undefined],
];

const REFUSED: readonly (readonly [string, string, unknown])[] = [
  ['no disposition type', 'header', '; filename="bill.pdf"'],
  ['an unterminated quoted string', 'header', 'attachment; filename="bill.pdf'],
  ['filename twice', 'header', 'attachment; filename=a.pdf; filename=b.pdf'],
  ['filename* twice', 'header', "attachment; filename*=UTF-8''a.pdf; FILENAME*=UTF-8''b.pdf"],
  ['a parameter without a value', 'header', 'attachment; filename'],
  ['an empty token value', 'header', 'attachment; filename=; x=1'],
  ['text where ; belongs', 'header', 'attachment filename="bill.pdf"'],
  ['a CR LF (header injection)', 'header', 'attachment; filename="a.pdf"\r\nX-Evil: 1'],
  ['a NUL', 'header', 'attachment; filename="a\u0000.pdf"'],
  ['filename* without charset quotes', 'header', 'attachment; filename*=bill.pdf'],
  ['filename* with a bad %-escape', 'header', "attachment; filename*=UTF-8''bill%2.pdf"],
  ['filename* with a raw space', 'header', 'attachment; filename*="UTF-8\'\'a b.pdf"'],
  ['filename* in another charset', 'encoding', "attachment; filename*=KOI8-R''%F3%DE%C5%D4.pdf"],
  ['filename* bytes that are not UTF-8', 'encoding', "attachment; filename*=UTF-8''r%E9sum%E9.pdf"],
  ['filename* with a surrogate', 'encoding', "attachment; filename*=UTF-8''%ED%A0%80.pdf"],
  [
    'filename* with overlong dots',
    'traversal',
    "attachment; filename*=UTF-8''%C0%AE%C0%AE%C0%AFx.pdf",
  ],
  ['filename* with an overlong NUL', 'control', "attachment; filename*=UTF-8''x%C0%80.pdf"],
  [
    'a header over the limit',
    'length',
    `attachment; filename="${'a'.repeat(MAX_HEADER_CHARS)}.pdf"`,
  ],
  ['not text', 'header', 42],
];

void t.test('the name is read from filename* or filename', (t) => {
  for (const [header, expected] of NAMES) {
    t.equal(fileNameFromContentDisposition(header), expected, header);
  }
  t.end();
});

void t.test('malformed headers and bad encodings are refused with their rule', (t) => {
  for (const [what, rule, header] of REFUSED) {
    t.throws(
      () => fileNameFromContentDisposition(header as string),
      { code: 'RELAY_E_CONTENT_NAME', details: { rule } },
      `${what}: ${rule}`,
    );
  }
  t.end();
});

void t.test('a name read from a header still goes through the policy', (t) => {
  const name = fileNameFromContentDisposition(
    "attachment; filename*=UTF-8''..%2F..%2Fetc%2Fpasswd",
  );
  t.equal(name, '../../etc/passwd', 'filename* is decoded once');
  t.throws(() => checkFileName(name), {
    code: 'RELAY_E_CONTENT_NAME',
    details: { rule: 'traversal' },
  });
  const twice = fileNameFromContentDisposition("attachment; filename*=UTF-8''%252e%252e%252fx.pdf");
  t.throws(
    () => checkFileName(twice),
    { code: 'RELAY_E_CONTENT_NAME', details: { rule: 'traversal' } },
    'decoded again',
  );
  t.end();
});

/** RFC 8187 value-chars for `s`: attr-chars as they are, every other byte %-encoded. */
function rfc8187(s: string): string {
  return [...Buffer.from(s, 'utf8')]
    .map((b) =>
      /[A-Za-z0-9!#$&+\-.^_`|~]/.test(String.fromCharCode(b))
        ? String.fromCharCode(b)
        : `%${b.toString(16).padStart(2, '0')}`,
    )
    .join('');
}

void t.test('any well-formed name round-trips through filename*', (t) => {
  checkProperty(
    t,
    fc.property(fc.string({ unit: 'grapheme', maxLength: 80 }), (s) => {
      const header = `attachment; filename*=UTF-8''${rfc8187(s)}`;
      return fileNameFromContentDisposition(header) === s;
    }),
    2000,
  );
  t.end();
});

void t.test('any header text is read or refused with RELAY_E_CONTENT_NAME', (t) => {
  const piece = fc.constantFrom(
    'attachment',
    'inline',
    ';',
    ' ',
    '=',
    '"',
    '\\',
    "'",
    '%',
    '%2e',
    'filename',
    'filename*',
    "UTF-8''",
    'utf-8',
    "''",
    'x.pdf',
    '%C0%AE',
    '\r\n',
    '\u0000',
    'ŵ',
  );
  checkProperty(
    t,
    fc.property(
      fc.oneof(
        fc.string({ unit: 'binary', maxLength: 200 }),
        fc.array(piece, { maxLength: 20 }).map((p) => p.join('')),
      ),
      (header) => {
        try {
          const name = fileNameFromContentDisposition(header);
          return name === undefined || typeof name === 'string';
        } catch (e) {
          return isRelayContentError(e) && e.code === 'RELAY_E_CONTENT_NAME';
        }
      },
    ),
    10_000,
  );
  t.end();
});
