// The IO edge of the relay config. In: a file path and the environment. Out: the frozen
// RelayConfig from parseRelayConfig (relative paths resolved against the file's directory),
// after checking that the files it names can be used: tls.caFile is a readable file of PEM
// certificates, egress.ranges.serviceTags.source is a readable file (its content is parsed
// later by relay/src/egress). egress.networkMapFile is not checked here: the simulator may
// write it after the relay starts, and the egress layer re-reads it when it changes.
import { constants } from 'node:fs';
import { access, readFile, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { configError, isRelayConfigError } from './errors';
import { parseRelayConfig, type ParseRelayConfigOptions } from './parse';
import type { Environment } from './secrets';
import { formatForFile, MAX_CONFIG_BYTES } from './source';
import type { RelayConfig } from './types';

/** Largest accepted tls.caFile. */
export const MAX_CA_FILE_BYTES = 1024 * 1024;

export type LoadRelayConfigOptions = Pick<ParseRelayConfigOptions, 'defaultInstanceId'>;

function why(e: unknown): string {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EISDIR') return 'a directory';
  if (code === 'EACCES' || code === 'EPERM') return 'a file this process may not read';
  return `a file that cannot be read (${code ?? 'error'})`;
}

async function readableFile(
  path: string,
  limit: number,
  where: { file: string; path: string },
): Promise<number> {
  try {
    const info = await stat(path);
    if (info.isDirectory()) throw Object.assign(new Error('directory'), { code: 'EISDIR' });
    if (!info.isFile()) throw Object.assign(new Error('not a file'), { code: 'ENOTFILE' });
    if (info.size > limit) {
      throw configError(where, `a file of at most ${limit} bytes`, `${info.size} bytes`);
    }
    await access(path, constants.R_OK);
    return info.size;
  } catch (e) {
    if (isRelayConfigError(e)) throw e;
    throw configError(where, 'a readable file', `${why(e)} at ${JSON.stringify(path)}`);
  }
}

/** Reads, validates and checks the relay config at `path`. */
export async function loadRelayConfig(
  path: string,
  env: Environment = process.env,
  options: LoadRelayConfigOptions = {},
): Promise<RelayConfig> {
  formatForFile(path);
  await readableFile(path, MAX_CONFIG_BYTES, { file: path, path: '(file)' });
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (e) {
    throw configError({ file: path, path: '(file)' }, 'a readable file', why(e));
  }
  const config = parseRelayConfig(bytes, {
    file: path,
    baseDir: dirname(resolve(path)),
    env,
    ...options,
  });
  await checkReferencedFiles(config);
  return config;
}

/** Checks that tls.caFile and the service-tag source of `config` can be read. */
export async function checkReferencedFiles(config: RelayConfig): Promise<void> {
  const file = config.source.file;
  const ca = config.tls.caFile;
  if (ca !== undefined) {
    const where = { file, path: 'tls.caFile' };
    await readableFile(ca, MAX_CA_FILE_BYTES, where);
    let text: string;
    try {
      text = await readFile(ca, 'utf8');
    } catch (e) {
      throw configError(where, 'a readable file', why(e));
    }
    if (!/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.test(text)) {
      throw configError(
        where,
        'PEM certificates (-----BEGIN CERTIFICATE-----)',
        'a file without one',
      );
    }
  }
  const ranges = config.egress.ranges;
  if ('serviceTags' in ranges) {
    await readableFile(ranges.serviceTags.source, Number.MAX_SAFE_INTEGER, {
      file,
      path: 'egress.ranges.serviceTags.source',
    });
  }
}
