// Looks for the secrets of a run in everything the run wrote (issue 10, "Secrets"). In: the
// secrets (keys, SAS signatures, session keys: bytes or text, each with a name that is not the
// secret), files and folders (walked, symlinks not followed), texts held in memory (a process's
// stdout, an event log) and paths to leave out. Out: every place a secret appears in any of its
// written forms — raw, base64 and base64url (at any byte alignment, padded or not), hex in
// either case, percent-encoded — as a Finding that names the secret, the form, the file or
// text and the byte offset and line, never the secret or the bytes around it. Pure apart from
// reading the files; a file is read in bounded chunks, so a large one costs no more memory.
import { closeSync, lstatSync, openSync, readdirSync, readSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { defineErrors, familyError } from '../../relay/src/protocol/errors';

export const SUITE_SECRETS_ERRORS = defineErrors('suite secrets scan', {
  SUITE_E_SECRET: {
    summary:
      'A secret given to the secrets scan is unusable: empty, shorter than 12 bytes (its forms would match ordinary text), or not bytes or text; or a path to scan does not exist.',
  },
});

export class SecretsScanError extends familyError(SUITE_SECRETS_ERRORS) {}

/** The shortest secret the scan accepts (bytes): shorter ones would match by chance. */
export const MIN_SECRET_BYTES = 12;

/** How a secret may be written. */
export type SecretFormName =
  | 'raw'
  | 'base64'
  | 'base64url'
  | 'hex'
  | 'HEX'
  | 'percent'
  | 'percent-lower'
  | 'base64-percent'
  | 'base64-percent-lower';

export interface SecretForm {
  readonly form: SecretFormName;
  /** The bytes to look for (a text form as its UTF-8 bytes). */
  readonly bytes: Buffer;
}

/** A secret with a name that says what it is (never the secret itself). */
export interface NamedSecret {
  readonly name: string;
  readonly value: Buffer | string;
}

export type SecretInput = Buffer | string | NamedSecret;

/** A text held in memory, scanned like a file (a process's output, an event log). */
export interface NamedText {
  readonly name: string;
  readonly text: string;
}

/** One place a secret was found. It never holds the secret or the text around it. */
export interface Finding {
  /** The secret's name (or `secret #<index>` when it was given without one). */
  readonly secret: string;
  readonly form: SecretFormName;
  /** `file` for a file on disk, `text` for a text given in memory. */
  readonly kind: 'file' | 'text';
  /** The file's path or the text's name. */
  readonly where: string;
  /** Byte offset of the first match of this secret and form in that file or text. */
  readonly offset: number;
  /** 1-based line of that offset. */
  readonly line: number;
}

export interface ScanOptions {
  /** Files (or folders) left out, e.g. the config files a test wrote to hand a process its keys. */
  readonly exclude?: readonly string[];
}

export interface ScanReport {
  readonly findings: readonly Finding[];
  /** Every file read (absolute paths), in the order read. */
  readonly files: readonly string[];
  /** Every text read (names). */
  readonly texts: readonly string[];
  /** Paths left out because `exclude` named them. */
  readonly excluded: readonly string[];
  /** Bytes looked through, files and texts together. */
  readonly bytes: number;
}

function secretError(message: string, details: Record<string, string | number> = {}): never {
  throw new SecretsScanError('SUITE_E_SECRET', message, details);
}

function bytesOf(secret: unknown, name: string): Buffer {
  let bytes: Buffer;
  if (Buffer.isBuffer(secret)) bytes = secret;
  else if (secret instanceof Uint8Array) bytes = Buffer.from(secret);
  else if (typeof secret === 'string') bytes = Buffer.from(secret, 'utf8');
  else return secretError(`${name} is neither bytes nor text`, { secret: name });
  if (bytes.length < MIN_SECRET_BYTES) {
    secretError(
      `${name} has ${String(bytes.length)} bytes; the scan needs at least ${String(MIN_SECRET_BYTES)}`,
      { secret: name, bytes: bytes.length },
    );
  }
  return bytes;
}

const B64_CHUNK = 4;

/**
 * The base64 characters that depend on `bytes` alone wherever it sits in a longer stream: the
 * encoding of `shift` unknown bytes followed by `bytes`, without the characters the unknown
 * bytes before or after also feed (so the form matches padded, unpadded and embedded copies).
 */
function stableBase64(bytes: Buffer, shift: 0 | 1 | 2): string {
  const all = Buffer.concat([Buffer.alloc(shift), bytes]).toString('base64');
  const groups = Math.floor((shift + bytes.length) / 3);
  const rest = (shift + bytes.length) % 3;
  const end = groups * B64_CHUNK + rest; // a partial group: 1 or 2 whole characters
  const start = shift === 0 ? 0 : shift === 1 ? 2 : 3;
  return all.slice(start, end);
}

function toUrl(b64: string): string {
  return b64.replace(/\+/g, '-').replace(/\//g, '_');
}

function percentAll(bytes: Buffer, lower: boolean): string {
  const hex = bytes.toString('hex');
  let out = '';
  for (let i = 0; i < hex.length; i += 2) out += `%${hex.slice(i, i + 2)}`;
  return lower ? out : out.toUpperCase();
}

/** The forms of one secret, each as bytes to look for; the same bytes are listed once. */
export function secretFormBytes(secret: Buffer | string): SecretForm[] {
  const bytes = bytesOf(secret, 'the secret');
  const out = new Map<string, SecretForm>();
  const add = (form: SecretFormName, text: string | Buffer): void => {
    const b = typeof text === 'string' ? Buffer.from(text, 'utf8') : text;
    if (b.length === 0) return;
    const key = b.toString('latin1');
    if (!out.has(key)) out.set(key, { form, bytes: b });
  };
  add('raw', bytes);
  const shifts = [0, 1, 2] as const;
  const b64 = shifts.map((s) => stableBase64(bytes, s));
  for (const s of b64) add('base64', s);
  for (const s of b64) add('base64url', toUrl(s));
  add('hex', bytes.toString('hex'));
  add('HEX', bytes.toString('hex').toUpperCase());
  // A text secret as a URL or form would carry it; a binary one as %XX for every byte.
  if (typeof secret === 'string') {
    const encoded = encodeURIComponent(secret);
    add('percent', encoded);
    add(
      'percent-lower',
      encoded.replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase()),
    );
  } else {
    add('percent', percentAll(bytes, false));
    add('percent-lower', percentAll(bytes, true));
  }
  // The base64 forms inside a URL (a SAS token's sig=…): + and / percent-encoded.
  for (const s of b64) {
    const encoded = encodeURIComponent(s);
    add('base64-percent', encoded);
    add(
      'base64-percent-lower',
      encoded.replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase()),
    );
  }
  return [...out.values()];
}

/**
 * The texts to look for when `secret` may have been written: raw (a binary secret as a latin1
 * string of its bytes), base64 and base64url at each byte alignment, hex lower and upper case,
 * percent-encoded. Throws SUITE_E_SECRET for a secret shorter than MIN_SECRET_BYTES.
 */
export function secretForms(secret: Buffer | string): string[] {
  return secretFormBytes(secret).map((f) =>
    f.form === 'raw' && Buffer.isBuffer(secret) ? f.bytes.toString('latin1') : f.bytes.toString(),
  );
}

interface Needle {
  readonly secret: string;
  readonly form: SecretFormName;
  readonly bytes: Buffer;
}

function needlesOf(secrets: readonly SecretInput[]): Needle[] {
  const out: Needle[] = [];
  secrets.forEach((s, i) => {
    const named: NamedSecret =
      typeof s === 'string' || Buffer.isBuffer(s) ? { name: `secret #${String(i)}`, value: s } : s;
    if (typeof named.name !== 'string' || named.name.trim() === '') {
      secretError(`secret #${String(i)} has no name`, { secret: i });
    }
    const bytes = bytesOf(named.value, named.name);
    for (const f of secretFormBytes(typeof named.value === 'string' ? named.value : bytes)) {
      out.push({ secret: named.name, form: f.form, bytes: f.bytes });
    }
  });
  return out;
}

/** Bytes read from a file at a time (plus an overlap as long as the longest needle). */
const CHUNK_BYTES = 1024 * 1024;

/** Counts the newlines of `buf` before `end`. */
function newlines(buf: Buffer, end: number): number {
  let n = 0;
  let at = buf.indexOf(10);
  while (at !== -1 && at < end) {
    n++;
    at = buf.indexOf(10, at + 1);
  }
  return n;
}

/** First offsets of every needle in one source read chunk by chunk; one finding per needle. */
class Matcher {
  readonly #needles: readonly Needle[];
  readonly #overlap: number;
  readonly #found = new Map<Needle, { offset: number; line: number }>();
  #carry = Buffer.alloc(0);
  #carryAt = 0;
  #linesBeforeCarry = 0;

  constructor(needles: readonly Needle[]) {
    this.#needles = needles;
    this.#overlap = Math.max(0, ...needles.map((n) => n.bytes.length)) - 1;
  }

  push(chunk: Buffer): void {
    const window = this.#carry.length === 0 ? chunk : Buffer.concat([this.#carry, chunk]);
    for (const n of this.#needles) {
      if (this.#found.has(n)) continue;
      const i = window.indexOf(n.bytes);
      if (i === -1) continue;
      this.#found.set(n, {
        offset: this.#carryAt + i,
        line: this.#linesBeforeCarry + newlines(window, i) + 1,
      });
    }
    const keep = Math.min(this.#overlap, window.length);
    const dropped = window.length - keep;
    this.#linesBeforeCarry += newlines(window, dropped);
    this.#carryAt += dropped;
    this.#carry = Buffer.from(window.subarray(dropped));
  }

  findings(kind: 'file' | 'text', where: string): Finding[] {
    return [...this.#found].map(([n, at]) => ({
      secret: n.secret,
      form: n.form,
      kind,
      where,
      offset: at.offset,
      line: at.line,
    }));
  }
}

function scanFile(
  path: string,
  needles: readonly Needle[],
): { findings: Finding[]; bytes: number } {
  const matcher = new Matcher(needles);
  const fd = openSync(path, 'r');
  let total = 0;
  try {
    const buf = Buffer.alloc(CHUNK_BYTES);
    for (;;) {
      const n = readSync(fd, buf, 0, CHUNK_BYTES, null);
      if (n === 0) break;
      total += n;
      matcher.push(Buffer.from(buf.subarray(0, n)));
    }
  } finally {
    closeSync(fd);
  }
  return { findings: matcher.findings('file', path), bytes: total };
}

/** Every regular file under `path` (or `path` itself), symlinks not followed, sorted. */
function filesUnder(path: string, excluded: ReadonlySet<string>, skipped: string[]): string[] {
  if (excluded.has(path)) {
    skipped.push(path);
    return [];
  }
  let st;
  try {
    st = lstatSync(path);
  } catch {
    return secretError(`there is nothing to scan at ${path}`, { path });
  }
  if (st.isFile()) return [path];
  if (!st.isDirectory()) return [];
  const out: string[] = [];
  for (const name of readdirSync(path).sort()) {
    const child = join(path, name);
    try {
      out.push(...filesUnder(child, excluded, skipped));
    } catch (e) {
      // Removed while we walked (a temporary file): nothing left to read there.
      if (e instanceof SecretsScanError) continue;
      throw e;
    }
  }
  return out;
}

/**
 * Looks for every form of every secret in the files under `dirsOrFiles` (less `exclude`) and in
 * `texts`. Throws SUITE_E_SECRET for an unusable secret or a path that does not exist.
 */
export function scanForSecretsReport(
  dirsOrFiles: readonly string[],
  texts: readonly NamedText[],
  secrets: readonly SecretInput[],
  options: ScanOptions = {},
): ScanReport {
  const needles = needlesOf(secrets);
  const excluded = new Set((options.exclude ?? []).map((p) => resolve(p)));
  const skipped: string[] = [];
  const files = [...new Set(dirsOrFiles.flatMap((p) => filesUnder(resolve(p), excluded, skipped)))];
  const findings: Finding[] = [];
  let bytes = 0;
  for (const file of files) {
    const r = scanFile(file, needles);
    findings.push(...r.findings);
    bytes += r.bytes;
  }
  for (const t of texts) {
    const buf = Buffer.from(t.text, 'utf8');
    const matcher = new Matcher(needles);
    matcher.push(buf);
    findings.push(...matcher.findings('text', t.name));
    bytes += buf.length;
  }
  return {
    findings,
    files,
    texts: texts.map((t) => t.name),
    excluded: [...new Set(skipped)],
    bytes,
  };
}

/** The findings of scanForSecretsReport (see there). */
export function scanForSecrets(
  dirsOrFiles: readonly string[],
  texts: readonly NamedText[],
  secrets: readonly SecretInput[],
  options: ScanOptions = {},
): Finding[] {
  return [...scanForSecretsReport(dirsOrFiles, texts, secrets, options).findings];
}

/** One line about a finding, for an assertion message (no secret in it). */
export function describeFinding(f: Finding): string {
  return `${f.secret} (${f.form}) in ${f.kind} ${f.where} at byte ${String(f.offset)}, line ${String(f.line)}`;
}
