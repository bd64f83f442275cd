// The file drop's configuration, validated at the edge. In: untrusted input (the relay config's
// `fileDrop` section): form type -> absolute folder, the size limit, PDF check options, the file
// mode, the policy for declared file names. Out: a frozen FileDropConfig (folders normalised, PDF
// options merged with the size limit), or RELAY_E_FILEDROP_CONFIG whose message and details.path
// name the first offending field.
import { isAbsolute, normalize } from 'node:path';
import { z } from 'zod';
import { isRelayContentError, parsePdfCheckOptions, type PdfCheckOptions } from '../content';
import { RelayFileDropError } from './errors';
import { parseFileNamePolicy, type FileNamePolicy } from './filename';

const MIB = 1024 * 1024;
/** What a form type looks like: it becomes the first part of every file name. */
export const FORM_TYPE = /^[a-z0-9][a-z0-9-]{0,63}$/;
export const MAX_FORM_TYPES = 4096;
const MAX_PATH = 4096;

const schema = z
  .strictObject({
    /** Form type -> absolute folder (several form types may share a folder). */
    folders: z.record(z.string(), z.string()),
    /** Largest file in bytes (default 64 MiB, at most 1 GiB). */
    maxFileBytes: z
      .int()
      .min(16)
      .max(1024 * MIB)
      .default(64 * MIB),
    /** Options of the PDF check; its maxBytes is capped at maxFileBytes. */
    pdf: z.unknown().optional(),
    /** The policy for the file name a message declares (validated and logged, never a path). */
    fileNames: z.unknown().optional(),
    /** Mode of each dropped file (default 0o640); others may never write (o+w). */
    fileMode: z
      .int()
      .min(0)
      .max(0o777)
      .refine((m) => (m & 0o002) === 0, 'must not let others write (o+w)')
      .default(0o640),
  })
  .superRefine((c, ctx) => {
    const entries = Object.entries(c.folders);
    if (entries.length === 0) {
      ctx.addIssue({ code: 'custom', path: ['folders'], message: 'at least one form type' });
    }
    if (entries.length > MAX_FORM_TYPES) {
      ctx.addIssue({
        code: 'custom',
        path: ['folders'],
        message: `at most ${MAX_FORM_TYPES} form types (got ${entries.length})`,
      });
      return;
    }
    for (const [formType, folder] of entries) {
      if (!FORM_TYPE.test(formType)) {
        ctx.addIssue({
          code: 'custom',
          path: ['folders', formType],
          message: 'a form type is 1-64 of a-z, 0-9 and "-", starting with a letter or digit',
        });
      } else if (folder.length === 0 || folder.length > MAX_PATH || folder.includes('\0')) {
        ctx.addIssue({
          code: 'custom',
          path: ['folders', formType],
          message: `a folder is 1-${MAX_PATH} characters without NUL`,
        });
      } else if (!isAbsolute(folder)) {
        ctx.addIssue({
          code: 'custom',
          path: ['folders', formType],
          message: 'a folder must be an absolute path',
        });
      }
    }
  });

export type FileDropInput = z.input<typeof schema>;

export interface FileDropConfig {
  /** Form type -> absolute, normalised folder (frozen; look up with Object.hasOwn). */
  readonly folders: Readonly<Record<string, string>>;
  readonly maxFileBytes: number;
  /** What the PDF check is given (maxBytes at most maxFileBytes). */
  readonly pdf: PdfCheckOptions;
  /** What a declared file name must be (see filename.ts). */
  readonly fileNames: FileNamePolicy;
  readonly fileMode: number;
}

const parsed = new WeakSet<object>();

function refuse(path: string, message: string): RelayFileDropError {
  const shown = path.length > 100 ? `${path.slice(0, 100)}…` : path;
  return new RelayFileDropError(
    'RELAY_E_FILEDROP_CONFIG',
    `file drop option ${shown || '(top level)'}: ${message}`,
    { path: shown },
  );
}

/** Validates the file drop's configuration; throws RELAY_E_FILEDROP_CONFIG naming the field. */
export function parseFileDropConfig(input: unknown): FileDropConfig {
  if (typeof input === 'object' && input !== null && parsed.has(input)) {
    return input as FileDropConfig;
  }
  const r = schema.safeParse(input ?? {});
  if (!r.success) {
    const issue = r.error.issues[0];
    throw refuse(issue?.path.map(String).join('.') ?? '', issue?.message ?? 'invalid');
  }
  const c = r.data;
  let pdf: PdfCheckOptions;
  try {
    const given = parsePdfCheckOptions(c.pdf);
    pdf = parsePdfCheckOptions({ ...given, maxBytes: Math.min(given.maxBytes, c.maxFileBytes) });
  } catch (e) {
    if (!isRelayContentError(e)) throw e;
    const field = typeof e.details.path === 'string' && e.details.path ? `.${e.details.path}` : '';
    throw refuse(`pdf${field}`, e.message);
  }
  let fileNames: FileNamePolicy;
  try {
    fileNames = parseFileNamePolicy(c.fileNames);
  } catch (e) {
    if (!isRelayContentError(e)) throw e;
    const field = typeof e.details.path === 'string' && e.details.path ? `.${e.details.path}` : '';
    throw refuse(`fileNames${field}`, e.message);
  }
  const folders = Object.fromEntries(
    Object.entries(c.folders).map(([formType, folder]) => [
      formType,
      normalize(folder).replace(/(.)\/+$/, '$1'),
    ]),
  );
  const config: FileDropConfig = Object.freeze({
    folders: Object.freeze(folders),
    maxFileBytes: c.maxFileBytes,
    pdf,
    fileNames,
    fileMode: c.fileMode,
  });
  parsed.add(config);
  return config;
}
