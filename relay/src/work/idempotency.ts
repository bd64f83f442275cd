// The relay's idempotency store: what happened to each message id, so a message that comes
// back (redelivery after a lost lock, a relay killed between its reply and its completion) is
// answered from the record instead of executing again. In: records (key = the message id, the
// route, the result's status, content type and body) and an injected clock. Out: get/put with
// bounds on entries, age and the bodies held in memory; a memory store, and a file-backed one whose put resolves only
// after the record is on disk (append + fdatasync), which survives SIGKILL at any moment: a
// torn last line is dropped on open, damage elsewhere is a typed error, never a silent loss.
import { createHash } from 'node:crypto';
import { mkdir, open, rename, type FileHandle } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { defineErrors, familyError } from '../protocol/errors';

export const RELAY_STORE_ERRORS = defineErrors('relay-store', {
  RELAY_E_STORE_CONFIG: {
    summary:
      'The idempotency store options are invalid (a limit out of range, an empty path): the relay does not start.',
  },
  RELAY_E_STORE_CORRUPT: {
    summary:
      'The idempotency store file holds a damaged record before its last line (not a torn final write): the relay refuses to start rather than forget which messages it already executed.',
  },
  RELAY_E_STORE_IO: {
    summary:
      'The idempotency store could not be read or written (disk full, permissions): the message is not completed and comes back later.',
  },
  RELAY_E_STORE_RECORD: {
    summary:
      'A record given to the idempotency store is invalid (empty or over-long key, status outside 100-599): it is not stored.',
  },
});

export type RelayStoreErrorCode = (typeof RELAY_STORE_ERRORS.codes)[number];
export class RelayStoreError extends familyError(RELAY_STORE_ERRORS) {}

/** What the relay did for one message id. */
export interface IdempotencyRecord {
  /** The message id (1-128 characters). */
  readonly key: string;
  readonly route: string;
  readonly status: number;
  readonly contentType?: string | undefined;
  /** The result's body, or empty when it was over maxBodyBytes (see bodyOmitted). */
  readonly body: Buffer;
  /** True when the body was too large to keep: only its length and sha-256 are recorded. */
  readonly bodyOmitted: boolean;
  readonly bodyBytes: number;
  readonly bodySha256: string;
  /** When it was recorded (ms since the epoch). */
  readonly at: number;
}

/** A record as given to put(): the store adds the time and the body's digest. */
export interface IdempotencyInput {
  readonly key: string;
  readonly route: string;
  readonly status: number;
  readonly contentType?: string | undefined;
  readonly body: Buffer;
}

export interface IdempotencyStore {
  /** The record for `key`, unless it is unknown or older than ttlMs. */
  get(key: string): IdempotencyRecord | undefined;
  /** Records `input`; durable once resolved (file store). A second put of a key replaces it. */
  put(input: IdempotencyInput): Promise<IdempotencyRecord>;
  /** Records held now. */
  readonly size: number;
  close(): Promise<void>;
}

const optionsSchema = z.strictObject({
  /** Records kept; the oldest go first (default 100,000). */
  maxEntries: z.int().min(1).max(10_000_000).default(100_000),
  /** Records older than this are forgotten (default 14 days: above the requests queue TTL). */
  ttlMs: z
    .int()
    .min(1_000)
    .max(365 * 86_400_000)
    .default(14 * 86_400_000),
  /** Largest result body kept whole (default 64 KiB); larger ones keep length and digest. */
  maxBodyBytes: z
    .int()
    .min(0)
    .max(16 * 1024 * 1024)
    .default(64 * 1024),
  /**
   * Bound on the bodies kept in memory, all records together (default 64 MiB): the oldest
   * records go first, so a store of large answers stays within a small server's memory.
   */
  maxTotalBodyBytes: z
    .int()
    .min(0)
    .max(4 * 1024 * 1024 * 1024)
    .default(64 * 1024 * 1024),
});

export type IdempotencyOptions = z.input<typeof optionsSchema>;
type Settings = z.infer<typeof optionsSchema>;

export interface StoreDeps {
  /** Milliseconds since the epoch (default Date.now). */
  readonly now?: () => number;
}

function settingsOf(options: unknown): Settings {
  const r = optionsSchema.safeParse(options ?? {});
  if (!r.success) {
    const issue = r.error.issues[0];
    const path = issue?.path.join('.') ?? '';
    throw new RelayStoreError(
      'RELAY_E_STORE_CONFIG',
      `idempotency store option ${path || '(root)'}: ${issue?.message ?? 'invalid'}`,
      { path },
    );
  }
  if (r.data.maxTotalBodyBytes < r.data.maxBodyBytes) {
    throw new RelayStoreError(
      'RELAY_E_STORE_CONFIG',
      'idempotency store option maxTotalBodyBytes: must be at least maxBodyBytes',
      { path: 'maxTotalBodyBytes' },
    );
  }
  return Object.freeze(r.data);
}

const KEY = /^[\x21-\x7e]{1,128}$/;

function recordOf(input: IdempotencyInput, settings: Settings, at: number): IdempotencyRecord {
  if (typeof input.key !== 'string' || !KEY.test(input.key)) {
    throw new RelayStoreError(
      'RELAY_E_STORE_RECORD',
      'an idempotency key is 1-128 printable ASCII characters',
    );
  }
  if (!Number.isInteger(input.status) || input.status < 100 || input.status > 599) {
    throw new RelayStoreError('RELAY_E_STORE_RECORD', 'a recorded status is 100-599', {
      key: input.key,
    });
  }
  const omitted = input.body.length > settings.maxBodyBytes;
  return Object.freeze({
    key: input.key,
    route: input.route.slice(0, 256),
    status: input.status,
    contentType: input.contentType?.slice(0, 256),
    body: omitted ? Buffer.alloc(0) : Buffer.from(input.body),
    bodyOmitted: omitted,
    bodyBytes: input.body.length,
    bodySha256: createHash('sha256').update(input.body).digest('hex'),
    at,
  });
}

/** The in-memory core both stores share: insertion-ordered, bounded by count and age. */
class Records {
  readonly #map = new Map<string, IdempotencyRecord>();
  #bodyBytes = 0;
  constructor(
    readonly settings: Settings,
    readonly now: () => number,
  ) {}

  get size(): number {
    return this.#map.size;
  }

  get(key: string): IdempotencyRecord | undefined {
    const r = this.#map.get(key);
    if (r === undefined) return undefined;
    if (this.now() - r.at > this.settings.ttlMs) {
      this.#delete(key);
      return undefined;
    }
    return r;
  }

  set(r: IdempotencyRecord): void {
    this.#delete(r.key);
    this.#map.set(r.key, r);
    this.#bodyBytes += r.body.length;
    this.prune();
  }

  #delete(key: string): void {
    const old = this.#map.get(key);
    if (old === undefined) return;
    this.#map.delete(key);
    this.#bodyBytes -= old.body.length;
  }

  /** Drops expired records and the oldest beyond maxEntries or maxTotalBodyBytes. */
  prune(): number {
    let dropped = 0;
    const limit = this.now() - this.settings.ttlMs;
    for (const [key, r] of this.#map) {
      if (
        this.#map.size > this.settings.maxEntries ||
        this.#bodyBytes > this.settings.maxTotalBodyBytes ||
        r.at < limit
      ) {
        this.#delete(key);
        dropped += 1;
      } else break;
    }
    return dropped;
  }

  values(): IterableIterator<IdempotencyRecord> {
    return this.#map.values();
  }
}

/** A store in memory only: lost with the process (tests, and relays without a store path). */
export function memoryIdempotencyStore(
  options: IdempotencyOptions = {},
  deps: StoreDeps = {},
): IdempotencyStore {
  const settings = settingsOf(options);
  const records = new Records(settings, deps.now ?? Date.now);
  return {
    get: (key) => records.get(key),
    put: (input) => {
      try {
        const r = recordOf(input, settings, records.now());
        records.set(r);
        return Promise.resolve(r);
      } catch (e) {
        return Promise.reject(e instanceof Error ? e : new Error(String(e)));
      }
    },
    get size() {
      return records.size;
    },
    close: () => Promise.resolve(),
  };
}

// ----------------------------------------------------------------------------- file format

/** One line of the file: JSON with short names, and a digest of the rest of the line. */
interface Line {
  readonly v: 1;
  readonly k: string;
  readonly r: string;
  readonly s: number;
  readonly c?: string;
  readonly b: string;
  readonly o: boolean;
  readonly n: number;
  readonly h: string;
  readonly t: number;
  readonly d: string;
}

const DIGEST = ',"d":"';

function digestOf(json: string): string {
  return createHash('sha256').update(json).digest('base64url').slice(0, 16);
}

function lineOf(r: IdempotencyRecord): string {
  const body: Omit<Line, 'd'> = {
    v: 1,
    k: r.key,
    r: r.route,
    s: r.status,
    ...(r.contentType === undefined ? {} : { c: r.contentType }),
    b: r.body.toString('base64'),
    o: r.bodyOmitted,
    n: r.bodyBytes,
    h: r.bodySha256,
    t: r.at,
  };
  const text = JSON.stringify(body);
  return `${text.slice(0, -1)}${DIGEST}${digestOf(text)}"}\n`;
}

const lineSchema = z.strictObject({
  v: z.literal(1),
  k: z.string().regex(KEY),
  r: z.string().max(256),
  s: z.int().min(100).max(599),
  c: z.string().max(256).optional(),
  b: z.string(),
  o: z.boolean(),
  n: z.int().min(0),
  h: z.string().regex(/^[0-9a-f]{64}$/),
  t: z.number(),
  d: z.string(),
});

/** Parses one line; undefined when it is damaged (digest, JSON or fields). */
function parseLine(text: string): IdempotencyRecord | undefined {
  const at = text.lastIndexOf(DIGEST);
  if (at < 0 || !text.endsWith('"}')) return undefined;
  if (text.slice(at + DIGEST.length, -2) !== digestOf(`${text.slice(0, at)}}`)) return undefined;
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return undefined;
  }
  const p = lineSchema.safeParse(raw);
  if (!p.success) return undefined;
  const l = p.data;
  return Object.freeze({
    key: l.k,
    route: l.r,
    status: l.s,
    contentType: l.c,
    body: Buffer.from(l.b, 'base64'),
    bodyOmitted: l.o,
    bodyBytes: l.n,
    bodySha256: l.h,
    at: l.t,
  });
}

function ioError(what: string, e: unknown): RelayStoreError {
  const code =
    typeof e === 'object' && e !== null && 'code' in e && typeof e.code === 'string'
      ? e.code
      : 'unknown';
  return new RelayStoreError('RELAY_E_STORE_IO', `the idempotency store could not ${what}`, {
    errno: code,
  });
}

export interface FileStoreInfo {
  /** Records read back when the file was opened. */
  readonly loaded: number;
  /** True when a torn final line (a write cut short) was dropped on open. */
  readonly tornTail: boolean;
}

export interface FileIdempotencyStore extends IdempotencyStore {
  readonly path: string;
  readonly info: FileStoreInfo;
  /** Rewrites the file with only the records held now (also done on open). */
  compact(): Promise<void>;
}

/**
 * Opens (or creates, mode 0600) the file store at `path`. The file is rewritten on open
 * without expired, evicted or superseded records, and again when it holds twice maxEntries
 * lines. Throws RELAY_E_STORE_CORRUPT when a line other than the last is damaged.
 */
export async function openFileIdempotencyStore(
  path: string,
  options: IdempotencyOptions = {},
  deps: StoreDeps = {},
): Promise<FileIdempotencyStore> {
  if (typeof path !== 'string' || path.length === 0) {
    throw new RelayStoreError('RELAY_E_STORE_CONFIG', 'the idempotency store needs a file path');
  }
  const settings = settingsOf(options);
  const records = new Records(settings, deps.now ?? Date.now);
  await mkdir(dirname(path), { recursive: true, mode: 0o700 }).catch((e: unknown) => {
    throw ioError('create its folder', e);
  });

  let text: string;
  let handle: FileHandle | undefined;
  try {
    handle = await open(path, 'a+', 0o600);
    text = await handle.readFile('utf8');
  } catch (e) {
    await handle?.close().catch(() => undefined);
    throw ioError('open its file', e);
  }
  await handle.close().catch(() => undefined);

  const lines = text.split('\n');
  const last = lines.pop() ?? '';
  // Every complete line must parse; a final line without its newline is a torn write.
  let tornTail = last.length > 0;
  for (const [i, l] of lines.entries()) {
    if (l.length === 0) continue;
    const r = parseLine(l);
    if (r === undefined) {
      if (i === lines.length - 1 && last.length === 0) {
        tornTail = true;
        continue;
      }
      throw new RelayStoreError(
        'RELAY_E_STORE_CORRUPT',
        `the idempotency store ${path} has a damaged record on line ${i + 1}`,
        { line: i + 1 },
      );
    }
    records.set(r);
  }
  const loaded = records.size;

  let lineCount = 0;
  let fh: FileHandle | undefined;
  let queue: Promise<unknown> = Promise.resolve();
  let closed = false;

  const rewrite = async (): Promise<void> => {
    records.prune();
    const tmp = join(dirname(path), `.${String(process.pid)}.${String(Date.now())}.store.tmp`);
    const lines: string[] = [];
    for (const r of records.values()) lines.push(lineOf(r));
    try {
      const t = await open(tmp, 'w', 0o600);
      try {
        await t.writeFile(lines.join(''));
        await t.datasync();
      } finally {
        await t.close();
      }
      await fh?.close();
      fh = undefined;
      await rename(tmp, path);
      const dir = await open(dirname(path), 'r');
      try {
        await dir.sync().catch(() => undefined);
      } finally {
        await dir.close();
      }
      fh = await open(path, 'a', 0o600);
    } catch (e) {
      throw ioError('rewrite its file', e);
    }
    lineCount = lines.length;
  };

  await rewrite();

  const enqueue = <T>(step: () => Promise<T>): Promise<T> => {
    const run = queue.then(step, step);
    queue = run.catch(() => undefined);
    return run;
  };

  const store: FileIdempotencyStore = {
    path,
    info: Object.freeze({ loaded, tornTail }),
    get: (key) => records.get(key),
    put: (input) =>
      enqueue(async () => {
        if (closed) {
          throw new RelayStoreError('RELAY_E_STORE_IO', 'the idempotency store is closed');
        }
        const r = recordOf(input, settings, records.now());
        const file = fh;
        if (file === undefined) throw ioError('append (no open file)', undefined);
        try {
          await file.appendFile(lineOf(r));
          await file.datasync();
        } catch (e) {
          throw ioError('append a record', e);
        }
        records.set(r);
        lineCount += 1;
        if (lineCount > 2 * settings.maxEntries) await rewrite();
        return r;
      }),
    get size() {
      return records.size;
    },
    compact: () => enqueue(rewrite),
    close: () =>
      enqueue(async () => {
        if (closed) return;
        closed = true;
        await fh?.close().catch(() => undefined);
        fh = undefined;
      }),
  };
  return store;
}
