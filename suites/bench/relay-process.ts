// A relay (or a baseline listener) running inside a hardware profile's limits, whatever confines
// it: a child in cgroups of ours (confine.ts), or a container (container.ts). In: nothing (an
// interface, and the cgroup one: a command and its limits). Out: the one shape the workload
// benchmark drives: is it alive, what did it use, and stop it (and everything made for it:
// cgroups, containers).
import type { ChildProcess } from 'node:child_process';
import { spawnConfined, type CgroupReadings } from './confine';
import type { Limits } from './profile';

/** How the limits were applied. */
export type RelayBackend = 'cgroup-v1' | 'cgroup-v2' | 'approximate' | 'none' | 'container';

export interface RelayProcess {
  readonly backend: RelayBackend;
  /** Why this backend, and where it does not model the profile exactly. */
  readonly notes: readonly string[];
  /** The process id on this host (for /proc/<pid>/status), when there is one. */
  readonly pid: number | undefined;
  /** False once the process has exited or was killed. */
  alive(): boolean;
  /** What the process used so far, from its cgroup (undefined fields: not known). */
  readings(): CgroupReadings;
  /** Stops the process (SIGTERM, then SIGKILL after a grace) and removes what was made for it. */
  stop(): Promise<void>;
}

/** Options of a process started in cgroups of ours (or the approximate fallback). */
export interface ConfinedStart {
  readonly limits: Limits;
  readonly command: string;
  readonly args: readonly string[];
  readonly env: NodeJS.ProcessEnv;
  /** Where its standard output goes (a pipe lets the caller wait for a line). */
  readonly stdout?: 'ignore' | 'pipe' | 'inherit';
  /** Where its standard error goes (default: ours). */
  readonly stderr?: 'pipe' | 'inherit';
}

/** Grace between SIGTERM and SIGKILL when stopping. */
const STOP_GRACE_MS = 15_000;

/** A child confined by spawnConfined (cgroups v1/v2 or the approximate fallback). */
export function startConfinedProcess(start: ConfinedStart): RelayProcess & {
  readonly child: ChildProcess;
} {
  const confined = spawnConfined(start.limits, start.command, start.args, {
    env: start.env,
    stdio: ['ignore', start.stdout ?? 'ignore', start.stderr ?? 'inherit'],
  });
  const child = confined.child;
  let stopped: Promise<void> | undefined;
  return {
    child,
    backend: confined.backend,
    notes: confined.notes,
    pid: child.pid,
    alive: () => child.exitCode === null && child.signalCode === null,
    readings: () => confined.readings(),
    stop: () => {
      stopped ??= (async () => {
        if (child.exitCode === null && child.signalCode === null) {
          child.kill('SIGTERM');
          const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
          try {
            await confined.close();
          } finally {
            clearTimeout(timer);
          }
        } else {
          await confined.close();
        }
      })();
      return stopped;
    },
  };
}
