// The arbitraries of declared file names that the file-name property tests and the fuzz targets
// share. In: HOSTILE_NAMES. Out: the pieces paths and names are made of, and an arbitrary of any
// string biased towards them (text of every unit, pieces joined, hostile names with an edit).
import fc from 'fast-check';
import { HOSTILE_NAMES } from './hostile-names';

/** The pieces paths and names are made of (separators, encodings, devices, look-alikes ...). */
export const NAME_PIECES = [
  '.',
  '..',
  '/',
  '\\',
  '%',
  '%2e',
  '%2E',
  '%2f',
  '%5c',
  '%25',
  '%c0%ae',
  '%c0',
  '%ae',
  '%00',
  ':',
  'C:',
  '\\\\',
  '//',
  'CON',
  'nul',
  'COM1',
  'LPT¹',
  ' ',
  '.pdf',
  '.PDF',
  '.exe',
  '.js',
  'pdf',
  'bill',
  'Ŵ',
  'é',
  'e\u0301',
  '\u202e',
  '\u200b',
  '\u0000',
  '\n',
  '\uff0e',
  '\uff0f',
  '\u2025',
  '\ud800',
  '%u002e',
  '<',
  '?',
  '*',
  '$DATA',
  '~',
  'file://',
  '(2025)',
  '%2F',
  '%C0%AF',
  '%e0%80%ae',
  'LPT\u00b9',
  '\u0174',
  '\u2067',
  '\udfff',
  '\ufffd',
  '::$DATA',
] as const;

/** The hostile names of HOSTILE_NAMES that are text. */
export const HOSTILE_NAME_STRINGS: readonly string[] = HOSTILE_NAMES.map((h) => h.raw).filter(
  (r): r is string => typeof r === 'string',
);

/** Any string, biased towards the pieces paths and names are made of. */
export const nameString: fc.Arbitrary<string> = fc.oneof(
  fc.string({ maxLength: 300 }),
  fc.string({ unit: 'binary', maxLength: 300 }),
  fc.string({ unit: 'grapheme', maxLength: 80 }),
  fc.string({ unit: fc.nat(0xffff).map((n) => String.fromCharCode(n)), maxLength: 120 }),
  fc.array(fc.constantFrom(...NAME_PIECES), { maxLength: 24 }).map((p) => p.join('')),
  fc
    .tuple(
      fc.constantFrom(...HOSTILE_NAME_STRINGS),
      fc.nat(),
      fc.constantFrom(...NAME_PIECES, ''),
      fc.nat(4),
    )
    .map(([h, at, piece, cut]) => {
      const i = at % (h.length + 1);
      return h.slice(0, i) + piece + h.slice(i + cut);
    }),
  fc.constantFrom(...HOSTILE_NAME_STRINGS),
);
