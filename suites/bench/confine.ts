// Runs a process inside a hardware profile's limits (suites/bench/profile.ts): a cgroup of its
// own (v1: the cpu and memory controllers; v2: cpu.max and memory.max) with the CFS quota and the
// memory limit, pinned with taskset to the profile's cores. The process joins its cgroup before
// it execs (a shell writes its own pid to cgroup.procs, then execs taskset), so not one
// instruction of it runs unconfined. Without cgroups (not root, no writable controllers, not
// Linux) it falls back to taskset and a V8 heap limit, and says the profile is approximate. In:
// the limits, a command and its arguments. Out: the child, which backend applied the limits and
// why not the others, the cgroup's readings (peak memory, CPU time, OOM kills), and close(),
// which waits for the child and removes the cgroup. Only the groups it made are touched.
import { spawn, spawnSync, type ChildProcess, type StdioOptions } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Limits } from './profile';

export type Backend = 'cgroup-v1' | 'cgroup-v2' | 'approximate' | 'none';

const ROOT = '/sys/fs/cgroup';

/** Which cgroup version can confine a process here, or why none can. */
export function detectCgroups(
  root = ROOT,
  uid: number | undefined = process.getuid?.(),
): { readonly version: 'v1' | 'v2' | undefined; readonly reason: string } {
  if (process.platform !== 'linux') {
    return { version: undefined, reason: `cgroups are Linux only (this is ${process.platform})` };
  }
  if (uid !== 0) return { version: undefined, reason: 'cgroups need root' };
  if (
    existsSync(join(root, 'cpu', 'cpu.cfs_quota_us')) &&
    existsSync(join(root, 'memory', 'memory.limit_in_bytes'))
  ) {
    return { version: 'v1', reason: 'cgroup v1 cpu and memory controllers' };
  }
  const controllers = join(root, 'cgroup.controllers');
  if (existsSync(controllers)) {
    const have = readFileSync(controllers, 'utf8').split(/\s+/);
    if (have.includes('cpu') && have.includes('memory')) {
      return { version: 'v2', reason: 'cgroup v2 with the cpu and memory controllers' };
    }
    return { version: undefined, reason: 'cgroup v2 without the cpu and memory controllers' };
  }
  return { version: undefined, reason: `no cgroup cpu and memory controllers under ${root}` };
}

/** True when taskset is on the PATH. */
function hasTaskset(): boolean {
  return spawnSync('taskset', ['--version'], { stdio: 'ignore' }).status === 0;
}

export interface CgroupReadings {
  /** Peak memory of the group (v1 max_usage_in_bytes, v2 memory.peak), bytes. */
  readonly memoryPeakBytes: number | undefined;
  /** CPU time of the group, ns (v1 cpuacct.usage, v2 cpu.stat usage_usec). */
  readonly cpuNs: number | undefined;
  /** Processes the kernel killed at the memory limit. */
  readonly oomKills: number | undefined;
  /** CFS periods in which the group was throttled. */
  readonly throttledPeriods: number | undefined;
}

/** What a process outside any cgroup of ours reads as: nothing known. */
const NO_READINGS: CgroupReadings = Object.freeze({
  memoryPeakBytes: undefined,
  cpuNs: undefined,
  oomKills: undefined,
  throttledPeriods: undefined,
});

export interface Confined {
  readonly child: ChildProcess;
  readonly backend: Backend;
  readonly limits: Limits;
  /** Why this backend (and, for 'approximate', what is not modelled). */
  readonly notes: readonly string[];
  /** The cgroup directories made for the child (removed by close()). */
  readonly groups: readonly string[];
  readings(): CgroupReadings;
  /** Waits for the child to exit (it is not signalled here), then removes its cgroups. */
  close(): Promise<void>;
}

export interface ConfineOptions {
  readonly env?: NodeJS.ProcessEnv;
  readonly stdio?: StdioOptions;
  readonly cwd?: string;
  /** Where the cgroup hierarchy is (tests); default /sys/fs/cgroup. */
  readonly cgroupRoot?: string;
  /** Use this backend even when a better one is there (tests of the fallback). */
  readonly force?: 'approximate';
}

export function readNumber(file: string): number | undefined {
  try {
    const n = Number(readFileSync(file, 'utf8').trim());
    return Number.isFinite(n) ? n : undefined;
  } catch {
    return undefined;
  }
}

export function readField(file: string, field: string): number | undefined {
  try {
    const m = new RegExp(`^${field}\\s+(\\d+)`, 'm').exec(readFileSync(file, 'utf8'));
    return m?.[1] === undefined ? undefined : Number(m[1]);
  } catch {
    return undefined;
  }
}

/** Makes the child's cgroups and writes the limits; returns the directories and procs files. */
function makeGroups(
  version: 'v1' | 'v2',
  root: string,
  name: string,
  limits: Limits,
): { groups: string[]; procs: string[] } {
  if (version === 'v1') {
    const cpu = join(root, 'cpu', name);
    const memory = join(root, 'memory', name);
    mkdirSync(cpu);
    try {
      mkdirSync(memory);
    } catch (e) {
      rmdirSync(cpu);
      throw e;
    }
    writeFileSync(join(cpu, 'cpu.cfs_period_us'), String(limits.periodUs));
    writeFileSync(join(cpu, 'cpu.cfs_quota_us'), String(limits.quotaUs ?? -1));
    const groups = [cpu, memory];
    const procs = [join(cpu, 'cgroup.procs'), join(memory, 'cgroup.procs')];
    // cpuacct mounted on its own (not with cpu): a group there too, for the CPU time reading.
    const acct = join(root, 'cpuacct');
    if (
      existsSync(join(acct, 'cpuacct.usage')) &&
      !existsSync(join(root, 'cpu', 'cpuacct.usage'))
    ) {
      mkdirSync(join(acct, name));
      groups.push(join(acct, name));
      procs.push(join(acct, name, 'cgroup.procs'));
    }
    if (limits.memoryBytes !== undefined) {
      writeFileSync(join(memory, 'memory.limit_in_bytes'), String(limits.memoryBytes));
      // No swap beyond the limit, where the kernel accounts swap (as a server without swap).
      const memsw = join(memory, 'memory.memsw.limit_in_bytes');
      if (existsSync(memsw)) writeFileSync(memsw, String(limits.memoryBytes));
    }
    return { groups, procs };
  }
  const group = join(root, name);
  mkdirSync(group);
  writeFileSync(
    join(group, 'cpu.max'),
    `${limits.quotaUs === undefined ? 'max' : String(limits.quotaUs)} ${String(limits.periodUs)}`,
  );
  if (limits.memoryBytes !== undefined) {
    writeFileSync(join(group, 'memory.max'), String(limits.memoryBytes));
    const swap = join(group, 'memory.swap.max');
    if (existsSync(swap)) writeFileSync(swap, '0');
  }
  return { groups: [group], procs: [join(group, 'cgroup.procs')] };
}

export function readingsOf(version: 'v1' | 'v2', groups: readonly string[]): CgroupReadings {
  if (version === 'v1') {
    const [cpu = '', memory = '', cpuacct] = groups;
    return {
      memoryPeakBytes: readNumber(join(memory, 'memory.max_usage_in_bytes')),
      cpuNs: readNumber(join(cpuacct ?? cpu, 'cpuacct.usage')),
      oomKills: readField(join(memory, 'memory.oom_control'), 'oom_kill'),
      throttledPeriods: readField(join(cpu, 'cpu.stat'), 'nr_throttled'),
    };
  }
  const [group = ''] = groups;
  const usec = readField(join(group, 'cpu.stat'), 'usage_usec');
  return {
    memoryPeakBytes: readNumber(join(group, 'memory.peak')),
    cpuNs: usec === undefined ? undefined : usec * 1000,
    oomKills: readField(join(group, 'memory.events'), 'oom_kill'),
    throttledPeriods: readField(join(group, 'cpu.stat'), 'nr_throttled'),
  };
}

/** Quotes one word for /bin/sh. */
function sh(word: string): string {
  return `'${word.replace(/'/g, "'\\''")}'`;
}

/**
 * Starts `command args` inside `limits`. With cgroups: a group per controller, joined before
 * exec. Without: taskset (when there) and, for node, --max-old-space-size at ¾ of the memory.
 */
export function spawnConfined(
  limits: Limits,
  command: string,
  args: readonly string[],
  options: ConfineOptions = {},
): Confined {
  const root = options.cgroupRoot ?? ROOT;
  const detected =
    options.force === 'approximate'
      ? { version: undefined, reason: 'the approximate backend was asked for' }
      : detectCgroups(root);
  const taskset = limits.cpuList !== undefined && hasTaskset();
  const notes: string[] = [...limits.notes];
  if (limits.cpuList !== undefined && !taskset) {
    notes.push('taskset is not installed: the relay is not pinned to a core');
  }
  const pin = taskset ? ['taskset', '-c', limits.cpuList] : [];
  const unlimited =
    limits.cpuList === undefined &&
    limits.quotaUs === undefined &&
    limits.memoryBytes === undefined;
  if (unlimited) {
    const child = spawn(command, [...args], {
      env: options.env ?? process.env,
      stdio: options.stdio ?? 'inherit',
      ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
    });
    return {
      child,
      backend: 'none',
      limits,
      notes: [...notes, 'no limit: the profile is unconstrained'],
      groups: [],
      readings: () => NO_READINGS,
      close: () => exited(child),
    };
  }
  if (detected.version === undefined) {
    // The approximate profile: pinned, and a V8 heap limit for node; no CPU throttle.
    const env = { ...(options.env ?? process.env) };
    if (limits.memoryBytes !== undefined) {
      const heapMiB = Math.floor((limits.memoryBytes / 1024 / 1024) * 0.75);
      env.NODE_OPTIONS = `${env.NODE_OPTIONS ?? ''} --max-old-space-size=${String(heapMiB)}`.trim();
    }
    const child = spawn(
      pin[0] ?? command,
      [...pin.slice(1), ...(pin.length > 0 ? [command] : []), ...args],
      {
        env,
        stdio: options.stdio ?? 'inherit',
        ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
      },
    );
    notes.push(
      `approximate: ${detected.reason}, so the CPU share is not enforced` +
        (limits.memoryBytes === undefined ? '' : ' and memory is bounded only by a V8 heap limit'),
    );
    return {
      child,
      backend: 'approximate',
      limits,
      notes,
      groups: [],
      readings: () => NO_READINGS,
      close: () => exited(child),
    };
  }
  const version = detected.version;
  const name = `relaycheck-${String(process.pid)}-${randomBytes(4).toString('hex')}`;
  const { groups, procs } = makeGroups(version, root, name, limits);
  const join_ = procs.map((p) => `echo $$ > ${sh(p)}`).join(' && ');
  const script = `${join_} && exec "$@"`;
  let child: ChildProcess;
  try {
    child = spawn('/bin/sh', ['-c', script, 'sh', ...pin, command, ...args], {
      env: options.env ?? process.env,
      stdio: options.stdio ?? 'inherit',
      ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
    });
  } catch (e) {
    void removeGroups(groups);
    throw e;
  }
  notes.push(`cgroup ${version}: ${detected.reason}`);
  return {
    child,
    backend: version === 'v1' ? 'cgroup-v1' : 'cgroup-v2',
    limits,
    notes,
    groups,
    readings: () => readingsOf(version, groups),
    close: async () => {
      await exited(child);
      await removeGroups(groups);
    },
  };
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => {
      resolve();
    });
  });
}

/**
 * Removes the groups. The kernel may hold a group a moment after its last process exits
 * (EBUSY): each is tried again, at most 50 times, 20 ms apart.
 */
export async function removeGroups(groups: readonly string[]): Promise<void> {
  for (const g of [...groups].reverse()) {
    for (let i = 0; ; i++) {
      try {
        rmdirSync(g);
        break;
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'ENOENT') break;
        if (code !== 'EBUSY' || i >= 49) throw e;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    }
  }
}
