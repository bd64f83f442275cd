// The relay's atomic file drop: PDFs and evidence of online forms into per-form-type folders (the
// councils' SMB shares). In: a form type, the message's idempotency key, the file name the message
// declares (optional) and a body (bytes or a stream); a virus scanner (optional). Out: a receipt
// once the file is on disk under a relay-generated name, or one typed error; nothing half-written,
// nothing unscanned (unless the scanner's policy is fail-open) and nothing that was there before
// is ever under a final name. This is the one file of the relay that writes these folders.
//
// One drop: check the declared file name against the policy (it is never used as a path: it is
// validated, logged in its clipped form and put in the receipt); mkdir -p the folder; open
// `.<name>.<16 hex>.tmp` in it ('wx'); stream the body through the PDF check (magic, structure,
// actions, embedded files, encryption, bounded inflation: see content/pdf.ts) into it (hashing,
// backpressure, bounded by maxFileBytes); fsync; close; scan the temporary file with clamd
// (INSTREAM: infected -> RELAY_E_AV_INFECTED naming the signature; clamd unavailable ->
// RELAY_E_AV_UNAVAILABLE, retried, or under fail-open the file is dropped and flagged
// 'unscanned'); link() it to `<formType>-<sha256(key)[0..32]>.pdf` (atomic, never overwrites); on
// EEXIST the existing file is compared by SHA-256: the same bytes -> replayed, others -> CONFLICT;
// unlink the temporary name; fsync the folder. Any failure removes the temporary file.
import { createHash, randomBytes } from 'node:crypto';
import { constants, createReadStream } from 'node:fs';
import { link, lstat, mkdir, open, opendir, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Scanner } from '../antivirus';
import { isRelayAvError } from '../antivirus';
import { clip } from '../content/errors';
import { isRelayContentError, pdfCheckStream } from '../content';
import { FORM_TYPE, parseFileDropConfig, type FileDropConfig, type FileDropInput } from './config';
import { isPermanentDropError, RelayFileDropError } from './errors';
import { publishDrop } from './events';
import { checkFileName } from './filename';

/** An idempotency key: 1-200 printable ASCII characters (a Service Bus message id). */
const KEY = /^[\x20-\x7e]{1,200}$/;
/** A whole-bytes body is fed to the check and the file in views of this size (no copies). */
const SLICE = 1024 * 1024;
/** The file sink's buffer: with the check's, this bounds what a drop holds of a stream body. */
const SINK_BUFFER = 64 * 1024;
/** Directory entries one sweep looks at, all folders together. */
export const SWEEP_MAX_ENTRIES = 100_000;
/** The temporary names a drop makes (and the only names sweep() removes). */
export const TEMP_NAME = /^\.[a-z0-9][a-z0-9-]{0,63}-[0-9a-f]{32}\.pdf\.[0-9a-f]{16}\.tmp$/;

export interface DropInput {
  /** The form type; it must be configured. */
  readonly formType: string;
  /** The idempotency key (the Service Bus message id): 1-200 printable ASCII characters. */
  readonly key: string;
  /**
   * The body: bytes, or a stream that is read to its end (never buffered whole). The drop owns
   * a stream body: it is consumed, or destroyed when the drop is refused or fails.
   */
  readonly body: Uint8Array | Readable;
  /**
   * The file name the message declares (Service Bus property `fileName`, or the filename of a
   * Content-Disposition header): checked against the policy and logged, never used as a path.
   */
  readonly fileName?: unknown;
  /** Aborts the drop (shutdown, lost lock): the temporary file is removed. */
  readonly signal?: AbortSignal | undefined;
}

export interface DropReceipt {
  readonly formType: string;
  /** The form type's folder (absolute). */
  readonly folder: string;
  /** The relay-generated file name: `<formType>-<32 hex>.pdf`. */
  readonly name: string;
  /** folder + name. */
  readonly path: string;
  readonly size: number;
  /** SHA-256 of the file, lower-case hex. */
  readonly sha256: string;
  /** True when the same bytes were already there under that name (an earlier delivery). */
  readonly replayed: boolean;
  /** The declared file name as it may be logged (clipped, printable), when the message gave one. */
  readonly declaredName?: string;
  /**
   * What the checks flagged but the policy let through, sorted: the PDF check's findings (e.g.
   * 'javascript', 'embedded-file' under a 'flag' policy) and 'unscanned' when the scanner could
   * not scan the file under fail-open.
   */
  readonly findings: readonly string[];
  /** The virus scan: 'clean', 'unscanned' (fail-open) or 'off' (no scanner configured). */
  readonly scan: 'clean' | 'unscanned' | 'off';
}

export interface FileDrop {
  readonly config: FileDropConfig;
  /** Drops one body; rejects with RelayFileDropError or RelayContentError (RELAY_E_CONTENT_PDF). */
  drop(input: DropInput): Promise<DropReceipt>;
  /**
   * Removes the temporary files of drops cut short (a crash, SIGKILL) last modified more than
   * `olderThanMs` ago, in every configured folder; never one of a drop under way. Looks at most
   * at SWEEP_MAX_ENTRIES entries. Resolves to the number removed.
   */
  sweep(olderThanMs: number): Promise<number>;
}

export interface FileDropDeps {
  /** Milliseconds since the epoch, compared with file times by sweep() (default Date.now). */
  readonly now?: () => number;
  /** Scans each file before it is published (clamd); absent: files are not scanned. */
  readonly scanner?: Scanner | undefined;
}

/**
 * The file name of a drop: `<formType>-<first 32 hex digits of sha256(key)>.pdf`. Pure; the
 * same key always gives the same name, which makes a drop idempotent across crashes. Nothing of
 * the key or the body reaches the name. Throws RELAY_E_FILEDROP_REQUEST on a bad form type or key.
 */
export function fileDropName(formType: string, key: string): string {
  if (typeof formType !== 'string' || !FORM_TYPE.test(formType)) {
    throw new RelayFileDropError(
      'RELAY_E_FILEDROP_REQUEST',
      'a form type is 1-64 of a-z, 0-9 and "-", starting with a letter or digit',
    );
  }
  if (typeof key !== 'string' || !KEY.test(key)) {
    throw new RelayFileDropError(
      'RELAY_E_FILEDROP_REQUEST',
      'an idempotency key is 1-200 printable ASCII characters',
    );
  }
  const digest = createHash('sha256').update(key, 'utf8').digest('hex');
  return `${formType}-${digest.slice(0, 32)}.pdf`;
}

function errnoOf(e: unknown): string {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^E[A-Z0-9]{1,30}$/.test(code) ? code : 'unknown';
}

/** An IO failure: the errno and the step, never a path (Node's messages carry them). */
function ioError(step: string, e: unknown, formType?: string): RelayFileDropError {
  const errno = errnoOf(e);
  const whose = formType === undefined ? '' : ` for ${formType}`;
  return new RelayFileDropError(
    'RELAY_E_FILEDROP_IO',
    `the file drop${whose} could not ${step} (${errno})`,
    { errno, step, ...(formType === undefined ? {} : { formType }) },
  );
}

function* slices(body: Uint8Array): Generator<Buffer> {
  for (let at = 0; at < body.length; at += SLICE) {
    yield Buffer.from(body.buffer, body.byteOffset + at, Math.min(SLICE, body.length - at));
  }
}

/** Writes what the check passes into the open temporary file, hashing and counting it. */
class FileSink extends Writable {
  readonly #handle: FileHandle;
  readonly #formType: string;
  readonly #hash = createHash('sha256');
  #bytes = 0;

  constructor(handle: FileHandle, formType: string) {
    super({ highWaterMark: SINK_BUFFER });
    this.#handle = handle;
    this.#formType = formType;
  }

  get bytes(): number {
    return this.#bytes;
  }

  digest(): string {
    return this.#hash.digest('hex');
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (e?: Error) => void): void {
    this.#writeAll(chunk).then(
      () => {
        done();
      },
      (e: unknown) => {
        done(ioError('write the file', e, this.#formType));
      },
    );
  }

  override _final(done: (e?: Error) => void): void {
    this.#handle.sync().then(
      () => {
        done();
      },
      (e: unknown) => {
        done(ioError('sync the file', e, this.#formType));
      },
    );
  }

  async #writeAll(chunk: Buffer): Promise<void> {
    let done = 0;
    while (done < chunk.length) {
      const { bytesWritten } = await this.#handle.write(
        chunk,
        done,
        chunk.length - done,
        this.#bytes + done,
      );
      if (bytesWritten <= 0) throw Object.assign(new Error('short write'), { code: 'EIO' });
      done += bytesWritten;
    }
    this.#hash.update(chunk);
    this.#bytes += chunk.length;
  }
}

/** SHA-256 and size of a regular file, read without following a symbolic link. */
async function digestOf(path: string): Promise<{ sha256: string; size: number }> {
  const handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  try {
    const hash = createHash('sha256');
    const buffer = Buffer.allocUnsafe(SLICE);
    let size = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, size);
      if (bytesRead === 0) break;
      hash.update(buffer.subarray(0, bytesRead));
      size += bytesRead;
    }
    return { sha256: hash.digest('hex'), size };
  } finally {
    await handle.close().catch(() => undefined);
  }
}

/** Makes `folder`'s entries durable; a file system that cannot sync a folder is let be. */
async function syncFolder(folder: string, formType: string): Promise<void> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(folder, 'r');
    await handle.sync();
  } catch (e) {
    const errno = errnoOf(e);
    if (errno !== 'EINVAL' && errno !== 'ENOTSUP' && errno !== 'EOPNOTSUPP') {
      throw ioError('sync its folder', e, formType);
    }
  } finally {
    await handle?.close().catch(() => undefined);
  }
}

function isAborted(signal: AbortSignal | undefined): boolean {
  return signal?.aborted === true;
}

function aborted(formType: string): RelayFileDropError {
  return new RelayFileDropError(
    'RELAY_E_FILEDROP_ABORTED',
    `the drop for ${formType} was aborted before it was published`,
    { formType },
  );
}

/** Types what a failed pipeline rejected with. */
function streamFailure(e: unknown, formType: string, signal: AbortSignal | undefined): Error {
  if (isRelayContentError(e) || e instanceof RelayFileDropError || isRelayAvError(e)) return e;
  if (signal?.aborted === true || (e as { name?: unknown } | null)?.name === 'AbortError') {
    return aborted(formType);
  }
  const errno = errnoOf(e);
  return new RelayFileDropError(
    'RELAY_E_FILEDROP_BODY',
    `the body of the drop for ${formType} failed before its end`,
    { formType, errno },
  );
}

/** Creates the file drop over the folders of `input` (validated here; see parseFileDropConfig). */
export function createFileDrop(
  input: FileDropInput | FileDropConfig,
  deps: FileDropDeps = {},
): FileDrop {
  const config = parseFileDropConfig(input);
  const now = deps.now ?? Date.now;
  const scanner = deps.scanner;
  /** Temporary files of drops under way: sweep() never touches them. */
  const writing = new Set<string>();

  const folderOf = (formType: unknown): { formType: string; folder: string } => {
    if (typeof formType === 'string' && Object.hasOwn(config.folders, formType)) {
      const folder = config.folders[formType];
      if (folder !== undefined) return { formType, folder };
    }
    const shown = typeof formType === 'string' ? clip(formType) : typeof formType;
    throw new RelayFileDropError(
      'RELAY_E_FILEDROP_FORM_TYPE',
      `no folder is configured for form type "${shown}"`,
      { formType: shown },
    );
  };

  /** Publishes the temporary file under `path` without overwriting; true when replayed. */
  const publish = async (
    temp: string,
    path: string,
    name: string,
    formType: string,
    written: { sha256: string; size: number },
  ): Promise<boolean> => {
    try {
      await link(temp, path);
      return false;
    } catch (e) {
      if (errnoOf(e) !== 'EEXIST') throw ioError('publish the file', e, formType);
    }
    const conflict = (why: string): RelayFileDropError =>
      new RelayFileDropError(
        'RELAY_E_FILEDROP_CONFLICT',
        `${name} for ${formType} already exists ${why}: it is not overwritten`,
        { formType, name },
      );
    let existing: { sha256: string; size: number };
    try {
      const st = await lstat(path);
      if (!st.isFile()) throw conflict('and is not a regular file');
      if (st.size !== written.size) throw conflict('with other bytes');
      existing = await digestOf(path);
    } catch (e) {
      if (e instanceof RelayFileDropError) throw e;
      if (errnoOf(e) === 'ELOOP') throw conflict('and is not a regular file');
      throw ioError('read the existing file', e, formType);
    }
    if (existing.sha256 !== written.sha256 || existing.size !== written.size) {
      throw conflict('with other bytes');
    }
    return true;
  };

  const write = async (
    formType: string,
    folder: string,
    name: string,
    source: Readable,
    signal: AbortSignal | undefined,
    progress: { bytes: number },
    named: { declaredName?: string },
  ): Promise<DropReceipt> => {
    try {
      await mkdir(folder, { recursive: true, mode: 0o750 });
    } catch (e) {
      throw ioError('create its folder', e, formType);
    }
    const path = join(folder, name);
    const temp = join(folder, `.${name}.${randomBytes(8).toString('hex')}.tmp`);
    writing.add(temp);
    let handle: FileHandle | undefined;
    let tempExists = false;
    try {
      try {
        handle = await open(temp, 'wx', config.fileMode);
        tempExists = true;
        await handle.chmod(config.fileMode);
      } catch (e) {
        throw ioError('create a temporary file', e, formType);
      }
      const check = pdfCheckStream(config.pdf);
      const sink = new FileSink(handle, formType);
      try {
        await pipeline(source, check, sink, signal === undefined ? {} : { signal });
      } catch (e) {
        progress.bytes = check.check.bytes;
        throw streamFailure(e, formType, signal);
      }
      progress.bytes = sink.bytes;
      const findings = new Set<string>(check.summary?.findings ?? []);
      const open_ = handle;
      handle = undefined;
      try {
        await open_.close();
      } catch (e) {
        throw ioError('close the file', e, formType);
      }
      if (signal?.aborted === true) throw aborted(formType);
      let scan: DropReceipt['scan'] = 'off';
      if (scanner !== undefined) {
        // The file as written (not the body as sent): what lands in the share is what was scanned.
        const outcome = await scanner.scan(createReadStream(temp), {
          formType,
          ...(signal === undefined ? {} : { signal }),
        });
        scan = outcome.verdict;
        if (outcome.verdict === 'unscanned') findings.add('unscanned');
        // The scan took time: the caller may have given up meanwhile.
        if (isAborted(signal)) throw aborted(formType);
      }
      const written = { sha256: sink.digest(), size: sink.bytes };
      const replayed = await publish(temp, path, name, formType, written);
      await unlink(temp).then(
        () => {
          tempExists = false;
        },
        // Published already: a temporary name left behind is sweep()'s to remove.
        () => undefined,
      );
      await syncFolder(folder, formType);
      return Object.freeze({
        formType,
        folder,
        name,
        path,
        ...written,
        replayed,
        ...(named.declaredName === undefined ? {} : { declaredName: named.declaredName }),
        findings: Object.freeze([...findings].sort()),
        scan,
      });
    } finally {
      await handle?.close().catch(() => undefined);
      if (tempExists) await unlink(temp).catch(() => undefined);
      writing.delete(temp);
    }
  };

  const drop = async (input: DropInput): Promise<DropReceipt> => {
    const raw: unknown = input;
    const given = (typeof raw === 'object' && raw !== null ? raw : {}) as Partial<DropInput>;
    const body = given.body;
    const stream = body instanceof Readable ? body : undefined;
    let formType = typeof given.formType === 'string' ? clip(given.formType.slice(0, 64)) : '';
    let name = '';
    let declaredName: string | undefined;
    const progress = { bytes: 0 };
    try {
      const found = folderOf(given.formType);
      formType = found.formType;
      name = fileDropName(found.formType, given.key ?? '');
      const declared =
        given.fileName === undefined && !config.fileNames.required
          ? undefined
          : checkFileName(given.fileName, config.fileNames);
      declaredName = declared?.shown;
      if (stream === undefined && !(body instanceof Uint8Array)) {
        throw new RelayFileDropError(
          'RELAY_E_FILEDROP_REQUEST',
          'a drop body is bytes (Buffer, Uint8Array) or a readable stream',
          { formType },
        );
      }
      const signal = given.signal;
      if (signal?.aborted === true) throw aborted(formType);
      const source = stream ?? Readable.from(slices(body as Uint8Array), { objectMode: false });
      const receipt = await write(formType, found.folder, name, source, signal, progress, {
        ...(declaredName === undefined ? {} : { declaredName }),
      });
      publishDrop({
        formType,
        name,
        size: receipt.size,
        replayed: receipt.replayed,
        outcome: receipt.replayed ? 'replayed' : 'written',
        ...(declaredName === undefined ? {} : { declaredName }),
        findings: receipt.findings,
        scan: receipt.scan,
      });
      return receipt;
    } catch (e) {
      if (stream !== undefined && !stream.destroyed) stream.destroy();
      const error =
        e instanceof RelayFileDropError || isRelayContentError(e) || isRelayAvError(e)
          ? e
          : ioError('drop the file', e, formType);
      publishDrop({
        formType,
        name,
        size: progress.bytes,
        replayed: false,
        outcome: isPermanentDropError(error) ? 'refused' : 'failed',
        code: error.code,
        ...(declaredName === undefined ? {} : { declaredName }),
        ...(typeof error.details.rule === 'string' ? { rule: error.details.rule } : {}),
        ...(typeof error.details.signature === 'string' ? { virus: error.details.signature } : {}),
      });
      throw error;
    }
  };

  const sweep = async (olderThanMs: number): Promise<number> => {
    if (!Number.isSafeInteger(olderThanMs) || olderThanMs < 0) {
      throw new RelayFileDropError(
        'RELAY_E_FILEDROP_REQUEST',
        'sweep() takes an age in whole milliseconds, 0 or more',
      );
    }
    const limit = now() - olderThanMs;
    let seen = 0;
    let removed = 0;
    folders: for (const folder of new Set(Object.values(config.folders))) {
      let dir;
      try {
        dir = await opendir(folder);
      } catch (e) {
        const errno = errnoOf(e);
        if (errno === 'ENOENT' || errno === 'ENOTDIR') continue;
        throw ioError('read a folder to sweep', e);
      }
      for await (const entry of dir) {
        seen += 1;
        if (seen > SWEEP_MAX_ENTRIES) break folders;
        if (!entry.isFile() || !TEMP_NAME.test(entry.name)) continue;
        const temp = join(folder, entry.name);
        if (writing.has(temp)) continue;
        try {
          const st = await lstat(temp);
          if (!st.isFile() || st.mtimeMs >= limit) continue;
          await unlink(temp);
          removed += 1;
        } catch (e) {
          if (errnoOf(e) !== 'ENOENT') throw ioError('remove a temporary file', e);
        }
      }
    }
    return removed;
  };

  return Object.freeze({ config, drop, sweep });
}
