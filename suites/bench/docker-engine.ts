// A Docker engine for the container backend of the relay benchmark (container.ts). In: the
// environment (DOCKER_HOST), whether we are root and whether `dockerd` is installed. Out: an
// engine that answers GET /_ping — the one DOCKER_HOST names, else the system's socket, else a
// private dockerd of our own started in a temporary folder with no bridge, no iptables/nft rules,
// no IP forwarding and its cgroups under a parent of its own — with a small HTTP client for its
// API and stop(), which stops only a dockerd we started (by its PID: SIGTERM, SIGKILL after a
// grace), unmounts what it left under its folder and removes the folder, its cgroups and the
// empty /run/docker it made. Or, when none can be had, the reason in words a user can act on.
// A dockerd that is there but fails to start is a BenchError (BENCH_E_ENGINE).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  closeSync,
  existsSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readdirSync,
  rmSync,
  rmdirSync,
  writeFileSync,
} from 'node:fs';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Readable } from 'node:stream';
import { removeGroups } from './confine';
import { BenchError } from './errors';

/** The system engine's socket, tried when DOCKER_HOST is not set or does not answer. */
const SYSTEM_SOCKET = '/var/run/docker.sock';
/** Bound on a private dockerd's start (it takes well under a second here). */
const READY_MS = 30_000;
/** Bound on its stop after SIGTERM, before SIGKILL (dockerd gives containers 15 s itself). */
const STOP_GRACE_MS = 20_000;
const CGROUP_ROOT = '/sys/fs/cgroup';

/**
 * The flags that keep a private dockerd off this machine's network configuration: no docker0
 * bridge, no iptables/ip6tables (nft) tables or FORWARD policy, no change to
 * net.ipv4.ip_forward. Containers then have the host's network (the relay needs its loopback)
 * or none. .ci/run passes the same flags.
 */
export const PRIVATE_ENGINE_FLAGS: readonly string[] = Object.freeze([
  '--bridge=none',
  '--iptables=false',
  '--ip6tables=false',
  '--ip-forward=false',
]);

export interface EngineResponse {
  readonly status: number;
  readonly body: Buffer;
}

export interface EngineRequestOptions {
  readonly method?: string;
  readonly body?: Buffer | Readable;
  readonly headers?: Readonly<Record<string, string>>;
  /** Bound on the whole request; default 30 s. */
  readonly timeoutMs?: number;
}

export interface DockerEngine {
  /** Where it listens, in DOCKER_HOST's form (unix:///path or tcp://host:port). */
  readonly host: string;
  /** True for a private dockerd this process started (stop() stops it). */
  readonly ours: boolean;
  /** The private dockerd's PID; undefined for an engine found running. */
  readonly pid: number | undefined;
  /** The private dockerd's folder (data, exec root, socket, log); undefined otherwise. */
  readonly dir: string | undefined;
  /** The cgroup parent of a private dockerd's containers (e.g. /relaycheck-docker-…). */
  readonly cgroupParent: string | undefined;
  readonly serverVersion: string;
  readonly storageDriver: string;
  readonly cgroupDriver: string;
  readonly cgroupVersion: string;
  /** How long a private dockerd took to answer /_ping, ms. */
  readonly startMs: number | undefined;
  /** Which engine and why (for a run's notes). */
  readonly notes: readonly string[];
  /** One request to the engine's API, the whole answer read. */
  request(path: string, options?: EngineRequestOptions): Promise<EngineResponse>;
  /** One request whose answer is streamed (logs, wait); the caller reads or destroys it. */
  stream(path: string, options?: EngineRequestOptions): Promise<IncomingMessage>;
  /** Stops a private dockerd and removes what it made; for an engine found running, nothing. */
  stop(): Promise<void>;
}

export type EngineLookup =
  | { readonly engine: DockerEngine; readonly reason: string }
  | { readonly engine: undefined; readonly reason: string };

export interface EngineOptions {
  /** Where DOCKER_HOST is read; default process.env. */
  readonly env?: NodeJS.ProcessEnv;
  /** Starting a private dockerd is allowed (default true). */
  readonly start?: boolean;
  /** Also try /var/run/docker.sock (default true). */
  readonly systemSocket?: boolean;
  /** Bound on a private dockerd's start, ms. */
  readonly readyMs?: number;
  /** The folder the private engine's folder is made in; default os.tmpdir(). */
  readonly tmp?: string;
}

interface Endpoint {
  readonly socketPath?: string;
  readonly hostname?: string;
  readonly port?: number;
}

/** DOCKER_HOST's forms this client speaks: unix:///path, tcp://host:port, http://host:port. */
export function parseDockerHost(host: string): Endpoint | undefined {
  if (host.startsWith('unix://')) {
    const path = host.slice('unix://'.length);
    return path.startsWith('/') ? { socketPath: path } : undefined;
  }
  const m = /^(?:tcp|http):\/\/([^:/]+|\[[^\]]+\]):(\d{1,5})\/?$/.exec(host);
  if (m?.[1] === undefined || m[2] === undefined) return undefined;
  return { hostname: m[1].replace(/^\[|\]$/g, ''), port: Number(m[2]) };
}

function send(
  endpoint: Endpoint,
  path: string,
  options: EngineRequestOptions,
): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { ...options.headers };
    if (Buffer.isBuffer(options.body)) headers['content-length'] = String(options.body.length);
    const req = httpRequest(
      {
        ...(endpoint.socketPath === undefined
          ? { host: endpoint.hostname, port: endpoint.port }
          : { socketPath: endpoint.socketPath }),
        path,
        method: options.method ?? 'GET',
        headers,
        timeout: options.timeoutMs ?? 30_000,
      },
      resolve,
    );
    req.on('timeout', () => {
      req.destroy(
        new Error(`no answer to ${path} within ${String(options.timeoutMs ?? 30_000)} ms`),
      );
    });
    req.on('error', reject);
    const body = options.body;
    if (body === undefined) req.end();
    else if (Buffer.isBuffer(body)) req.end(body);
    else {
      body.on('error', (e) => {
        req.destroy(e);
      });
      body.pipe(req);
    }
  });
}

async function readAll(res: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of res) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function clientFor(endpoint: Endpoint): Pick<DockerEngine, 'request' | 'stream'> {
  return {
    request: async (path, options = {}) => {
      const res = await send(endpoint, path, options);
      return { status: res.statusCode ?? 0, body: await readAll(res) };
    },
    stream: (path, options = {}) => send(endpoint, path, options),
  };
}

/** Answers when the engine at `host` says OK to /_ping; else why not. */
async function ping(host: string, timeoutMs = 3_000): Promise<string | undefined> {
  const endpoint = parseDockerHost(host);
  if (endpoint === undefined) {
    return 'is not unix:///path or tcp://host:port (TLS engines are not supported here)';
  }
  try {
    const res = await clientFor(endpoint).request('/_ping', { timeoutMs });
    return res.status === 200 ? undefined : `answers /_ping with HTTP ${String(res.status)}`;
  } catch (e) {
    return `does not answer (${(e as Error).message})`;
  }
}

interface EngineInfo {
  readonly ServerVersion?: string;
  readonly Driver?: string;
  readonly CgroupDriver?: string;
  readonly CgroupVersion?: string;
}

async function infoOf(host: string): Promise<EngineInfo> {
  const endpoint = parseDockerHost(host);
  if (endpoint === undefined) return {};
  const res = await clientFor(endpoint).request('/info');
  return res.status === 200 ? (JSON.parse(res.body.toString('utf8')) as EngineInfo) : {};
}

async function engineAt(
  host: string,
  fields: Pick<DockerEngine, 'ours' | 'pid' | 'dir' | 'cgroupParent' | 'startMs' | 'notes'>,
  stop: () => Promise<void>,
): Promise<DockerEngine> {
  const endpoint = parseDockerHost(host);
  if (endpoint === undefined) throw new Error(`unusable DOCKER_HOST ${host}`);
  const info = await infoOf(host);
  return {
    host,
    ...fields,
    serverVersion: info.ServerVersion ?? 'unknown',
    storageDriver: info.Driver ?? 'unknown',
    cgroupDriver: info.CgroupDriver ?? 'unknown',
    cgroupVersion: info.CgroupVersion ?? 'unknown',
    ...clientFor(endpoint),
    stop,
  };
}

/** dockerd's path: on PATH, or in root's sbin folders (a user's PATH may leave them out). */
export function findDockerd(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const dirs = [...(env.PATH ?? '').split(delimiter), '/usr/sbin', '/usr/local/sbin', '/sbin'];
  for (const dir of dirs) {
    if (dir === '') continue;
    const candidate = join(dir, 'dockerd');
    if (existsSync(candidate)) return candidate;
  }
  return undefined;
}

/**
 * Finds an engine or starts a private one. DOCKER_HOST first (when it answers), then the system
 * socket, then a dockerd of our own (root only). `reason` says which, or why there is none.
 */
export async function findOrStartEngine(options: EngineOptions = {}): Promise<EngineLookup> {
  const env = options.env ?? process.env;
  const missed: string[] = [];
  const notFound = { ours: false, pid: undefined, dir: undefined, cgroupParent: undefined };
  const dockerHost = env.DOCKER_HOST;
  if (dockerHost !== undefined && dockerHost !== '') {
    const why = await ping(dockerHost);
    if (why === undefined) {
      const reason = `the engine of DOCKER_HOST=${dockerHost}`;
      const engine = await engineAt(
        dockerHost,
        { ...notFound, startMs: undefined, notes: [reason] },
        () => Promise.resolve(),
      );
      return { engine, reason };
    }
    missed.push(`DOCKER_HOST=${dockerHost} ${why}`);
  }
  if (options.systemSocket !== false && existsSync(SYSTEM_SOCKET)) {
    const host = `unix://${SYSTEM_SOCKET}`;
    const why = await ping(host);
    if (why === undefined) {
      const reason = `the system engine at ${SYSTEM_SOCKET}`;
      const engine = await engineAt(
        host,
        { ...notFound, startMs: undefined, notes: [reason] },
        () => Promise.resolve(),
      );
      return { engine, reason };
    }
    missed.push(`${SYSTEM_SOCKET} ${why}`);
  }
  const unavailable = (why: string): EngineLookup => ({
    engine: undefined,
    reason: `no Docker engine: ${[...missed, why].join('; ')}`,
  });
  if (options.start === false) return unavailable('starting one was not allowed');
  if (process.platform !== 'linux') {
    return unavailable(`dockerd runs on Linux only (this is ${process.platform})`);
  }
  const dockerd = findDockerd(env);
  if (dockerd === undefined) {
    return unavailable('dockerd is not installed (apt-get install docker.io)');
  }
  if (process.getuid?.() !== 0) {
    return unavailable(
      'starting dockerd needs root (run as root, or set DOCKER_HOST to an engine you may use)',
    );
  }
  const engine = await startPrivateEngine(dockerd, options);
  return {
    engine,
    reason: `a private dockerd (pid ${String(engine.pid)}) in ${String(engine.dir)}`,
  };
}

/** The storage drivers tried, in order: overlay2 where the kernel and folder allow it, else vfs. */
const STORAGE_DRIVERS = ['overlay2', 'vfs'] as const;

/** Starts dockerd in a folder of its own; throws BenchError BENCH_E_ENGINE when it cannot. */
export async function startPrivateEngine(
  dockerd: string,
  options: EngineOptions = {},
): Promise<DockerEngine> {
  const dir = mkdtempSync(join(options.tmp ?? tmpdir(), 'relaycheck-docker-'));
  const socket = join(dir, 'docker.sock');
  if (Buffer.byteLength(socket) > 100) {
    rmSync(dir, { recursive: true, force: true });
    throw new BenchError('BENCH_E_ENGINE', `the socket path ${socket} is too long for a socket`);
  }
  const host = `unix://${socket}`;
  const cgroupParent = `/relaycheck-docker-${String(process.pid)}-${randomBytes(3).toString('hex')}`;
  // dockerd 20.10 writes a trust key to /etc/docker/key.json unless its config names another
  // path; a config file of our own also keeps /etc/docker/daemon.json out of it.
  const config = join(dir, 'daemon.json');
  writeFileSync(config, JSON.stringify({ 'deprecated-key-path': join(dir, 'key.json') }));
  const runDockerExisted = existsSync('/run/docker');
  const failures: string[] = [];
  const began = performance.now();
  for (const driver of STORAGE_DRIVERS) {
    const log = join(dir, `dockerd-${driver}.log`);
    const fd = openSync(log, 'w');
    let child: ChildProcess;
    try {
      child = spawn(
        dockerd,
        [
          '--config-file',
          config,
          '--data-root',
          join(dir, 'data'),
          '--exec-root',
          join(dir, 'exec'),
          '-H',
          host,
          '--pidfile',
          join(dir, 'docker.pid'),
          ...PRIVATE_ENGINE_FLAGS,
          `--cgroup-parent=${cgroupParent}`,
          `--storage-driver=${driver}`,
        ],
        { stdio: ['ignore', fd, fd] },
      );
    } finally {
      closeSync(fd);
    }
    const pid = child.pid;
    if (pid === undefined) {
      await new Promise((resolve) => child.once('error', resolve));
      failures.push(`${driver}: dockerd could not be run`);
      continue;
    }
    // Should this process end without stop() (a crash), the daemon does not outlive it.
    const onExit = (): void => {
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        // already gone
      }
    };
    process.once('exit', onExit);
    const up = await waitUp(host, child, options.readyMs ?? READY_MS);
    if (up === 'up') {
      const startMs = performance.now() - began;
      const stop = stopper({ child, dir, removeDir: true, cgroupParent, runDockerExisted, onExit });
      try {
        return await engineAt(
          host,
          {
            ours: true,
            pid,
            dir,
            cgroupParent,
            startMs,
            notes: [
              `a private dockerd (${driver}) started for this run in ${(startMs / 1000).toFixed(2)} s, ` +
                `with ${PRIVATE_ENGINE_FLAGS.join(' ')}`,
            ],
          },
          stop,
        );
      } catch (e) {
        await stop();
        throw e;
      }
    }
    const tail = lastLines(log, 3);
    await stopper({ child, dir, removeDir: false, cgroupParent, runDockerExisted, onExit })();
    rmSync(join(dir, 'data'), { recursive: true, force: true });
    rmSync(join(dir, 'exec'), { recursive: true, force: true });
    failures.push(`${driver}: ${up}${tail === '' ? '' : ` (${tail})`}`);
    if (up !== 'exited') break; // a time-out is not the storage driver's fault
  }
  unmountUnder(dir);
  rmSync(dir, { recursive: true, force: true });
  removeRunDocker(runDockerExisted);
  throw new BenchError('BENCH_E_ENGINE', `dockerd did not start: ${failures.join('; ')}`, {
    path: dockerd,
  });
}

/** Polls /_ping until it answers ('up'), the child exits ('exited'), or the deadline (why). */
async function waitUp(host: string, child: ChildProcess, readyMs: number): Promise<string> {
  const deadline = performance.now() + readyMs;
  let exited = child.exitCode !== null || child.signalCode !== null;
  const onExit = (): void => {
    exited = true;
  };
  child.once('exit', onExit);
  try {
    while (performance.now() < deadline) {
      if (exited) return 'exited';
      if ((await ping(host, 1_000)) === undefined) return 'up';
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return exited ? 'exited' : `no answer to /_ping within ${String(readyMs)} ms`;
  } finally {
    child.off('exit', onExit);
  }
}

function lastLines(file: string, n: number): string {
  try {
    return readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .slice(-n)
      .map((l) => l.replace(/^time="[^"]*"\s*/, ''))
      .join(' | ')
      .slice(0, 600);
  } catch {
    return '';
  }
}

function exitedOf(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      child.off('exit', onExit);
      resolve(false);
    }, ms);
    const onExit = (): void => {
      clearTimeout(timer);
      resolve(true);
    };
    child.once('exit', onExit);
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Processes whose command line names `dir`: the containerd and shims a private dockerd started
 * (they outlive a dockerd killed with SIGKILL). Found by our folder's unique path, killed by PID.
 */
function processesNaming(dir: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const cmd = readFileSync(join('/proc', entry, 'cmdline'), 'utf8');
      if (cmd.includes(`${dir}/`)) pids.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

/** Mount points under `dir` (deepest first), from this process's mountinfo. */
function mountsUnder(dir: string): string[] {
  let text: string;
  try {
    text = readFileSync('/proc/self/mountinfo', 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .map((line) => line.split(' ')[4] ?? '')
    .map((p) => p.replace(/\\(\d{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8))))
    .filter((p) => p.startsWith(`${dir}/`))
    .sort((a, b) => b.length - a.length);
}

function unmountUnder(dir: string): void {
  for (const m of mountsUnder(dir)) spawnSync('umount', ['-l', m], { stdio: 'ignore' });
}

/** /run/docker (and its plugins folder) is made by dockerd at a fixed path: removed when empty. */
function removeRunDocker(existed: boolean): void {
  if (existed) return;
  for (const d of ['/run/docker/plugins', '/run/docker']) {
    try {
      rmdirSync(d);
    } catch {
      // not there, or not empty (someone else's): left alone
    }
  }
}

/** The cgroup folders of `parent` under each mounted hierarchy, deepest first. */
function cgroupDirsOf(parent: string): string[] {
  const dirs: string[] = [];
  let hierarchies: string[];
  try {
    hierarchies = readdirSync(CGROUP_ROOT);
  } catch {
    return dirs;
  }
  const walk = (d: string): void => {
    dirs.push(d);
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(d, e.name));
    }
  };
  for (const h of [...hierarchies, '']) {
    const d = join(CGROUP_ROOT, h, parent);
    if (existsSync(d)) walk(d);
  }
  return [...new Set(dirs)].sort((a, b) => b.length - a.length);
}

/** Removes the cgroups under `parent`; the kernel may hold one a moment (EBUSY): retried. */
function removeCgroups(parent: string): Promise<void> {
  // removeGroups takes them in reverse: parents first in, so children go first.
  return removeGroups([...cgroupDirsOf(parent)].reverse());
}

function stopper(s: {
  readonly child: ChildProcess;
  readonly dir: string;
  /** Remove the folder too (false: another storage driver is to be tried in it). */
  readonly removeDir: boolean;
  readonly cgroupParent: string;
  readonly runDockerExisted: boolean;
  readonly onExit: () => void;
}): () => Promise<void> {
  let stopping: Promise<void> | undefined;
  const stop = async (): Promise<void> => {
    if (s.child.exitCode === null && s.child.signalCode === null) {
      s.child.kill('SIGTERM');
      if (!(await exitedOf(s.child, STOP_GRACE_MS))) {
        s.child.kill('SIGKILL');
        await exitedOf(s.child, STOP_GRACE_MS);
      }
    }
    process.off('exit', s.onExit);
    // containerd and shims outlive a dockerd that was killed: ours are found by our folder.
    for (const pid of processesNaming(s.dir)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone meanwhile
      }
    }
    for (let i = 0; i < 100 && processesNaming(s.dir).some(alive); i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    unmountUnder(s.dir);
    if (s.removeDir) rmSync(s.dir, { recursive: true, force: true });
    await removeCgroups(s.cgroupParent);
    removeRunDocker(s.runDockerExisted);
  };
  return () => (stopping ??= stop());
}
