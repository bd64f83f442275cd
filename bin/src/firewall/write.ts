// The one IO edge of the rule generator that writes. In: file paths and their text. Out: the
// files in place, each whole or absent: every text goes to a temporary file beside its target
// (created exclusively, flushed to disk) and only when all of them are written are they
// renamed over the targets (a target that is a directory is refused before any writing). On failure the temporary files are removed and a FirewallError
// FIREWALL_E_OUT says which path and why; no target is half-written.
import { randomBytes } from 'node:crypto';
import { open, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { FirewallError } from './errors';

export interface FileToWrite {
  readonly path: string;
  readonly text: string;
}

function why(e: unknown): string {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case 'ENOENT':
      return 'its folder does not exist';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EISDIR':
      return 'it is a directory';
    case 'ENOTDIR':
      return 'a part of the path is not a folder';
    case 'ENOSPC':
      return 'the disk is full';
    default:
      return `cannot write it (${code ?? (e instanceof Error ? e.message : String(e))})`;
  }
}

/**
 * Writes every file through a temporary name, then renames them all. A target that is a
 * directory is refused before anything is written, so that with two files (iptables) a
 * rename cannot fail half-way for that reason.
 */
export async function writeFilesAtomically(files: readonly FileToWrite[]): Promise<void> {
  for (const f of files) {
    const info = await stat(f.path).catch(() => undefined);
    if (info?.isDirectory() === true) {
      throw new FirewallError(
        'FIREWALL_E_OUT',
        `cannot write ${JSON.stringify(f.path)}: it is a directory`,
        {
          path: f.path,
          errno: 'EISDIR',
        },
      );
    }
  }
  const temps: { temp: string; path: string }[] = [];
  let current = '';
  try {
    for (const f of files) {
      current = f.path;
      const temp = join(
        dirname(f.path),
        `.${basename(f.path)}.${randomBytes(6).toString('hex')}.part`,
      );
      temps.push({ temp, path: f.path });
      const handle = await open(temp, 'wx', 0o644);
      try {
        await handle.writeFile(f.text, 'utf8');
        await handle.sync();
      } finally {
        await handle.close();
      }
    }
    for (const t of temps) {
      current = t.path;
      await rename(t.temp, t.path);
    }
  } catch (e) {
    // A temporary file that was never created (ENOENT, ENOTDIR) is no error here.
    await Promise.all(temps.map((t) => rm(t.temp, { force: true }).catch(() => undefined)));
    throw new FirewallError(
      'FIREWALL_E_OUT',
      `cannot write ${JSON.stringify(current)}: ${why(e)}`,
      {
        path: current,
        errno: (e as NodeJS.ErrnoException | undefined)?.code,
      },
    );
  }
}
