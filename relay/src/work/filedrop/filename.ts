// The policy for the file name a message declares (a Service Bus application property, or the
// filename / filename* parameter of a Content-Disposition header). In: the declared name as it
// came (any value) and a policy (allowed extensions, whether a name is required). Out: a verdict
// { name (NFC, as declared), shown (clipped and printable, for logs), flags } or ONE
// RelayContentError RELAY_E_CONTENT_NAME whose details.rule names the broken rule. Pure and
// synchronous. The relay never uses this name as a path (it names dropped files itself, see
// drop.ts): the name is validated so that what is logged, and what a back-office system may
// later read from the metadata, cannot be a path, a device or a disguised executable.
//
// The name is looked at in several layers, and every rule applies to every layer: the name as
// declared (NFC); percent-decoded once, twice, ... (UTF-8, also IIS-style %uXXXX; at most
// MAX_DECODES times, a name that still decodes after that is refused as 'encoding'); and each of
// those folded (NFKC plus slash look-alikes), the way a Windows "best fit" conversion or a
// normalising parser would see it. The extension rules apply to the percent layers only (a
// fullwidth dot is not an extension separator). Rules, in the order they are tried:
// - control: C0 controls (NUL, tab, CR, LF ...), DEL, C1 controls, U+2028 / U+2029; an overlong
//   UTF-8 NUL (%C0%80) too.
// - bidi: every invisible format character (Unicode Cf: LRE RLE PDF LRO RLO LRI RLI FSI PDI,
//   LRM RLM ALM, zero-width space / joiners, word joiner, BOM, soft hyphen, tags) and the
//   invisible fillers (U+034F, U+115F, U+1160, U+3164, U+FFA0). Judged: a council's file names
//   never need them, and each can disguise what a name ends with.
// - encoding: not a string, a lone surrogate, U+FFFD (bytes that were not UTF-8), a
//   noncharacter, percent-decoding that gives bytes that are not UTF-8 (or too many layers), and
//   for Content-Disposition a charset other than UTF-8 / ISO-8859-1.
// - unc: `\\server\share`, `//server`, `\\?\`, `\\.\` (two leading separators of either kind).
// - absolute: one leading `/` or `\`, or a URL (`file://`, `http://` ...).
// - drive: a drive letter and colon at the start (`C:`, `c:\`, `C:bill.pdf`).
// - traversal: a `.` or `..` segment (or dots and spaces only, as Windows trims them) between
//   `/` or `\`; overlong UTF-8 forms of `.`, `/`, `\` (%C0%AE, %C0%AF, %C1%9C, %E0%80%AE ...).
// - stream: `:` anywhere else (NTFS alternate data streams, `bill.pdf::$DATA`).
// - reserved-char: the other characters Windows forbids in a name, `<>"|?*`, and a `/` or `\`
//   inside the name (a name is one segment). Decided: kept apart from `reserved` so that the
//   tenant reads which character it was.
// - reserved: a Windows device name as the part before the first dot, any case, trailing spaces
//   ignored: CON PRN AUX NUL COM0-9 LPT0-9 COM¹²³ LPT¹²³ CONIN$ CONOUT$ CLOCK$ (`nul.tar.gz`).
// - trailing: a trailing dot or space (Windows drops them: `bill.pdf.` is `bill.pdf`).
// - length: empty, or over MAX_NAME_BYTES UTF-8 bytes (NFC).
// - missing: no name (undefined or null) when the policy requires one.
// - double-extension: two or more extensions of which one is executable-like (EXECUTABLE:
//   `bill.exe.pdf`, `bill.pdf.exe`, `bill.php.pdf`).
// - extension: the last extension is not one the policy allows (default pdf), or there is none.
// - header: (fileNameFromContentDisposition only) the header is malformed: no type, an
//   unterminated quoted string, a parameter twice, a bad ext-value.
import { isUtf8 } from 'node:buffer';
import { z } from 'zod';
import { RelayContentError } from '../content/errors';
import { parseContentOptions } from '../content/options';

/** The most UTF-8 bytes a name may have (NTFS, ext4 and SMB all stop at 255). */
export const MAX_NAME_BYTES = 255;
/** Longer input is refused as 'length' before any other work (bounded work for any input). */
export const MAX_RAW_CHARS = 1024;
/** Percent-decoding layers looked at; a name that decodes again after them is refused. */
export const MAX_DECODES = 4;
/** The most characters of `shown` (escapes included), before the ellipsis. */
export const SHOWN_MAX = 80;
/** The longest Content-Disposition header read. */
export const MAX_HEADER_CHARS = 8192;

export const FILE_NAME_RULES = [
  'control',
  'bidi',
  'encoding',
  'unc',
  'absolute',
  'drive',
  'traversal',
  'stream',
  'reserved-char',
  'reserved',
  'trailing',
  'length',
  'missing',
  'double-extension',
  'extension',
  'header',
] as const;
export type FileNameRule = (typeof FILE_NAME_RULES)[number];

/** Extensions that run, or that a server or shell runs: refused anywhere in a name's extensions. */
export const EXECUTABLE: ReadonlySet<string> = new Set(
  [
    // Windows executables, installers, libraries and shortcuts
    'exe com scr pif cpl dll sys drv ocx msi msp mst msc lnk url scf inf reg gadget application',
    'appx appxbundle msix msixbundle appref-ms cab chm hlp hta ins isp job iso img vhd vhdx',
    // Windows scripts
    'bat cmd js jse vbs vbe vb wsf wsh wsc ws sct ps1 psm1 psd1 ps1xml ps2 ps2xml psc1 psc2',
    'msh msh1 msh2 mshxml msh1xml msh2xml',
    // Office documents with macros, Java
    'docm dotm xlsm xltm xlam pptm potm ppam ppsm sldm jar class',
    // Unix and macOS
    'sh bash zsh ksh csh command run bin elf so dylib app pkg dmg deb rpm apk',
    // server-side and scripting languages (Apache runs `shell.php.pdf` as PHP)
    'php php3 php4 php5 php7 pht phtml phar asp aspx ashx asmx cer asa jsp jspx cgi pl py pyc',
    'pyw rb lua',
  ]
    .join(' ')
    .split(' '),
);

const policySchema = z.strictObject({
  /** Extensions the last extension may be, without the dot; compared case-insensitively. */
  allowedExtensions: z
    .array(z.string().regex(/^[A-Za-z0-9]{1,16}$/, 'an extension is 1-16 letters or digits'))
    .min(1)
    .max(64)
    .default(['pdf']),
  /** Whether a message must declare a name (default false: a missing name is fine). */
  required: z.boolean().default(false),
});

/** The policy as written by a caller (every field optional). */
export type FileNamePolicyInput = z.input<typeof policySchema>;
/** The policy after validation: complete and frozen. */
export type FileNamePolicy = Readonly<z.output<typeof policySchema>>;

/** Validates a file-name policy; throws RELAY_E_CONTENT_CONFIG naming the offending field. */
export function parseFileNamePolicy(input?: unknown): FileNamePolicy {
  return parseContentOptions(policySchema, input, 'file name policy');
}

/** What an accepted name is. */
export interface FileNameVerdict {
  /** The name as declared, in NFC ('' when none was declared and none is required). */
  readonly name: string;
  /** The name for logs: escapes for anything not printable, at most SHOWN_MAX characters. */
  readonly shown: string;
  /**
   * What is worth knowing but not refused, sorted: 'missing' (no name declared),
   * 'normalized' (NFC changed it), 'non-ascii', 'percent-encoded' (it decodes to another
   * name), 'look-alike' (NFKC folding changes it), 'inner-extension' (a harmless inner
   * extension, `bill.2025.pdf`), 'extension-case' (the extension is not in lower case).
   */
  readonly flags: readonly string[];
}

/** One view of the name that the rules look at. */
interface Layer {
  readonly text: string;
  /** 'declared', 'decoded-1' ... 'decoded-4', or 'folded' after one of those. */
  readonly via: string;
  /** The extension rules apply (not to folded layers). */
  readonly extensions: boolean;
}

const ESCAPE_RANGE = /[\p{C}\p{Z}]/u;

/** `text` for logs: printable characters as they are, others as \uXXXX, clipped. */
export function showName(text: string): string {
  let out = '';
  for (const ch of text) {
    const cp = ch.codePointAt(0) ?? 0;
    const piece =
      ch === ' ' || !ESCAPE_RANGE.test(ch)
        ? ch
        : cp > 0xffff
          ? `\\u{${cp.toString(16)}}`
          : `\\u${cp.toString(16).padStart(4, '0')}`;
    if (out.length + piece.length > SHOWN_MAX) return `${out}…`;
    out += piece;
  }
  return out;
}

function refuse(
  rule: FileNameRule,
  why: string,
  text: string,
  via = 'declared',
): RelayContentError {
  const shown = showName(text);
  return new RelayContentError('RELAY_E_CONTENT_NAME', `file name refused (${rule}): ${why}`, {
    rule,
    shown,
    via,
  });
}

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;
const INVISIBLE = /[\p{Cf}\u034f\u115f\u1160\u3164\uffa0]/u;
const NONCHARACTER =
  /[\ufffd\ufdd0-\ufdef\ufffe\uffff]|[\ud83f\ud87f\ud8bf\ud8ff\ud93f\ud97f\ud9bf\ud9ff\uda3f\uda7f\udabf\udaff\udb3f\udb7f\udbbf\udbff][\udffe\udfff]/;
const SEPARATOR = /[/\\]/;
const URL_SCHEME = /^[A-Za-z][A-Za-z0-9+.-]*:[/\\]{2}/;
const DRIVE = /^[A-Za-z]:/;
const RESERVED_CHAR = /[<>"|?*/\\]/;
const DEVICE = /^(CON|PRN|AUX|NUL|COM[0-9¹²³]|LPT[0-9¹²³]|CONIN\$|CONOUT\$|CLOCK\$)$/;
/** Slash look-alikes NFKC leaves alone. */
const SLASH_LIKE: Readonly<Record<string, string>> = {
  '\u2215': '/', // division slash
  '\u29f8': '/', // big solidus
  '\u2216': '\\', // set minus
  '\u29f5': '\\', // reverse solidus operator
  '\u29f9': '\\', // big reverse solidus
  '\u3002': '.', // ideographic full stop
};
const SLASH_LIKE_RE = /[\u2215\u29f8\u2216\u29f5\u29f9\u3002]/g;

function fold(text: string): string {
  return text.normalize('NFKC').replace(SLASH_LIKE_RE, (c) => SLASH_LIKE[c] ?? c);
}

function utf8Length(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

/** Code points the traversal rule looks for in overlong UTF-8. */
const TRAVERSAL_POINTS = new Set([0x2e, 0x2f, 0x5c]);
const OVERLONG_MIN = [0, 0, 0x80, 0x800, 0x10000, 0x200000, 0x4000000];

/**
 * The first overlong sequence in `bytes` (any length up to 6) and the code point it spells, or
 * undefined when there is none.
 */
function overlongPoint(bytes: Uint8Array): number | undefined {
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i] ?? 0;
    if (b < 0xc0 || b > 0xfd) continue;
    let n = 0;
    while (n < 7 && (b << n) & 0x80) n++;
    if (n < 2 || n > 6 || i + n > bytes.length) continue;
    let cp = b & (0x7f >> n);
    let ok = true;
    for (let j = 1; j < n; j++) {
      const c = bytes[i + j] ?? 0;
      if ((c & 0xc0) !== 0x80) {
        ok = false;
        break;
      }
      cp = cp * 64 + (c & 0x3f);
    }
    if (ok && cp < (OVERLONG_MIN[n] ?? 0)) return cp;
  }
  return undefined;
}

/** Text to UTF-8 bytes; a lone surrogate becomes its 3-byte form (which is not UTF-8). */
function wtf8(text: string, out: number[]): void {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const d = text.charCodeAt(i + 1);
    if (c >= 0xd800 && c <= 0xdbff && d >= 0xdc00 && d <= 0xdfff) {
      const cp = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
      out.push(0xf0 | (cp >> 18), 0x80 | ((cp >> 12) & 0x3f), 0x80 | ((cp >> 6) & 0x3f));
      out.push(0x80 | (cp & 0x3f));
      i++;
    } else if (c < 0x80) out.push(c);
    else if (c < 0x800) out.push(0xc0 | (c >> 6), 0x80 | (c & 0x3f));
    else out.push(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 0x3f), 0x80 | (c & 0x3f));
  }
}

/** Bytes that must be UTF-8, as text; overlong '.', '/', '\' or NUL are refused for what they hide. */
function utf8Text(bytes: Uint8Array, original: string, via: string): string {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (isUtf8(buffer)) return buffer.toString('utf8');
  const hidden = overlongPoint(bytes);
  if (hidden !== undefined && TRAVERSAL_POINTS.has(hidden)) {
    const what = String.fromCharCode(hidden);
    throw refuse('traversal', `it hides "${what}" in an overlong UTF-8 form`, original, via);
  }
  if (hidden === 0)
    throw refuse('control', 'it hides NUL in an overlong UTF-8 form', original, via);
  throw refuse('encoding', 'its percent-encoded bytes are not UTF-8', original, via);
}

const HEX2 = /^[0-9A-Fa-f]{2}$/;
const HEX4 = /^[0-9A-Fa-f]{4}$/;

/**
 * `text` percent-decoded once (%XX as UTF-8 bytes, %uXXXX as a UTF-16 unit), in NFC; a `%` not
 * followed by an escape stays as it is. Throws the refusal of bytes that are not UTF-8.
 */
function percentDecode(text: string, original: string, via: string): string {
  if (!text.includes('%')) return text;
  const bytes: number[] = [];
  let plain = '';
  const flush = (): void => {
    if (plain !== '') wtf8(plain, bytes);
    plain = '';
  };
  for (let i = 0; i < text.length;) {
    if (text.charCodeAt(i) === 0x25) {
      const two = text.slice(i + 1, i + 3);
      if (HEX2.test(two)) {
        flush();
        bytes.push(parseInt(two, 16));
        i += 3;
        continue;
      }
      const four = text.slice(i + 2, i + 6);
      if ((text[i + 1] === 'u' || text[i + 1] === 'U') && HEX4.test(four)) {
        flush();
        wtf8(String.fromCharCode(parseInt(four, 16)), bytes);
        i += 6;
        continue;
      }
    }
    plain += text[i] ?? '';
    i++;
  }
  flush();
  return utf8Text(Uint8Array.from(bytes), original, via).normalize('NFC');
}

/** Every view of `name` the rules look at; throws when decoding it is refused. */
function layersOf(name: string): Layer[] {
  const percent: Layer[] = [{ text: name, via: 'declared', extensions: true }];
  let current = name;
  for (let n = 1; ; n++) {
    const via = `decoded-${String(n)}`;
    const next = percentDecode(current, name, via);
    if (next === current) break;
    if (n > MAX_DECODES) {
      throw refuse('encoding', `it is percent-encoded more than ${MAX_DECODES} times`, name);
    }
    percent.push({ text: next, via, extensions: true });
    current = next;
  }
  const layers = [...percent];
  for (const l of percent) {
    const folded = fold(l.text);
    if (folded !== l.text) layers.push({ text: folded, via: `${l.via}-folded`, extensions: false });
  }
  return layers;
}

/** The segments of a text split at `/` and `\`. */
function segments(text: string): string[] {
  return text.split(SEPARATOR);
}

/**
 * A segment that POSIX or Windows resolves to the folder itself or its parent: dots, and the
 * spaces Windows trims with them (`..`, `. .`, `...`, `.. `).
 */
function isDotSegment(segment: string): boolean {
  return /^[. ]*\.[. ]*$/.test(segment);
}

/** The extensions of a name: the parts after each dot (the first part is the stem). */
function extensionsOf(text: string): { stem: string; exts: string[] } {
  const parts = text.split('.');
  const stem = parts.shift() ?? '';
  return { stem, exts: parts };
}

type Check = (layer: Layer, policy: FileNamePolicy) => string | undefined;

/** The rules in order: each says why the layer breaks it, or undefined. */
const CHECKS: readonly (readonly [FileNameRule, Check])[] = [
  ['control', (l) => (CONTROL.test(l.text) ? 'it holds a control character' : undefined)],
  [
    'bidi',
    (l) =>
      INVISIBLE.test(l.text)
        ? 'it holds an invisible bidi, zero-width or format character'
        : undefined,
  ],
  [
    'encoding',
    (l) =>
      NONCHARACTER.test(l.text)
        ? 'it holds U+FFFD or a noncharacter (it was not clean UTF-8)'
        : undefined,
  ],
  [
    'unc',
    (l) =>
      /^[/\\]{2}/.test(l.text) ? 'it is a UNC or device path (\\\\server\\share)' : undefined,
  ],
  [
    'absolute',
    (l) =>
      SEPARATOR.test(l.text.charAt(0)) || URL_SCHEME.test(l.text)
        ? 'it is an absolute path or a URL'
        : undefined,
  ],
  ['drive', (l) => (DRIVE.test(l.text) ? 'it starts with a drive letter' : undefined)],
  [
    'traversal',
    (l) =>
      segments(l.text).some(isDotSegment) ? 'it holds a "." or ".." path segment' : undefined,
  ],
  ['stream', (l) => (l.text.includes(':') ? 'it names an alternate data stream (":")' : undefined)],
  [
    'reserved-char',
    (l) => {
      const m = RESERVED_CHAR.exec(l.text);
      return m === null ? undefined : `it holds "${m[0]}", which Windows forbids in a name`;
    },
  ],
  [
    'reserved',
    (l) => {
      const base = (l.text.split('.', 1)[0] ?? '').replace(/ +$/, '').toUpperCase();
      return DEVICE.test(base) ? `${base} is a Windows device name` : undefined;
    },
  ],
  [
    'trailing',
    (l) =>
      /[. ]$/.test(l.text) ? 'it ends with a dot or a space, which Windows drops' : undefined,
  ],
  [
    'double-extension',
    (l) => {
      if (!l.extensions) return undefined;
      const { exts } = extensionsOf(l.text);
      if (exts.length < 2) return undefined;
      const bad = exts.find((e) => EXECUTABLE.has(e.replace(/[ .]+$/, '').toLowerCase()));
      return bad === undefined ? undefined : `it carries the executable extension .${bad}`;
    },
  ],
  [
    'extension',
    (l, policy) => {
      if (!l.extensions) return undefined;
      const { stem, exts } = extensionsOf(l.text);
      const last = exts.at(-1);
      if (last === undefined) return 'it has no extension';
      if (stem === '') return 'it has nothing before its first dot (a hidden file)';
      const allowed = policy.allowedExtensions.some((a) => a.toLowerCase() === last.toLowerCase());
      return allowed
        ? undefined
        : `its extension ${showName(`.${last}`)} is not one of ${policy.allowedExtensions.join(', ')}`;
    },
  ],
];

/**
 * Checks the file name a message declares. Returns the verdict, or throws RelayContentError
 * RELAY_E_CONTENT_NAME (details: rule, shown, via: the layer that broke it). Never throws
 * anything else for any `raw`; a bad `policy` throws RELAY_E_CONTENT_CONFIG.
 */
export function checkFileName(
  raw: unknown,
  policy?: FileNamePolicyInput | FileNamePolicy,
): FileNameVerdict {
  const p = parseFileNamePolicy(policy);
  if (raw === undefined || raw === null) {
    if (p.required) throw refuse('missing', 'the message declares no file name', '');
    return Object.freeze({ name: '', shown: '', flags: Object.freeze(['missing']) });
  }
  if (typeof raw !== 'string') {
    throw refuse('encoding', `the declared file name is a ${typeof raw}, not text`, '');
  }
  if (raw.length > MAX_RAW_CHARS) {
    throw refuse('length', `it is longer than ${MAX_NAME_BYTES} bytes`, raw);
  }
  if (LONE_SURROGATE.test(raw)) throw refuse('encoding', 'it holds a lone surrogate', raw);
  const name = raw.normalize('NFC');
  if (name === '') throw refuse('length', 'it is empty', name);
  if (utf8Length(name) > MAX_NAME_BYTES) {
    throw refuse('length', `it is longer than ${MAX_NAME_BYTES} bytes`, name);
  }
  const layers = layersOf(name);
  for (const [rule, check] of CHECKS) {
    for (const layer of layers) {
      const why = check(layer, p);
      if (why !== undefined) throw refuse(rule, why, name, layer.via);
    }
  }
  const flags = new Set<string>();
  if (name !== raw) flags.add('normalized');
  if (/[^\x20-\x7e]/.test(name)) flags.add('non-ascii');
  if (layers.some((l) => l.via.startsWith('decoded'))) flags.add('percent-encoded');
  if (layers.some((l) => l.via.endsWith('folded'))) flags.add('look-alike');
  const { exts } = extensionsOf(name);
  if (exts.length > 1) flags.add('inner-extension');
  const last = exts.at(-1) ?? '';
  if (last !== last.toLowerCase()) flags.add('extension-case');
  return Object.freeze({ name, shown: showName(name), flags: Object.freeze([...flags].sort()) });
}

// ---------------------------------------------------------------------------------------------
// Content-Disposition (RFC 6266, with RFC 8187 / 5987 ext-values)

const TCHAR = /[!#$%&'*+\-.^_`|~0-9A-Za-z]/;
const ATTR_CHAR = /^[!#$&+\-.^_`|~0-9A-Za-z]$/;
const EXT_VALUE = /^([!#$%&+\-^_`{}~0-9A-Za-z]+)'([A-Za-z0-9-]*)'(.*)$/s;

function headerError(why: string, header: string): RelayContentError {
  return refuse('header', `the Content-Disposition header ${why}`, header);
}

/** Decodes an RFC 8187 ext-value (`UTF-8''bill%20%C5%B5.pdf`): charset, language, pct-encoded. */
function extValue(value: string, header: string): string {
  const m = EXT_VALUE.exec(value);
  if (m === null) throw headerError("has a filename* that is not charset'language'value", header);
  const charset = (m[1] ?? '').toLowerCase();
  const encoded = m[3] ?? '';
  const bytes: number[] = [];
  for (let i = 0; i < encoded.length;) {
    const ch = encoded.charAt(i);
    if (ch === '%') {
      const two = encoded.slice(i + 1, i + 3);
      if (!HEX2.test(two)) throw headerError('has a filename* with a bad %-escape', header);
      bytes.push(parseInt(two, 16));
      i += 3;
    } else if (ATTR_CHAR.test(ch)) {
      bytes.push(ch.charCodeAt(0));
      i++;
    } else {
      throw headerError('has a filename* with a character that must be %-encoded', header);
    }
  }
  const data = Uint8Array.from(bytes);
  if (charset === 'utf-8') return utf8Text(data, header, 'content-disposition');
  if (charset === 'iso-8859-1') return Buffer.from(data).toString('latin1');
  throw refuse(
    'encoding',
    `the Content-Disposition filename* charset ${showName(charset.slice(0, 40))} is not UTF-8 or ISO-8859-1`,
    header,
    'content-disposition',
  );
}

/**
 * The file name a Content-Disposition header gives (filename* over filename, RFC 6266 4.3), or
 * undefined when it gives none. filename* is percent-decoded once (UTF-8 or ISO-8859-1);
 * filename is returned as written (quoted-pairs unescaped). Throws RELAY_E_CONTENT_NAME: rule
 * 'header' for a malformed header, 'encoding' for a bad charset or bytes that are not UTF-8,
 * 'traversal' / 'control' for overlong forms of '.', '/', '\' or NUL, 'length' for a header over
 * MAX_HEADER_CHARS. The name it returns still goes through checkFileName.
 */
export function fileNameFromContentDisposition(header: string): string | undefined {
  const h: unknown = header;
  if (typeof h !== 'string') throw headerError('is not text', '');
  if (h.length > MAX_HEADER_CHARS) {
    throw refuse(
      'length',
      `the Content-Disposition header is over ${MAX_HEADER_CHARS} characters`,
      '',
    );
  }
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u0008\u000a-\u001f\u007f]/.test(h)) {
    throw headerError('holds a control character', h);
  }
  let i = 0;
  const ows = (): void => {
    while (h[i] === ' ' || h[i] === '\t') i++;
  };
  const token = (): string => {
    const from = i;
    while (i < h.length && TCHAR.test(h.charAt(i))) i++;
    return h.slice(from, i);
  };
  ows();
  if (token() === '') throw headerError('has no disposition type', h);
  const params = new Map<string, string>();
  for (;;) {
    ows();
    if (i >= h.length) break;
    if (h[i] !== ';') throw headerError('has text where a ";" should be', h);
    i++;
    ows();
    if (i >= h.length) break;
    const name = token().toLowerCase();
    if (name === '') throw headerError('has a parameter without a name', h);
    ows();
    if (h[i] !== '=') throw headerError(`has a parameter ${showName(name)} without a value`, h);
    i++;
    ows();
    let value = '';
    if (h[i] === '"') {
      i++;
      let closed = false;
      while (i < h.length) {
        const ch = h.charAt(i);
        if (ch === '\\' && i + 1 < h.length) {
          value += h.charAt(i + 1);
          i += 2;
        } else if (ch === '"') {
          i++;
          closed = true;
          break;
        } else {
          value += ch;
          i++;
        }
      }
      if (!closed) throw headerError('has an unterminated quoted string', h);
    } else {
      value = token();
      if (value === '') throw headerError(`has an empty ${showName(name)} parameter`, h);
    }
    if (params.has(name)) throw headerError(`gives ${showName(name)} twice`, h);
    params.set(name, value);
  }
  const star = params.get('filename*');
  if (star !== undefined) return extValue(star, h);
  return params.get('filename');
}
