// The file shares: one folder per form type under <runDir>/shares/, standing in for the SMB
// shares a council's relay drops PDFs and evidence into. In: PUT /files/{formType}/{name}
// (or POST /files/{formType} with X-File-Name or ?name=) and a body stream; or files a relay
// wrote straight into a folder (scan()). Out: files written atomically (a hidden temporary
// name in the same folder, fsync, then rename: a reader never sees half a file), a record of
// each (path, size, SHA-256, time), and typed refusals: a name that could leave its folder,
// an unknown form type, a body over the limit, a different file already of that name.
// This is the one file of the back office that writes to disk.
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, readdir, rename, rm, stat, unlink, type FileHandle } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Clock } from '../../../relay/src/protocol/primitives';
import { SimBackOfficeError } from './errors';
import type { FileFacts } from './journal';
import {
  consume,
  noRoute,
  requireMethod,
  xmlResponse,
  type BoRequest,
  type BoResponse,
  type ServiceHandler,
} from './service';
import { XML_NS_BASE, el, renderXml } from './xml';

/** A file written through the intake. */
export interface WrittenFile extends FileFacts {
  readonly writtenAt: number;
  readonly idempotencyKey: string | undefined;
}

/** A file found in a share folder by scan(), however it got there. */
export interface ScannedFile {
  readonly formType: string;
  readonly folder: string;
  /** Relative to the form type's folder, "/"-separated. */
  readonly name: string;
  readonly path: string;
  readonly size: number;
  readonly sha256: string;
  readonly modifiedAt: number;
}

export interface FormTypeFolder {
  readonly formType: string;
  /** Relative to shares/, "/"-separated. */
  readonly folder: string;
  /** Absolute. */
  readonly path: string;
}

export interface FileSharesOptions {
  /** The shares root (absolute): <runDir>/shares. */
  readonly root: string;
  readonly folders: ReadonlyMap<string, string>;
  readonly maxFileBytes: number;
  readonly onExisting: 'conflict' | 'replace';
  readonly clock: Clock;
  /** Called once per completed write (journal and events). */
  readonly onWritten?: ((file: WrittenFile) => void) | undefined;
}

const RESERVED = /^(?:con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³])(?:\..*)?$/i;
// Windows forbids <>:"/\|?* and control characters in names; ":" would also open an
// alternate data stream on NTFS.
const FORBIDDEN = /[<>:"/\\|?*]/;

function hasControl(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return true;
  }
  return false;
}
const MAX_NAME = 255;
/** How many write records are kept (oldest forgotten first). */
export const MAX_RECORDS = 100_000;

/**
 * Undefined when `name` is a safe file name for a share folder; otherwise why not. Pure.
 * Refused: empty, "." and "..", a path separator (/ or \), a leading dot (hidden and
 * temporary names), a trailing dot or space, a character Windows forbids, a reserved device
 * name (CON, NUL, COM1, ...), more than 255 characters.
 */
export function fileNameProblem(name: string): string | undefined {
  if (name === '') return 'the file name is empty';
  if (name === '.' || name === '..') return `"${name}" is not a file name (path traversal)`;
  if (name.includes('/') || name.includes('\\'))
    return 'the file name contains a path separator (path traversal)';
  if (name.length > MAX_NAME) return `the file name is over ${String(MAX_NAME)} characters`;
  if (name.startsWith('.')) return 'the file name starts with a dot';
  if (/[. ]$/.test(name) || /^\s/.test(name))
    return 'the file name starts with a space or ends with a dot or a space';
  if (FORBIDDEN.test(name) || hasControl(name))
    return 'the file name contains a character Windows forbids (< > : " | ? * or a control character)';
  if (RESERVED.test(name)) return 'the file name is a reserved Windows device name';
  return undefined;
}

function badName(name: string, problem: string): SimBackOfficeError {
  return new SimBackOfficeError('SIM_E_BO_FILE_NAME', problem, { name: name.slice(0, 80) });
}

async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(path), hash);
  return hash.digest('hex');
}

function isAbort(e: unknown): boolean {
  const code = (e as { code?: unknown } | null)?.code;
  return code === 'ECONNRESET' || code === 'ERR_STREAM_PREMATURE_CLOSE' || code === 'ECONNABORTED';
}

export class FileShares {
  readonly #o: FileSharesOptions;
  readonly #records: WrittenFile[] = [];
  readonly #locks = new Map<string, Promise<unknown>>();
  #dropped = 0;
  #temp = 0;

  private constructor(options: FileSharesOptions) {
    this.#o = options;
  }

  /** Makes every folder and returns the shares. */
  static async create(options: FileSharesOptions): Promise<FileShares> {
    const shares = new FileShares(options);
    await mkdir(options.root, { recursive: true });
    for (const f of shares.formTypes()) await mkdir(f.path, { recursive: true });
    return shares;
  }

  get root(): string {
    return this.#o.root;
  }

  /** The absolute folder of a form type, or undefined when none is configured. */
  folderOf(formType: string): string | undefined {
    const f = this.#o.folders.get(formType);
    return f === undefined ? undefined : join(this.#o.root, ...f.split('/'));
  }

  formTypes(): FormTypeFolder[] {
    return [...this.#o.folders].map(([formType, folder]) => ({
      formType,
      folder,
      path: join(this.#o.root, ...folder.split('/')),
    }));
  }

  /** Files written through the intake, oldest first (at most MAX_RECORDS are kept). */
  written(filter: { readonly formType?: string; readonly name?: string } = {}): WrittenFile[] {
    return this.#records.filter(
      (r) =>
        (filter.formType === undefined || r.formType === filter.formType) &&
        (filter.name === undefined || r.name === filter.name),
    );
  }

  get droppedRecords(): number {
    return this.#dropped;
  }

  /** Serialises the check-and-rename step per final path. */
  async #locked<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const before = this.#locks.get(key) ?? Promise.resolve();
    const run = before.then(fn, fn);
    const tail = run.then(
      () => undefined,
      () => undefined,
    );
    this.#locks.set(key, tail);
    try {
      return await run;
    } finally {
      if (this.#locks.get(key) === tail) this.#locks.delete(key);
    }
  }

  /**
   * Writes `body` as `name` in the folder of `formType`, atomically. Resolves with the
   * record; rejects with a SimBackOfficeError (the temporary file is always removed).
   */
  async write(
    formType: string,
    name: string,
    body: Readable,
    meta: {
      readonly idempotencyKey?: string | undefined;
      readonly declaredLength?: number | undefined;
    } = {},
  ): Promise<WrittenFile> {
    const folderRel = this.#o.folders.get(formType);
    const folder = this.folderOf(formType);
    if (folderRel === undefined || folder === undefined) {
      throw new SimBackOfficeError(
        'SIM_E_BO_FORM_TYPE',
        `no share folder is configured for the form type "${formType.slice(0, 64)}"`,
        { formType: formType.slice(0, 64) },
      );
    }
    const problem = fileNameProblem(name);
    if (problem !== undefined) throw badName(name, problem);
    const target = resolve(folder, name);
    if (dirname(target) !== resolve(folder) || !target.startsWith(resolve(this.#o.root) + sep)) {
      throw badName(name, 'the file name resolves outside its folder (path traversal)');
    }
    const max = this.#o.maxFileBytes;
    if (meta.declaredLength !== undefined && meta.declaredLength > max) {
      throw new SimBackOfficeError(
        'SIM_E_BO_TOO_LARGE',
        `the file is over the limit of ${String(max)} bytes`,
        { max },
      );
    }

    const temp = join(
      folder,
      `.upload-${String(++this.#temp)}-${randomBytes(4).toString('hex')}.part`,
    );
    const hash = createHash('sha256');
    let size = 0;
    let handle: FileHandle;
    try {
      handle = await open(temp, 'wx', 0o644);
    } catch (e) {
      throw this.#writeError(e);
    }
    const fh = handle;
    try {
      await consume(body, async (chunk) => {
        size += chunk.length;
        if (size > max) {
          throw new SimBackOfficeError(
            'SIM_E_BO_TOO_LARGE',
            `the file is over the limit of ${String(max)} bytes`,
            { max },
          );
        }
        hash.update(chunk);
        for (let off = 0; off < chunk.length;) {
          off += (await fh.write(chunk, off, chunk.length - off)).bytesWritten;
        }
      });
      if (meta.declaredLength !== undefined && size !== meta.declaredLength) {
        throw new SimBackOfficeError(
          'SIM_E_BO_INCOMPLETE',
          'the body is shorter than its Content-Length',
        );
      }
      await handle.sync();
    } catch (e) {
      await handle.close().catch(() => undefined);
      await unlink(temp).catch(() => undefined);
      if (e instanceof SimBackOfficeError) throw e;
      if (isAbort(e)) {
        throw new SimBackOfficeError(
          'SIM_E_BO_INCOMPLETE',
          'the upload ended before its body was complete',
          { received: size },
        );
      }
      throw this.#writeError(e);
    }
    await handle.close();
    const sha256 = hash.digest('hex');

    return this.#locked(target, async () => {
      let result: FileFacts['result'] = 'created';
      try {
        const existing = await stat(target).catch(() => undefined);
        if (existing !== undefined) {
          const same =
            existing.isFile() && existing.size === size && (await sha256File(target)) === sha256;
          if (same) {
            result = 'unchanged';
            await unlink(temp);
          } else if (this.#o.onExisting === 'conflict' || !existing.isFile()) {
            await unlink(temp);
            throw new SimBackOfficeError(
              'SIM_E_BO_FILE_EXISTS',
              `a different file named "${name}" is already in ${folderRel}`,
              { name: name.slice(0, 80), formType },
            );
          } else {
            result = 'replaced';
          }
        }
        if (result !== 'unchanged') await rename(temp, target);
      } catch (e) {
        await unlink(temp).catch(() => undefined);
        if (e instanceof SimBackOfficeError) throw e;
        throw this.#writeError(e);
      }
      const record: WrittenFile = Object.freeze({
        formType,
        folder: folderRel,
        name,
        path: target,
        size,
        sha256,
        result,
        writtenAt: this.#o.clock.now(),
        idempotencyKey: meta.idempotencyKey,
      });
      this.#records.push(record);
      if (this.#records.length > MAX_RECORDS) {
        this.#records.shift();
        this.#dropped++;
      }
      this.#o.onWritten?.(record);
      return record;
    });
  }

  #writeError(e: unknown): SimBackOfficeError {
    const code = (e as { code?: unknown } | null)?.code;
    return new SimBackOfficeError('SIM_E_BO_WRITE', 'the file could not be written to the share', {
      errno: typeof code === 'string' ? code : 'unknown',
    });
  }

  /** Opens a written file for reading; SIM_E_BO_NOT_FOUND when there is none. */
  async read(formType: string, name: string): Promise<{ size: number; open: () => Readable }> {
    const folder = this.folderOf(formType);
    const problem = fileNameProblem(name);
    if (folder === undefined) {
      throw new SimBackOfficeError(
        'SIM_E_BO_FORM_TYPE',
        `no share folder is configured for "${formType.slice(0, 64)}"`,
        {
          formType: formType.slice(0, 64),
        },
      );
    }
    if (problem !== undefined) throw badName(name, problem);
    const path = join(folder, name);
    const s = await stat(path).catch(() => undefined);
    if (s?.isFile() !== true) {
      throw new SimBackOfficeError(
        'SIM_E_BO_NOT_FOUND',
        `no file "${name}" in the folder of ${formType}`,
        {
          name: name.slice(0, 80),
        },
      );
    }
    return { size: s.size, open: () => createReadStream(path) };
  }

  /**
   * Every file now in the share folders (written by the intake or straight by a relay),
   * with its SHA-256; temporary (dot) names are left out. Bounded: 8 levels, 100,000 files.
   */
  async scan(): Promise<ScannedFile[]> {
    const out: ScannedFile[] = [];
    const folders = this.formTypes();
    const roots = new Set(folders.map((f) => f.path));
    for (const f of folders) {
      const walk = async (dir: string, depth: number): Promise<void> => {
        if (depth > 8 || out.length >= MAX_RECORDS) return;
        const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
        entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
        for (const d of entries) {
          if (d.name.startsWith('.') || out.length >= MAX_RECORDS) continue;
          const path = join(dir, d.name);
          if (d.isDirectory()) {
            // A form type's folder may hold another's only if configured so; skip those.
            if (!roots.has(path)) await walk(path, depth + 1);
          } else if (d.isFile()) {
            const s = await stat(path);
            out.push({
              formType: f.formType,
              folder: f.folder,
              name: relative(f.path, path).split(sep).join('/'),
              path,
              size: s.size,
              sha256: await sha256File(path),
              modifiedAt: s.mtimeMs,
            });
          }
        }
      };
      await walk(f.path, 0);
    }
    return out;
  }

  /** Empties every folder (keeping the folders) and forgets the records. */
  async reset(): Promise<void> {
    const folders = this.formTypes();
    const roots = new Set(folders.map((f) => f.path));
    for (const f of folders) {
      const entries = await readdir(f.path).catch(() => []);
      for (const e of entries) {
        const path = join(f.path, e);
        if (roots.has(path)) continue;
        await rm(path, { recursive: true, force: true });
      }
    }
    this.#records.length = 0;
    this.#dropped = 0;
  }
}

export function fileReceiptXml(f: WrittenFile): string {
  return renderXml(
    el(
      'FileReceipt',
      { xmlns: `${XML_NS_BASE}:file-shares:v1` },
      el('FormType', {}, f.formType),
      el('Folder', {}, f.folder),
      el('Name', {}, f.name),
      el('Size', {}, f.size),
      el('Sha256', {}, f.sha256),
      el('WrittenAt', {}, new Date(f.writtenAt).toISOString()),
      el('Result', {}, f.result),
    ),
  );
}

function nameFrom(req: BoRequest): string {
  const header = req.headers['x-file-name'];
  const raw = typeof header === 'string' ? header : req.query.get('name');
  if (raw === null || raw === '') {
    throw new SimBackOfficeError(
      'SIM_E_BO_FILE_NAME',
      'POST needs the file name in X-File-Name or ?name=',
    );
  }
  try {
    return decodeURIComponent(raw);
  } catch {
    throw badName(raw, 'the file name has a malformed percent-encoding');
  }
}

/**
 * The file share intake: PUT /files/{formType}/{name}; POST /files/{formType} (name in
 * X-File-Name, percent-encoded, or ?name=); GET|HEAD /files/{formType}/{name}.
 */
export function fileSharesHandler(shares: FileShares): ServiceHandler {
  return async (req: BoRequest): Promise<BoResponse> => {
    const [first, formType, ...rest] = req.segments;
    if (first !== 'files' || formType === undefined) throw noRoute(req);
    if (
      formType === '' ||
      formType === '.' ||
      formType === '..' ||
      fileNameProblem(formType) !== undefined
    ) {
      throw badName(
        formType,
        `"${formType.slice(0, 64)}" is not a form type (path traversal refused)`,
      );
    }
    // Everything after the form type is the name: a "/" in it (sent raw or as %2F) is refused.
    const name = rest.length === 0 ? undefined : rest.join('/');
    if (name === undefined) {
      requireMethod(req, ['POST']);
    } else {
      requireMethod(req, ['PUT', 'GET', 'HEAD']);
    }
    if (req.method === 'GET' || req.method === 'HEAD') {
      const file = await shares.read(formType, name ?? '');
      return {
        status: 200,
        headers: { 'content-type': 'application/octet-stream' },
        body: { length: file.size, open: file.open },
      };
    }
    const fileName = name ?? nameFrom(req);
    const declared = req.headers['content-length'];
    const record = await shares.write(formType, fileName, req.body, {
      idempotencyKey: req.idempotencyKey,
      declaredLength: declared === undefined ? undefined : Number(declared),
    });
    req.note({ requestBytes: record.size, reference: `${record.folder}/${record.name}` });
    return xmlResponse(record.result === 'unchanged' ? 200 : 201, fileReceiptXml(record), {
      location: `/files/${encodeURIComponent(formType)}/${encodeURIComponent(record.name)}`,
    });
  };
}
