// The one IO edge of the IP range code. In: a file path. Out: the file's text and its
// detected format (ServiceTags JSON or legacy XML), the selection made from it and the parsed
// source itself, or a RangesError: IP_E_SOURCE (missing, a directory, unreadable), IP_E_SIZE
// (over the limit), IP_E_ENCODING, IP_E_FORMAT.
import { readFile, stat } from 'node:fs/promises';
import { RangesError } from './errors';
import { selectRanges, type RangeSelection, type SelectRangesOptions } from './ranges';
import { parseSource } from './service-tags';
import {
  DEFAULT_MAX_BYTES,
  decodeText,
  detectFormat,
  type ParsedSource,
  type SourceFormat,
} from './source';

export interface LoadedSource {
  readonly path: string;
  readonly format: SourceFormat;
  /** Decoded text (UTF-8, BOM dropped). */
  readonly text: string;
  readonly bytes: number;
}

function ioError(path: string, e: unknown): RangesError {
  const code = (e as NodeJS.ErrnoException | undefined)?.code ?? 'EIO';
  const why =
    code === 'ENOENT'
      ? 'no such file'
      : code === 'EISDIR'
        ? 'it is a directory, not a file'
        : code === 'EACCES' || code === 'EPERM'
          ? 'permission denied'
          : `cannot read it (${code})`;
  return new RangesError('IP_E_SOURCE', `IP range source ${JSON.stringify(path)}: ${why}`, {
    path,
    errno: code,
  });
}

/** Reads an IP range source file and detects its format. */
export async function loadServiceTagSource(
  path: string,
  options: { readonly maxBytes?: number } = {},
): Promise<LoadedSource> {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  let bytes: Buffer;
  try {
    const info = await stat(path);
    if (info.isDirectory()) throw Object.assign(new Error('directory'), { code: 'EISDIR' });
    if (info.size > maxBytes) {
      throw new RangesError(
        'IP_E_SIZE',
        `IP range source ${JSON.stringify(path)} is ${info.size} bytes, over the ${maxBytes}-byte limit`,
        { path, bytes: info.size, limit: maxBytes },
      );
    }
    bytes = await readFile(path);
  } catch (e) {
    if (e instanceof RangesError) throw e;
    throw ioError(path, e);
  }
  const text = decodeText(bytes, maxBytes);
  return Object.freeze({ path, format: detectFormat(text), text, bytes: bytes.byteLength });
}

/** loadServiceTagSource() then selectRanges() with the detected format. */
export async function selectRangesFromFile(
  path: string,
  options: SelectRangesOptions,
): Promise<RangeSelection> {
  return (await selectRangesAndSource(path, options)).selection;
}

/**
 * selectRangesFromFile(), and the parsed source it selected from (to say where an address
 * outside the selection is published: explainOutside()).
 */
export async function selectRangesAndSource(
  path: string,
  options: SelectRangesOptions,
): Promise<{ readonly selection: RangeSelection; readonly source: ParsedSource }> {
  const loaded = await loadServiceTagSource(path, options);
  const source = parseSource(loaded.text, { ...options, format: loaded.format });
  return { selection: selectRanges(source, options), source };
}
