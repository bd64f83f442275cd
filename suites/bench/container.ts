// The `container` backend of the relay benchmark: the relay (a node process) runs in a container
// of a local Docker engine (docker-engine.ts), started through testcontainers, with the
// profile's limits as the engine's own --cpus (a CFS quota), --memory (swap equal: none) and a
// cpuset for the profile's cores. In: the engine, the limits, node's arguments and environment,
// and the folders to mount at their own paths (the repository read-only, the bench world's
// folder read-write), so every path of the relay config works unchanged; the container shares
// the host's network (the simulator listens on loopback). The image is built here, from no
// registry: this machine's node binary and the libraries ldd lists for it, imported as
// relaycheck-node:<version>-<hash> (reused while it exists). Out: a RelayProcess — the
// container's init PID on this host, alive() from the engine's wait, readings from the
// container's cgroup (confine.ts's readingsOf), the relay's stderr on ours, stop() that stops
// and removes the container — plus the container's id, image, cgroup folders and timings.
import { spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { GenericContainer, StartedTestContainer, WaitStrategy } from 'testcontainers';
import { REPO_ROOT } from '../lib/scan';
import { readingsOf, type CgroupReadings } from './confine';
import type { DockerEngine } from './docker-engine';
import { BenchError } from './errors';
import type { Limits } from './profile';
import type { RelayProcess } from './relay-process';

export const IMAGE_REPOSITORY = 'relaycheck-node';

export interface NodeImage {
  /** repository:tag, e.g. relaycheck-node:20.20.2-1a2b3c4d5e6f */
  readonly name: string;
  /** False when an image of that tag was already there. */
  readonly built: boolean;
  readonly ms: number;
  /** The files taken from this machine (node and its libraries). */
  readonly files: readonly string[];
}

/** The shared libraries (and the dynamic loader) `ldd` lists for `binary`. */
export function librariesOf(binary: string): string[] {
  const r = spawnSync('ldd', [binary], { encoding: 'utf8' });
  if (r.error !== undefined) {
    throw new BenchError(
      'BENCH_E_ENGINE',
      `ldd could not be run for ${binary}: ${r.error.message}`,
    );
  }
  if (r.status !== 0) {
    // A static binary: nothing to add.
    if (/not a dynamic executable|statically linked/.test(`${r.stdout}${r.stderr}`)) return [];
    throw new BenchError('BENCH_E_ENGINE', `ldd ${binary} failed: ${r.stderr.trim()}`);
  }
  return parseLdd(r.stdout, binary);
}

/** The library paths of ldd's output (the vDSO has none); a library not found is an error. */
export function parseLdd(text: string, binary = 'the binary'): string[] {
  const paths: string[] = [];
  for (const line of text.split('\n')) {
    if (/=>\s*not found/.test(line)) {
      throw new BenchError(
        'BENCH_E_ENGINE',
        `${binary} needs a library ldd cannot find: ${line.trim()}`,
      );
    }
    const m = /=>\s*(\/\S+)\s+\(0x/.exec(line) ?? /^\s*(\/\S+)\s+\(0x/.exec(line);
    if (m?.[1] !== undefined) paths.push(m[1]);
  }
  return [...new Set(paths)];
}

/** The image's /etc/passwd and /etc/group: root, and this process's user when it is not root. */
function accounts(): { passwd: string; group: string } {
  const uid = process.getuid?.() ?? 0;
  const gid = process.getgid?.() ?? 0;
  let passwd = 'root:x:0:0:root:/tmp:/usr/sbin/nologin\n';
  let group = 'root:x:0:\n';
  if (uid !== 0) passwd += `relaycheck:x:${String(uid)}:${String(gid)}::/tmp:/usr/sbin/nologin\n`;
  if (gid !== 0) group += `relaycheck:x:${String(gid)}:\n`;
  return { passwd, group };
}

/**
 * The node image for this machine's node: built (imported from a root filesystem tarball
 * streamed by tar) unless the tag, a hash of the files' list, sizes and times, is there.
 */
export async function ensureNodeImage(engine: DockerEngine): Promise<NodeImage> {
  const began = performance.now();
  const node = process.execPath;
  const files = [node, ...librariesOf(node)];
  const { passwd, group } = accounts();
  const hash = createHash('sha256');
  for (const f of files) {
    const st = statSync(f); // follows symbolic links: the file the image will hold
    hash.update(`${f}\0${String(st.size)}\0${String(st.mtimeMs)}\n`);
  }
  hash.update(passwd).update(group);
  const tag = `${process.versions.node}-${hash.digest('hex').slice(0, 12)}`;
  const name = `${IMAGE_REPOSITORY}:${tag}`;
  const there = await engine.request(`/images/${encodeURIComponent(name)}/json`);
  if (there.status === 200) {
    return { name, built: false, ms: performance.now() - began, files };
  }
  const stage = mkdtempSync(join(tmpdir(), 'relaycheck-rootfs-'));
  try {
    mkdirSync(join(stage, 'etc'));
    mkdirSync(join(stage, 'tmp'));
    chmodSync(join(stage, 'tmp'), 0o1777);
    writeFileSync(join(stage, 'etc', 'passwd'), passwd);
    writeFileSync(join(stage, 'etc', 'group'), group);
    // -h stores the files links point to (libstdc++.so.6 → .so.6.0.30, /lib64's loader), under
    // the paths ldd gave; the owner is root whoever builds it.
    const tar = spawn(
      'tar',
      [
        '-c',
        '-h',
        '-f',
        '-',
        '--owner=0',
        '--group=0',
        '--numeric-owner',
        '-C',
        '/',
        ...files.map((f) => f.replace(/^\/+/, '')),
        '-C',
        stage,
        'etc',
        'tmp',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let tarErr = '';
    tar.stderr.on('data', (d: Buffer) => {
      tarErr += d.toString('utf8');
    });
    const tarDone = new Promise<number | null>((resolve) => tar.once('close', resolve));
    const query = new URLSearchParams({ fromSrc: '-', repo: IMAGE_REPOSITORY, tag });
    const res = await engine.request(`/images/create?${query.toString()}`, {
      method: 'POST',
      body: tar.stdout,
      headers: { 'content-type': 'application/x-tar' },
      timeoutMs: 300_000,
    });
    const tarStatus = await tarDone;
    const said = res.body.toString('utf8');
    const error = /"error(?:Detail)?"\s*:\s*(?:\{\s*"message"\s*:\s*)?"([^"]*)"/.exec(said)?.[1];
    if (tarStatus !== 0 || res.status !== 200 || error !== undefined) {
      throw new BenchError(
        'BENCH_E_ENGINE',
        `the node image could not be built: ${tarStatus !== 0 ? `tar: ${tarErr.trim()}` : (error ?? `HTTP ${String(res.status)} ${said.slice(0, 200)}`)}`,
      );
    }
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
  return { name, built: true, ms: performance.now() - began, files };
}

export interface ContainerRelayOptions {
  readonly engine: DockerEngine;
  readonly limits: Limits;
  /** node's arguments, e.g. [BIN, 'relay', '--config', bench.relayConfigPath]. */
  readonly args: readonly string[];
  /** The whole environment of the relay inside the container (e.g. bench.relayEnv). */
  readonly env: NodeJS.ProcessEnv;
  /** Folders mounted read-write at their own paths: the bench world's (config, CA, shares). */
  readonly binds: readonly string[];
  /** Folders mounted read-only at their own paths; default the repository (the relay's code). */
  readonly readOnlyBinds?: readonly string[];
  /** Where the relay's stderr goes; default this process's stderr. */
  readonly stderr?: NodeJS.WritableStream;
}

export interface ContainerTimings {
  /** Finding or building the image, ms. */
  readonly imageMs: number;
  readonly imageBuilt: boolean;
  /** Creating and starting the container (testcontainers' start), ms. */
  readonly startMs: number;
}

/** The container's cgroup folders on this host (from its init process's /proc/<pid>/cgroup). */
export interface ContainerCgroups {
  readonly version: 'v1' | 'v2';
  /** v1: the cpu, memory and cpuacct folders; v2: the one folder. */
  readonly dirs: readonly string[];
}

export interface ContainerRelay extends RelayProcess {
  readonly backend: 'container';
  readonly containerId: string;
  readonly image: string;
  readonly cgroups: ContainerCgroups | undefined;
  readonly timings: ContainerTimings;
}

/**
 * testcontainers keeps the engine client it made first for the whole process (a module-level
 * cache of its own): the engine it was pointed at, so that a second engine is refused clearly.
 */
let testcontainersHost: string | undefined;

/**
 * Loads testcontainers (lazily: other commands do not pay for it) pointed at `engine`: no reaper
 * (its image cannot be pulled: there is no registry), the host as 127.0.0.1 (this machine has
 * /.dockerenv, which would make it look for a gateway with an alpine image), DOCKER_HOST the
 * engine's while its client is made, then put back as it was.
 */
async function testcontainersFor(engine: DockerEngine): Promise<typeof import('testcontainers')> {
  if (testcontainersHost !== undefined && testcontainersHost !== engine.host) {
    throw new BenchError(
      'BENCH_E_ENGINE',
      `testcontainers already uses the engine at ${testcontainersHost} in this process; it cannot be pointed at ${engine.host}`,
    );
  }
  process.env.TESTCONTAINERS_RYUK_DISABLED = 'true';
  const saved = {
    DOCKER_HOST: process.env.DOCKER_HOST,
    TESTCONTAINERS_HOST_OVERRIDE: process.env.TESTCONTAINERS_HOST_OVERRIDE,
  };
  process.env.DOCKER_HOST = engine.host;
  process.env.TESTCONTAINERS_HOST_OVERRIDE = '127.0.0.1';
  try {
    const tc = await import('testcontainers');
    await tc.getContainerRuntimeClient();
    testcontainersHost = engine.host;
    return tc;
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) Reflect.deleteProperty(process.env, k);
      else process.env[k] = v;
    }
  }
}

/** Ready as soon as the container started: the caller waits for the relay's /healthz itself. */
const STARTED: WaitStrategy = {
  waitUntilReady: () => Promise.resolve(),
  withStartupTimeout() {
    return STARTED;
  },
  isStartupTimeoutSet: () => false,
  getStartupTimeout: () => 0,
};

/** The cores of a cpu list such as "1" or "0-3,6". */
export function coresIn(cpuList: string): number {
  let n = 0;
  for (const part of cpuList.split(',')) {
    const [a, b] = part.split('-').map(Number);
    if (a === undefined || !Number.isInteger(a)) continue;
    n += b === undefined ? 1 : Number.isInteger(b) && b >= a ? b - a + 1 : 0;
  }
  return n;
}

/** What testcontainers' GenericContainer cannot set: swap and the cpuset (HostConfig fields). */
interface HostConfigExtras {
  MemorySwap?: number;
  CpusetCpus?: string;
}

function relayContainer(
  tc: typeof import('testcontainers'),
  image: string,
  extras: HostConfigExtras,
): GenericContainer {
  class RelayContainer extends tc.GenericContainer {
    constructor() {
      super(image);
      Object.assign(this.hostConfig, extras);
    }
  }
  return new RelayContainer();
}

/** The cgroup mount point of each v1 controller and of v2, from this process's mountinfo. */
function cgroupMounts(): { v1: Map<string, { root: string; at: string }>; v2: string | undefined } {
  const v1 = new Map<string, { root: string; at: string }>();
  let v2: string | undefined;
  let text: string;
  try {
    text = readFileSync('/proc/self/mountinfo', 'utf8');
  } catch {
    return { v1, v2 };
  }
  for (const line of text.split('\n')) {
    const [left = '', right = ''] = line.split(' - ');
    const fields = left.split(' ');
    const [fstype = '', , superOptions = ''] = right.split(' ');
    const root = fields[3] ?? '/';
    const at = fields[4] ?? '';
    if (fstype === 'cgroup2') v2 ??= at;
    if (fstype !== 'cgroup') continue;
    for (const option of superOptions.split(',')) {
      if (['cpu', 'cpuacct', 'memory'].includes(option)) v1.set(option, { root, at });
    }
  }
  return { v1, v2 };
}

/** The cgroup folders of process `pid` on this host, when it is in a cgroup of `containerId`. */
export function containerCgroups(pid: number, containerId: string): ContainerCgroups | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${String(pid)}/cgroup`, 'utf8');
  } catch {
    return undefined;
  }
  if (!text.includes(containerId)) return undefined; // not this host's process (a remote engine)
  const { v1, v2 } = cgroupMounts();
  const paths = new Map<string, string>();
  for (const line of text.trim().split('\n')) {
    const [, controllers = '', path = ''] = /^(\d+):([^:]*):(.*)$/.exec(line)?.slice(1) ?? [];
    for (const c of controllers === '' ? [''] : controllers.split(',')) paths.set(c, path);
  }
  const dirOf = (controller: string): string | undefined => {
    const mount = v1.get(controller);
    const path = paths.get(controller);
    if (mount === undefined || !path?.startsWith(mount.root)) return undefined;
    return join(mount.at, path.slice(mount.root === '/' ? 0 : mount.root.length));
  };
  const cpu = dirOf('cpu');
  const memory = dirOf('memory');
  if (cpu !== undefined && memory !== undefined) {
    const cpuacct = dirOf('cpuacct');
    return { version: 'v1', dirs: cpuacct === undefined ? [cpu, memory] : [cpu, memory, cpuacct] };
  }
  const unified = paths.get('');
  if (v2 !== undefined && unified !== undefined && unified !== '/') {
    return { version: 'v2', dirs: [join(v2, unified)] };
  }
  return undefined;
}

/** Splits the engine's multiplexed log stream (8-byte frame headers) and writes the payloads. */
function demux(res: IncomingMessage, out: (chunk: Buffer) => void): void {
  let pending = Buffer.alloc(0);
  res.on('data', (chunk: Buffer) => {
    pending = Buffer.concat([pending, chunk]);
    while (pending.length >= 8) {
      const size = pending.readUInt32BE(4);
      if (pending.length < 8 + size) break;
      out(pending.subarray(8, 8 + size));
      pending = pending.subarray(8 + size);
    }
  });
}

interface Inspect {
  readonly State?: {
    readonly Running?: boolean;
    readonly Pid?: number;
    readonly ExitCode?: number;
    readonly OOMKilled?: boolean;
  };
}

async function inspectOf(engine: DockerEngine, id: string): Promise<Inspect | undefined> {
  const res = await engine.request(`/containers/${id}/json`);
  return res.status === 200 ? (JSON.parse(res.body.toString('utf8')) as Inspect) : undefined;
}

/** Removes the container whatever its state; a container already gone is fine. */
async function removeContainer(engine: DockerEngine, idOrName: string): Promise<void> {
  const res = await engine.request(`/containers/${encodeURIComponent(idOrName)}?force=1&v=1`, {
    method: 'DELETE',
  });
  if (res.status !== 204 && res.status !== 404) {
    throw new BenchError(
      'BENCH_E_ENGINE',
      `the container ${idOrName} could not be removed: HTTP ${String(res.status)} ${res.body.toString('utf8').slice(0, 200)}`,
    );
  }
}

/**
 * Starts `node ...args` in a container within `limits` and resolves when the container has
 * started (not when the relay is healthy: bench.waitHealthy(() => relay.alive()) is for that).
 */
export async function startContainerRelay(options: ContainerRelayOptions): Promise<ContainerRelay> {
  const { engine, limits } = options;
  const image = await ensureNodeImage(engine);
  const tc = await testcontainersFor(engine);
  const notes: string[] = [
    ...limits.notes,
    `container: ${engine.notes.join('; ')}; Docker ${engine.serverVersion}, ${engine.storageDriver} storage, ` +
      `${engine.cgroupDriver} cgroup driver, cgroup v${engine.cgroupVersion}`,
    `image ${image.name} (${image.built ? 'built' : 'reused'}): this machine's node and the ${String(image.files.length - 1)} libraries ldd lists, no registry; the repository mounted read-only, the bench world's folder read-write, at their own paths`,
    'host network (the relay reaches the simulator on loopback and serves /healthz there)',
  ];
  const cpus =
    limits.cpuShare ?? (limits.cpuList === undefined ? undefined : coresIn(limits.cpuList));
  const extras: HostConfigExtras = {};
  if (limits.memoryBytes !== undefined) extras.MemorySwap = limits.memoryBytes;
  if (limits.cpuList !== undefined) extras.CpusetCpus = limits.cpuList;
  if (cpus !== undefined) {
    notes.push(
      `--cpus ${String(cpus)}: the engine's CFS quota of ${String(Math.floor(cpus * 100_000))} µs per 100 ms period` +
        (limits.cpuList === undefined
          ? ', shared over all cores (no cpuset)'
          : `, on core ${limits.cpuList} (a cpuset set through HostConfig.CpusetCpus: testcontainers 12 has no call for it)`) +
        (limits.periodUs === 100_000
          ? ''
          : ` (the profile's period of ${String(limits.periodUs)} µs is not used)`),
    );
  }
  if (limits.memoryBytes !== undefined) {
    notes.push(
      `--memory ${String(limits.memoryBytes / 1024 / 1024)} MiB with --memory-swap equal (no swap); an OOM kill shows as the cgroup's oom_kill and the container's OOMKilled`,
    );
  }
  const uid = process.getuid?.() ?? 0;
  const gid = process.getgid?.() ?? 0;
  const name = `relaycheck-relay-${String(process.pid)}-${randomBytes(4).toString('hex')}`;
  const environment: Record<string, string> = {};
  for (const [k, v] of Object.entries(options.env)) if (v !== undefined) environment[k] = v;
  const readOnly = options.readOnlyBinds ?? [REPO_ROOT];
  const container = relayContainer(tc, image.name, extras)
    .withName(name)
    .withLabels({ 'org.relaycheck.role': 'bench-relay' })
    .withEntrypoint([process.execPath])
    .withCommand([...options.args])
    .withEnvironment(environment)
    .withUser(`${String(uid)}:${String(gid)}`)
    .withNetworkMode('host')
    .withBindMounts([
      ...readOnly.map((p) => ({ source: p, target: p, mode: 'ro' as const })),
      ...options.binds.map((p) => ({ source: p, target: p, mode: 'rw' as const })),
    ])
    .withResourcesQuota({
      ...(limits.memoryBytes === undefined ? {} : { memory: limits.memoryBytes / 1024 ** 3 }),
      ...(cpus === undefined ? {} : { cpu: cpus }),
    })
    .withWaitStrategy(STARTED);
  const began = performance.now();
  let started: StartedTestContainer;
  try {
    started = await container.start();
  } catch (e) {
    await removeContainer(engine, name).catch(() => undefined);
    throw new BenchError(
      'BENCH_E_RELAY',
      `the relay's container did not start: ${e instanceof Error ? e.message : String(e)}`,
    );
  }
  const startMs = performance.now() - began;
  const id = started.getId();
  let running = true;
  let oomKilled = false;
  let stderrTail = '';
  const streams: IncomingMessage[] = [];
  try {
    const state = (await inspectOf(engine, id))?.State;
    const pid = state?.Running === true ? state.Pid : undefined;
    const cgroups = pid === undefined ? undefined : containerCgroups(pid, id);
    if (pid === undefined) running = false;
    if (cgroups === undefined) {
      notes.push('the container’s cgroup is not on this host (or it ended at once): no readings');
    }
    // The relay's stderr, as it comes; the end is kept for the notes should it die.
    const out = options.stderr ?? process.stderr;
    const logs = await engine.stream(`/containers/${id}/logs?follow=1&stdout=0&stderr=1`, {
      timeoutMs: 0,
    });
    logs.socket.unref();
    streams.push(logs);
    demux(logs, (chunk) => {
      out.write(chunk);
      stderrTail = (stderrTail + chunk.toString('utf8')).slice(-2000);
    });
    // alive(): the engine answers this request when the container stops.
    const wait = await engine.stream(`/containers/${id}/wait?condition=not-running`, {
      method: 'POST',
      timeoutMs: 0,
    });
    wait.socket.unref();
    streams.push(wait);
    let stopRequested = false;
    const onEnd = (): void => {
      if (!running) return;
      running = false;
      if (stopRequested) return; // stopped by us: no death to report
      void inspectOf(engine, id)
        .then((i) => {
          oomKilled = i?.State?.OOMKilled === true;
          notes.push(
            `the relay's container exited with code ${String(i?.State?.ExitCode ?? '?')}` +
              (oomKilled ? ', killed at its memory limit (OOMKilled)' : '') +
              (stderrTail.trim() === ''
                ? ''
                : `; its stderr ended: ${stderrTail.trim().slice(-400)}`),
          );
        })
        .catch(() => undefined);
    };
    wait.on('end', onEnd);
    wait.on('close', onEnd);
    wait.on('error', onEnd);
    wait.resume();
    let last: CgroupReadings =
      cgroups === undefined
        ? {
            memoryPeakBytes: undefined,
            cpuNs: undefined,
            oomKills: undefined,
            throttledPeriods: undefined,
          }
        : readingsOf(cgroups.version, cgroups.dirs);
    const readings = (): CgroupReadings => {
      if (cgroups === undefined) return last;
      // The cgroup goes with the container: the last values read are kept.
      const now = readingsOf(cgroups.version, cgroups.dirs);
      last = {
        memoryPeakBytes: now.memoryPeakBytes ?? last.memoryPeakBytes,
        cpuNs: now.cpuNs ?? last.cpuNs,
        oomKills: now.oomKills ?? last.oomKills,
        throttledPeriods: now.throttledPeriods ?? last.throttledPeriods,
      };
      if (oomKilled && (last.oomKills ?? 0) === 0) last = { ...last, oomKills: 1 };
      return last;
    };
    readings();
    let stopping: Promise<void> | undefined;
    const stop = async (): Promise<void> => {
      stopRequested = true;
      readings();
      try {
        await started.stop({ timeout: 10_000, remove: true });
      } finally {
        for (const s of streams) s.destroy();
        running = false;
        await removeContainer(engine, id);
      }
    };
    return {
      backend: 'container',
      notes,
      pid,
      containerId: id,
      image: image.name,
      cgroups,
      timings: { imageMs: image.ms, imageBuilt: image.built, startMs },
      alive: () => running,
      readings,
      stop: () => (stopping ??= stop()),
    };
  } catch (e) {
    for (const s of streams) s.destroy();
    await removeContainer(engine, id).catch(() => undefined);
    throw e;
  }
}
