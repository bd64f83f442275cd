// Hostile file names, generated here (never a committed list): every attack of issue 10's file
// names section, each in several spellings (case, percent-encoded once and twice, overlong
// UTF-8, fullwidth and other look-alikes). In: nothing. Out: HOSTILE_NAMES, rows of { name (what
// it tries), raw (the declared value), rule (the RELAY_E_CONTENT_NAME rule that refuses it),
// policy (when it needs one) }; the percent-encoders the property tests use. The suites read the
// same table through suites/lib/hostile/names.ts (relay/ never imports suites/).
import type { FileNamePolicyInput, FileNameRule } from '../../../src/work/filedrop/filename';

export interface HostileName {
  /** What the name tries, for test titles. */
  readonly name: string;
  /** The declared value, as it would come in the metadata. */
  readonly raw: unknown;
  /** The rule that refuses it. */
  readonly rule: FileNameRule;
  /** The policy it is checked under (default: the default policy). */
  readonly policy?: FileNamePolicyInput;
}

/** `text` as UTF-8 bytes; a lone surrogate as its 3-byte form (WTF-8), so it can be encoded. */
export function wtf8Bytes(text: string): number[] {
  const out: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const d = text.charCodeAt(i + 1);
    if (c >= 0xd800 && c <= 0xdbff && d >= 0xdc00 && d <= 0xdfff) {
      out.push(...Buffer.from(text.slice(i, i + 2), 'utf8'));
      i++;
    } else if (c < 0x80) out.push(c);
    else if (c < 0x800) out.push(0xc0 | (c >> 6), 0x80 | (c & 0x3f));
    else out.push(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 0x3f), 0x80 | (c & 0x3f));
  }
  return out;
}

const hex = (b: number): string => `%${b.toString(16).toUpperCase().padStart(2, '0')}`;

/** Like encodeURIComponent, but never throws (lone surrogates become %ED%A0%80-style bytes). */
export function percentEncode(text: string): string {
  return wtf8Bytes(text)
    .map((b) =>
      /[A-Za-z0-9\-_.!~*'()]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : hex(b),
    )
    .join('');
}

/** Every byte percent-encoded, letters and digits too. */
export function percentEncodeAll(text: string): string {
  return wtf8Bytes(text).map(hex).join('');
}

/** Only the characters that matter to a path percent-encoded: `.`, `/`, `\`, `:`. */
function encodePathChars(text: string, lower = false): string {
  const out = text.replace(/[./\\:]/g, (c) => hex(c.charCodeAt(0)));
  return lower ? out.toLowerCase() : out;
}

const rows: HostileName[] = [];
const add = (
  rule: FileNameRule,
  name: string,
  raw: unknown,
  policy?: FileNamePolicyInput,
): void => {
  rows.push(policy === undefined ? { name, raw, rule } : { name, raw, rule, policy });
};

// --- traversal: `..` segments with / or \, encoded, overlong, look-alikes -----------------------
const TRAVERSALS = [
  '../bill.pdf',
  '..\\bill.pdf',
  '../../../../etc/passwd.pdf',
  '..\\..\\..\\windows\\win.ini.pdf',
  'forms/../../bill.pdf',
  'forms\\..\\..\\bill.pdf',
  '..',
  '.',
  '...\\bill.pdf',
  '.. /bill.pdf',
  './bill.pdf',
];
for (const t of TRAVERSALS) {
  add('traversal', `traversal ${t}`, t);
  if (/[./\\]/.test(t) && t.length > 2) {
    const once = encodePathChars(t);
    add('traversal', `traversal percent-encoded once ${t}`, once);
    add('traversal', `traversal percent-encoded once, lower case ${t}`, encodePathChars(t, true));
    add('traversal', `traversal percent-encoded twice ${t}`, once.replace(/%/g, '%25'));
    add('traversal', `traversal percent-encoded three times ${t}`, once.replace(/%/g, '%2525'));
  }
}
add('traversal', 'traversal mixed encodings ..%2f', '..%2fbill.pdf');
add('traversal', 'traversal mixed encodings %2e%2e/', '%2e%2e/bill.pdf');
add('traversal', 'traversal mixed encodings .%2e%5c', '.%2e%5cbill.pdf');
add('traversal', 'traversal IIS %u encoding', '%u002e%u002e%u002fbill.pdf');
const OVERLONG: readonly (readonly [string, string])[] = [
  ['.', '%C0%AE'],
  ['/', '%C0%AF'],
  ['\\', '%C1%9C'],
  ['.', '%E0%80%AE'],
  ['/', '%E0%80%AF'],
  ['\\', '%E0%81%9C'],
  ['.', '%F0%80%80%AE'],
  ['/', '%F0%80%80%AF'],
  ['.', '%F8%80%80%80%AE'],
  ['.', '%FC%80%80%80%80%AE'],
];
for (const [ch, enc] of OVERLONG) {
  add('traversal', `overlong UTF-8 ${enc} for "${ch}"`, `bill${enc}pdf`);
  add('traversal', `overlong UTF-8 ${enc} twice-encoded`, `bill${enc.replace(/%/g, '%25')}pdf`);
  add(
    'traversal',
    `overlong UTF-8 ${enc.toLowerCase()} (lower case)`,
    `x${enc.toLowerCase()}x.pdf`,
  );
}
add('traversal', 'overlong ../ as %c0%ae%c0%ae%c0%af', '%c0%ae%c0%ae%c0%afbill.pdf');
const LOOKALIKE_TRAVERSALS: readonly (readonly [string, string])[] = [
  ['fullwidth full stops and solidus', '\uff0e\uff0e\uff0fbill.pdf'],
  ['fullwidth full stops and reverse solidus', '\uff0e\uff0e\uff3cbill.pdf'],
  ['two dot leader and solidus', '\u2025/bill.pdf'],
  ['one dot leaders and division slash', '\u2024\u2024\u2215bill.pdf'],
  ['small full stops and set minus', '\ufe52\ufe52\u2216bill.pdf'],
  ['ideographic full stops', '\u3002\u3002/bill.pdf'],
  ['dots and fullwidth solidus', '..\uff0fbill.pdf'],
  ['fullwidth solidus percent-encoded', '..%EF%BC%8Fbill.pdf'],
];
for (const [what, raw] of LOOKALIKE_TRAVERSALS) add('traversal', `look-alike ${what}`, raw);

// --- absolute paths and URLs --------------------------------------------------------------------
for (const raw of [
  '/etc/passwd',
  '/bill.pdf',
  '/srv/shares/forms/bill.pdf',
  '\\bill.pdf',
  '\\windows\\system32\\bill.pdf',
  '%2fetc%2fpasswd.pdf',
  '%252fbill.pdf',
  '%5cbill.pdf',
  '\uff0fbill.pdf',
  'file:///etc/passwd',
  'file://localhost/c$/bill.pdf',
  'http://127.0.0.1/bill.pdf',
  'smb://server/share/bill.pdf',
]) {
  add('absolute', `absolute ${raw}`, raw);
}

// --- drive letters ------------------------------------------------------------------------------
for (const raw of [
  'C:\\bill.pdf',
  'c:/bill.pdf',
  'Z:bill.pdf',
  'D:',
  'C%3A%5Cbill.pdf',
  'C%253A%255Cbill.pdf',
  '\uff23\uff1a\uff3cbill.pdf',
]) {
  add('drive', `drive letter ${raw}`, raw);
}

// --- UNC and device paths -----------------------------------------------------------------------
for (const raw of [
  '\\\\server\\share\\bill.pdf',
  '//server/share/bill.pdf',
  '\\\\?\\C:\\bill.pdf',
  '\\\\.\\pipe\\bill.pdf',
  '\\\\127.0.0.1\\c$\\bill.pdf',
  '\\/server/bill.pdf',
  '/\\server\\bill.pdf',
  '%5c%5cserver%5cshare%5cbill.pdf',
  '%255c%255cserver%255cbill.pdf',
  '\uff3c\uff3cserver\uff3cbill.pdf',
]) {
  add('unc', `UNC path ${raw}`, raw);
}

// --- Windows reserved device names --------------------------------------------------------------
const DEVICES = [
  'CON',
  'PRN',
  'AUX',
  'NUL',
  ...Array.from({ length: 10 }, (_, i) => `COM${String(i)}`),
  ...Array.from({ length: 10 }, (_, i) => `LPT${String(i)}`),
  'COM\u00b9',
  'COM\u00b2',
  'COM\u00b3',
  'LPT\u00b9',
  'LPT\u00b2',
  'LPT\u00b3',
  'CONIN$',
  'CONOUT$',
];
for (const d of DEVICES) {
  add('reserved', `device ${d}`, d);
  add('reserved', `device ${d}.pdf`, `${d}.pdf`);
  add('reserved', `device ${d.toLowerCase()}.pdf (lower case)`, `${d.toLowerCase()}.pdf`);
  add('reserved', `device ${d}.tar.pdf (any extension)`, `${d}.tar.pdf`);
  add('reserved', `device "${d} .pdf" (space before the dot)`, `${d} .pdf`);
}
add('reserved', 'device in fullwidth letters', '\uff23\uff2f\uff2e.pdf');
add('reserved', 'device with mixed case', 'cOn.pdf');

// --- characters Windows forbids -----------------------------------------------------------------
for (const ch of ['<', '>', '"', '|', '?', '*']) {
  add('reserved-char', `reserved character ${ch}`, `bill${ch}2025.pdf`);
  add(
    'reserved-char',
    `reserved character ${ch} percent-encoded`,
    `bill${hex(ch.charCodeAt(0))}2025.pdf`,
  );
}
add('reserved-char', 'a path inside the name (/)', 'forms/bill.pdf');
add('reserved-char', 'a path inside the name (\\)', 'forms\\bill.pdf');
add('reserved-char', 'a fullwidth question mark', 'bill\uff1f.pdf');

// --- trailing dots and spaces -------------------------------------------------------------------
for (const raw of [
  'bill.pdf.',
  'bill.pdf ',
  'bill.pdf...',
  'bill.pdf. .',
  'bill.pdf   ',
  'bill.pdf%20',
  'bill.pdf%2e',
  'bill.pdf%252e',
]) {
  add('trailing', `trailing dot or space ${JSON.stringify(raw)}`, raw);
}

// --- alternate data streams ---------------------------------------------------------------------
for (const raw of [
  'bill.pdf:evil.exe',
  'bill.pdf::$DATA',
  'bill.pdf:Zone.Identifier:$DATA',
  'bill:hidden.pdf',
  'bill%3Ahidden.pdf',
  'bill%253Ahidden.pdf',
  'bill\uff1ahidden.pdf',
]) {
  add('stream', `alternate data stream ${raw}`, raw);
}

// --- control characters -------------------------------------------------------------------------
const CONTROLS: readonly (readonly [string, string])[] = [
  ['NUL', '\u0000'],
  ['tab', '\t'],
  ['line feed', '\n'],
  ['carriage return', '\r'],
  ['escape', '\u001b'],
  ['DEL', '\u007f'],
  ['C1 NEL', '\u0085'],
  ['C1 CSI', '\u009b'],
  ['line separator', '\u2028'],
  ['paragraph separator', '\u2029'],
];
for (const [what, ch] of CONTROLS) {
  add('control', `${what} inside`, `bill${ch}.pdf`);
  add('control', `${what} before the extension (truncation)`, `bill.exe${ch}.pdf`);
  add('control', `${what} percent-encoded`, `bill${percentEncodeAll(ch)}.pdf`);
}
add('control', 'NUL percent-encoded twice', 'bill.exe%2500.pdf');
add('control', 'NUL as overlong UTF-8 (%C0%80)', 'bill.exe%C0%80.pdf');
add('control', 'a forged log line', 'bill.pdf\n2025-01-01 INFO accepted evil.exe');

// --- bidi controls and invisible characters -----------------------------------------------------
const BIDI: readonly (readonly [string, string])[] = [
  ['RLO (right-to-left override)', '\u202e'],
  ['LRO (left-to-right override)', '\u202d'],
  ['RLE', '\u202b'],
  ['LRE', '\u202a'],
  ['PDF (pop directional formatting)', '\u202c'],
  ['RLI', '\u2067'],
  ['LRI', '\u2066'],
  ['FSI', '\u2068'],
  ['PDI', '\u2069'],
  ['RLM', '\u200f'],
  ['LRM', '\u200e'],
  ['ALM', '\u061c'],
  ['zero-width space', '\u200b'],
  ['zero-width non-joiner', '\u200c'],
  ['zero-width joiner', '\u200d'],
  ['word joiner', '\u2060'],
  ['byte order mark', '\ufeff'],
  ['soft hyphen', '\u00ad'],
  ['Hangul filler', '\u3164'],
];
for (const [what, ch] of BIDI) {
  add('bidi', `${what} inside`, `bill${ch}.pdf`);
  add('bidi', `${what} percent-encoded`, `bill${percentEncodeAll(ch)}.pdf`);
}
add('bidi', 'RLO disguising an executable (bill[RLO]fdp.exe)', 'bill\u202efdp.exe');
add('bidi', 'RLO disguising an executable, percent-encoded', 'bill%E2%80%AEfdp.exe');
add('bidi', 'RLI ... PDI around the extension', 'bill\u2067exe.\u2069.pdf');

// --- length -------------------------------------------------------------------------------------
add('length', 'empty', '');
add('length', '256 ASCII bytes', `${'b'.repeat(252)}.pdf`);
add('length', '300 ASCII bytes', `${'b'.repeat(296)}.pdf`);
add('length', 'two-byte letters over 255 bytes (126 x ŵ)', `${'\u0175'.repeat(126)}.pdf`);
add('length', 'four-byte characters over 255 bytes', `${'\u{1f4c4}'.repeat(63)}.pdf`);
add('length', 'decomposed letters over 255 bytes after NFC', `${'w\u0302'.repeat(126)}.pdf`);
add('length', '1,025 characters (refused before any other work)', `${'b'.repeat(1021)}.pdf`);
add('length', '100,000 characters', `${'b'.repeat(99_996)}.pdf`);
add('length', 'a long traversal (length is checked first)', `${'../'.repeat(100)}bill.pdf`);

// --- encoding -----------------------------------------------------------------------------------
for (const [what, raw] of [
  ['a lone high surrogate', '\ud800bill.pdf'],
  ['a lone low surrogate', 'bill\udc00.pdf'],
  ['a reversed surrogate pair', 'bill\udc00\ud800.pdf'],
  ['U+FFFD (bytes that were not UTF-8)', 'bill\ufffd.pdf'],
  ['the noncharacter U+FFFE', 'bill\ufffe.pdf'],
  ['the noncharacter U+FDD0', 'bill\ufdd0.pdf'],
  ['the noncharacter U+1FFFF', 'bill\u{1ffff}.pdf'],
  ['%FF (never UTF-8)', 'bill%FF.pdf'],
  ['%C3 cut short', 'bill%C3.pdf'],
  ['a surrogate as %ED%A0%80', 'bill%ED%A0%80.pdf'],
  ['a surrogate as %uD800', 'bill%uD800.pdf'],
  ['a stray continuation byte', 'bill%80.pdf'],
  ['an overlong "A" (%C1%81)', 'bill%C1%81.pdf'],
  ['above U+10FFFF (%F4%90%80%80)', 'bill%F4%90%80%80.pdf'],
  ['latin-1 bytes (%E9)', 'r%E9sum%E9.pdf'],
  ['a dot percent-encoded five times', 'bill%252525252Epdf'],
] as const) {
  add('encoding', `encoding: ${what}`, raw);
}
for (const [what, raw] of [
  ['a number', 42],
  ['a boolean', true],
  ['an object', { name: 'bill.pdf' }],
  ['an array', ['bill.pdf']],
  ['bytes', Buffer.from('bill.pdf')],
] as const) {
  add('encoding', `not text: ${what}`, raw);
}

// --- missing (when the policy requires a name) --------------------------------------------------
add('missing', 'no name where one is required (undefined)', undefined, { required: true });
add('missing', 'no name where one is required (null)', null, { required: true });

// --- extension ----------------------------------------------------------------------------------
for (const raw of [
  'bill.txt',
  'bill',
  'bill.exe',
  'bill.html',
  'bill.svg',
  'bill.pdff',
  'bill.pd',
  'bill.pdf.txt',
  '.pdf',
  '.htaccess',
  'bill%2Epdf',
]) {
  add('extension', `extension ${raw}`, raw);
}

// --- double extensions --------------------------------------------------------------------------
for (const ext of [
  'exe',
  'scr',
  'com',
  'bat',
  'cmd',
  'js',
  'vbs',
  'ps1',
  'msi',
  'hta',
  'jar',
  'lnk',
  'php',
]) {
  add('double-extension', `bill.${ext}.pdf`, `bill.${ext}.pdf`);
  add('double-extension', `bill.pdf.${ext}`, `bill.pdf.${ext}`);
}
add('double-extension', 'an upper-case inner extension', 'bill.EXE.pdf');
add('double-extension', 'an inner extension with a trailing space', 'bill.exe .pdf');
add('double-extension', 'an inner extension percent-encoded', 'bill%2Eexe.pdf');
add('double-extension', 'three extensions', 'Council tax bill.2025.scr.pdf');

/** Every hostile name, with the rule that refuses it. */
export const HOSTILE_NAMES: readonly HostileName[] = Object.freeze(
  rows.map((r) => Object.freeze(r)),
);
