// A file share that can fill up or turn read-only for real: a small tmpfs mounted over the
// world's shares folder, so the relay's writes fail with the kernel's own ENOSPC and EROFS.
// In: the folder, root. Out: set('full' | 'read-only' | 'writable') and unmount(). Needs root
// (mount(8)); without it SCENARIO_E_SETUP says so. IO edge; everything mounted is unmounted.
import { execFile } from 'node:child_process';
import { closeSync, mkdirSync, openSync, rmSync, statfsSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ScenarioError } from './errors';

const run = promisify(execFile);

/** The tmpfs size: room for the scenario's files, small enough to fill at once. */
const SIZE = '64m';
/** The file that fills the share (removed when it is made writable again). */
const FILLER = '.relaycheck-filler';

export interface ShareMount {
  readonly dir: string;
  set(state: 'full' | 'read-only' | 'writable'): Promise<void>;
  unmount(): Promise<void>;
}

/** True when this process may mount (root). */
export function canMount(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

/** Mounts a tmpfs at `dir` (created); refuses without root. */
export async function mountShare(dir: string): Promise<ShareMount> {
  if (!canMount()) {
    throw new ScenarioError(
      'SCENARIO_E_SETUP',
      'a full or read-only file share is a small tmpfs mounted over the shares folder: that needs root',
      { name: 'share' },
    );
  }
  mkdirSync(dir, { recursive: true });
  try {
    await run('mount', ['-t', 'tmpfs', '-o', `size=${SIZE},mode=0755`, 'relaycheck-share', dir]);
  } catch (e) {
    throw new ScenarioError(
      'SCENARIO_E_SETUP',
      `mount -t tmpfs on ${dir} failed: ${(e as Error).message.split('\n')[0] ?? ''}`,
      { name: 'share' },
    );
  }
  let mounted = true;
  let readOnly = false;
  const remount = async (ro: boolean): Promise<void> => {
    if (ro === readOnly) return;
    await run('mount', ['-o', `remount,${ro ? 'ro' : 'rw'}`, dir]);
    readOnly = ro;
  };
  return {
    dir,
    async set(state) {
      if (state === 'read-only') {
        await remount(true);
        return;
      }
      await remount(false);
      const filler = join(dir, FILLER);
      if (state === 'writable') {
        rmSync(filler, { force: true });
        return;
      }
      // Full: one file takes every free block (tmpfs counts whole pages).
      const { bavail, bsize } = statfsSync(dir);
      const chunk = Buffer.alloc(1024 * 1024);
      let left = bavail * bsize;
      const fd = openSync(filler, 'a');
      try {
        while (left > 0) {
          try {
            left -= writeSync(fd, chunk, 0, Math.min(chunk.length, left));
          } catch (e) {
            if ((e as NodeJS.ErrnoException).code === 'ENOSPC') break;
            throw e;
          }
        }
      } finally {
        closeSync(fd);
      }
    },
    async unmount() {
      if (!mounted) return;
      mounted = false;
      await run('umount', [dir]).catch(() => run('umount', ['-l', dir]));
    },
  };
}
