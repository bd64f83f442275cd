// The antivirus facts of the machine a run is made on, for the report's security section (like
// ./environment.ts for the machine). In: `clamd --version` (on the PATH, then where Debian puts
// it). Out: AntivirusFacts: clamd installed and its version line, or why not. IO: one short
// child process; never starts or talks to a daemon.
import { spawnSync } from 'node:child_process';
import type { AntivirusFacts } from './security';

/** Where clamd is looked for: the PATH, then Debian's sbin folders (not on every PATH). */
export const CLAMD_PATHS: readonly string[] = Object.freeze([
  'clamd',
  '/usr/sbin/clamd',
  '/usr/local/sbin/clamd',
]);

/** Whether clamd is installed here, and its version (`clamd --version`'s first line). */
export function clamdFacts(candidates: readonly string[] = CLAMD_PATHS): AntivirusFacts {
  for (const file of candidates) {
    const r = spawnSync(file, ['--version'], {
      encoding: 'utf8',
      timeout: 5000,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    if (r.error !== undefined) {
      if ((r.error as NodeJS.ErrnoException).code === 'ENOENT') continue;
      return { clamdAvailable: false, clamdNote: `${file} --version failed (${r.error.message})` };
    }
    const line = r.stdout.split('\n')[0]?.trim() ?? '';
    if (r.status === 0 && line !== '') return { clamdAvailable: true, clamdVersion: line };
    const how = `exit ${String(r.status ?? r.signal)}`;
    return { clamdAvailable: false, clamdNote: `${file} --version failed (${how})` };
  }
  return {
    clamdAvailable: false,
    clamdNote: 'clamd is not installed (.ci/run installs clamav-daemon)',
  };
}
