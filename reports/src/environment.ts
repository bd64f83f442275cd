// The facts about the machine a run was made on. In: Node's os and process, and
// relaycheck's package.json. Out: a ReportEnvironment. The host name is left out unless
// asked for: a report is often attached to a public ticket.
import { readFileSync } from 'node:fs';
import { arch, cpus, hostname, platform, totalmem } from 'node:os';
import { join } from 'node:path';
import type { ReportEnvironment } from './schema';

/**
 * relaycheck's version from its package.json (two folders up from the sources, three from
 * their build in dist/), or 'unknown' when that cannot be read.
 */
export function relaycheckVersion(
  roots: readonly string[] = [join(__dirname, '..', '..'), join(__dirname, '..', '..', '..')],
): string {
  for (const root of roots) {
    try {
      const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
        name?: unknown;
        version?: unknown;
      };
      if (pkg.name === 'relaycheck' && typeof pkg.version === 'string' && pkg.version !== '') {
        return pkg.version;
      }
    } catch {
      // not there: try the next candidate
    }
  }
  return 'unknown';
}

export interface EnvironmentOptions {
  /** Include the machine's host name (default false). */
  readonly hostname?: boolean;
}

/** The environment of this process. */
export function collectEnvironment(options: EnvironmentOptions = {}): ReportEnvironment {
  const list = cpus();
  const host = hostname();
  return {
    relaycheck: relaycheckVersion(),
    node: process.version,
    platform: platform(),
    arch: arch(),
    cpus: { count: list.length, model: list[0]?.model.trim() ?? 'unknown' },
    memoryMiB: Math.round(totalmem() / 2 ** 20),
    ...(options.hostname === true && host !== '' ? { hostname: host } : {}),
  };
}
