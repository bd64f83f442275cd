// Fuzz targets for the file-name policy of dropped files. In: declared names — any text (binary,
// lone surrogates, graphemes), strings built from the pieces paths and names are made of,
// hostile names of HOSTILE_NAMES with an edit, percent-encoded once or twice, values that are
// not text — and Content-Disposition headers around them. Out: a verdict or RELAY_E_CONTENT_NAME
// (RELAY_E_CONTENT_CONFIG never: the policy is fixed); any other exception is a finding.
import fc from 'fast-check';
import {
  checkFileName,
  fileNameFromContentDisposition,
} from '../../../relay/src/work/filedrop/filename';
import { percentEncode, percentEncodeAll } from '../../lib/hostile/names';
import {
  HOSTILE_NAME_STRINGS,
  nameString,
} from '../../../relay/test/filedrop/lib/name-arbitraries';
import type { FuzzTarget } from '../types';

/** Declared names: mostly hostile, some ordinary. */
export const declaredNameArbitrary: fc.Arbitrary<unknown> = fc.oneof(
  nameString,
  fc
    .tuple(
      fc.constantFrom(...HOSTILE_NAME_STRINGS),
      fc.constantFrom(percentEncode, percentEncodeAll),
      fc.nat(2),
    )
    .map(([h, encode, times]) => {
      let out = h;
      for (let i = 0; i < times; i++) out = encode(out);
      return out;
    }),
  fc.anything(),
);

export const fileNameTarget: FuzzTarget = {
  name: 'file name policy (declared names of dropped files)',
  arbitrary: declaredNameArbitrary,
  run: (input) => checkFileName(input),
};

const HEADER_PIECES = [
  'attachment',
  'inline',
  'form-data',
  ';',
  ' ',
  '=',
  '"',
  '\\',
  "'",
  'filename',
  'filename*',
  'FILENAME',
  "UTF-8''",
  "ISO-8859-1''",
  "KOI8-R''",
  "utf-8'en'",
  '%',
  '%2e',
  '%C0%AE',
  '%ff',
  '\r\n',
  '\t',
  '\u0000',
  'x.pdf',
] as const;

/** Content-Disposition headers: well-formed around hostile names, and pieces in any order. */
export const contentDispositionArbitrary: fc.Arbitrary<string> = fc.oneof(
  fc.array(fc.constantFrom(...HEADER_PIECES), { maxLength: 24 }).map((p) => p.join('')),
  fc.string({ unit: 'binary', maxLength: 300 }),
  fc
    .tuple(fc.constantFrom(...HOSTILE_NAME_STRINGS), fc.boolean())
    .map(([h, star]) =>
      star
        ? `attachment; filename*=UTF-8''${percentEncode(h)}`
        : `attachment; filename="${h.replace(/["\\]/g, '\\$&')}"`,
    ),
);

export const contentDispositionTarget: FuzzTarget<string> = {
  name: 'file name from a Content-Disposition header (RFC 6266 / 8187)',
  arbitrary: contentDispositionArbitrary,
  run: (header) => {
    const name = fileNameFromContentDisposition(header);
    return name === undefined ? undefined : checkFileName(name);
  },
};
