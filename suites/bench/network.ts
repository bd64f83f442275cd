// `relaycheck bench network`: the network model's cost and the back office's speed. In: counts
// of 1 MiB transfers and 64-byte round trips, autocannon's seconds and connections. Out: one
// fault-free endpoint proxy against a direct loopback connection (download and upload MiB/s,
// round-trip p50/p99), and the council-tax retrieval service's requests/s for a ~2 KB XML
// answer, each beside its target. Every server runs in its own child process; the clients run
// here. A benchmark, never a test: nothing passes or fails on time.
import { spawn, type ChildProcess } from 'node:child_process';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import autocannon from 'autocannon';
import { z } from 'zod';
import { median } from './measure';

export interface NetworkBenchOptions {
  /** Measured 1 MiB transfers per path (direct, proxied) and direction, after 5 warm-up rounds. */
  readonly transfers: number;
  /** Measured 64-byte round trips per path, after 200 warm-up ones. */
  readonly pings: number;
  /** Seconds autocannon measures the back office, after a 1 s warm-up. */
  readonly seconds: number;
  /** autocannon's concurrent connections. */
  readonly connections: number;
}

export const NETWORK_BENCH_DEFAULTS: NetworkBenchOptions = Object.freeze({
  transfers: 100,
  pings: 5000,
  seconds: 5,
  connections: 10,
});

const optionsSchema = z.strictObject({
  transfers: z.int().min(1).max(10_000),
  pings: z.int().min(10).max(1_000_000),
  seconds: z.int().min(1).max(60),
  connections: z.int().min(1).max(1000),
});

export interface PathFigure {
  /** Median of the per-transfer rates, MiB/s: straight to the server. */
  readonly directMiBps: number;
  /** Through a bare `socket.pipe()` proxy in the network model's process (a reference). */
  readonly pipeMiBps: number;
  /** Through the network model's endpoint proxy. */
  readonly proxiedMiBps: number;
  /** proxied / direct: the figure with the target. */
  readonly ratio: number;
  /** pipe / direct: what any Node userspace proxy costs here. */
  readonly pipeRatio: number;
}

export interface LatencyFigure {
  readonly p50Us: number;
  readonly p99Us: number;
}

export interface NetworkBenchResult {
  readonly machine: string;
  readonly node: string;
  /** 1-minute load average before and after the run (the machine may be shared). */
  readonly loadBefore: number;
  readonly loadAfter: number;
  /** Which process runs what. */
  readonly processes: readonly string[];
  readonly proxy: {
    readonly transferBytes: number;
    readonly transfers: number;
    readonly download: PathFigure;
    readonly upload: PathFigure;
    readonly pingBytes: number;
    readonly pings: number;
    readonly direct: LatencyFigure;
    readonly pipe: LatencyFigure;
    readonly proxied: LatencyFigure;
    /** proxied p50 - direct p50: the figure with the target. */
    readonly addedP50Us: number;
    readonly pipeAddedP50Us: number;
    /** True when the time bound stopped a loop before its count (figures are from fewer samples). */
    readonly truncated: boolean;
  };
  readonly backOffice: {
    readonly url: string;
    readonly answerBytes: number;
    readonly connections: number;
    readonly seconds: number;
    readonly requestsPerSecond: number;
    readonly latencyP50Ms: number;
    readonly latencyP99Ms: number;
    readonly latencyMeanMs: number;
    readonly requests: number;
    readonly errors: number;
    readonly non2xx: number;
  };
}

const ROOT = join(__dirname, '..', '..');
const MiB = 1_048_576;
const TRANSFER_BYTES = MiB;
const PING_BYTES = 64;
const WARMUP_TRANSFERS = 5;
const WARMUP_PINGS = 200;
const PING_BLOCK = 100;
/** A single transfer, round trip or child start-up that takes longer than this fails the run. */
const OPERATION_TIMEOUT_MS = 15_000;
/** The socket part stops (and says so) after this long, whatever the counts. */
const SOCKET_PART_LIMIT_MS = 120_000;
/** The council tax answer size the retrieval figure aims at. */
const TARGET_ANSWER_BYTES = 2048;
const LOGICAL_HOST = 'bench.servicebus.windows.net';
const LOGICAL_ADDRESS = '51.140.146.50';

// ---------------------------------------------------------------------------------------
// Child processes

type Role = 'server' | 'net' | 'backoffice';

interface Ready {
  readonly pid: number;
  readonly port: number;
  /** The net child: the bare pipe proxy's port. */
  readonly pipePort?: number;
  readonly url?: string;
  readonly answerBytes?: number;
}

interface Child {
  readonly process: ChildProcess;
  readonly ready: Ready;
  stop(): Promise<void>;
}

/**
 * Starts this module in a child Node process in `role` (from sources through ts-node's
 * transpile-only loader, or compiled when this file is), and waits for its JSON ready line.
 * The child stops when its stdin closes, so it never outlives the benchmark.
 */
async function startChild(role: Role, argument: string): Promise<Child> {
  const loader = __filename.endsWith('.ts') ? ['-r', 'ts-node/register/transpile-only'] : [];
  const script = `require(${JSON.stringify(__filename)}).networkBenchChild(${JSON.stringify(role)}, ${JSON.stringify(argument)})`;
  const child = spawn(process.execPath, [...loader, '-e', script], {
    cwd: ROOT,
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const kill = (): void => {
    child.kill('SIGTERM');
  };
  process.once('exit', kill);
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => {
      process.off('exit', kill);
      resolve();
    });
  });
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.stdin.end();
      kill();
    }
    await exited;
  };
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  try {
    const ready = await withTimeout(
      new Promise<Ready>((resolve, reject) => {
        child.once('exit', (code) => {
          reject(
            new Error(`the ${role} child exited with code ${String(code)} before it was ready`),
          );
        });
        child.once('error', reject);
        lines.once('line', (line) => {
          resolve(JSON.parse(line) as Ready);
        });
      }),
      OPERATION_TIMEOUT_MS * 2,
      `the ${role} child was not ready`,
    );
    return { process: child, ready, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}

/** Runs in a child: starts the role's server, prints one ready line, stops when stdin closes. */
export function networkBenchChild(role: string, argument: string): void {
  const started =
    role === 'server'
      ? serveBytes(Number(argument))
      : role === 'net'
        ? serveProxy(Number(argument))
        : role === 'backoffice'
          ? serveBackOffice()
          : Promise.reject(new Error(`unknown network bench role ${role}`));
  started.then(
    (served) => {
      let closing = false;
      const shut = (): void => {
        if (closing) return;
        closing = true;
        void served.close().finally(() => process.exit(0));
      };
      process.stdin.on('end', shut).on('error', shut).resume();
      process.once('SIGTERM', shut);
      process.stdout.write(JSON.stringify({ pid: process.pid, ...served.ready }) + '\n');
    },
    (e: unknown) => {
      process.stderr.write(
        `network bench ${role}: ${e instanceof Error ? e.message : String(e)}\n`,
      );
      process.exit(1);
    },
  );
}

interface Served {
  readonly ready: Omit<Ready, 'pid'>;
  close(): Promise<void>;
}

/**
 * A plain `net` server. The first byte of a connection picks its mode: `E` echoes, `D` answers
 * each following byte with `transferBytes` bytes, `U` answers every `transferBytes` received
 * with one byte.
 */
function serveBytes(transferBytes: number): Promise<Served> {
  if (!Number.isInteger(transferBytes) || transferBytes < 1) {
    return Promise.reject(new Error('bad transfer size'));
  }
  const block = Buffer.alloc(transferBytes, 0x5a);
  const ack = Buffer.from('k');
  const sockets = new Set<Socket>();
  const server = createServer({ noDelay: true }, (socket) => {
    sockets.add(socket);
    let mode: number | undefined;
    let uploaded = 0;
    socket.on('error', () => socket.destroy());
    socket.on('close', () => sockets.delete(socket));
    socket.on('data', (chunk: Buffer) => {
      let data = chunk;
      if (mode === undefined) {
        mode = data[0];
        data = data.subarray(1);
      }
      if (mode === 0x45) {
        if (data.length > 0) socket.write(data);
      } else if (mode === 0x44) {
        // One block per request byte.
        for (let left = data.length; left > 0; left--) socket.write(block);
      } else if (mode === 0x55) {
        uploaded += data.length;
        while (uploaded >= transferBytes) {
          uploaded -= transferBytes;
          socket.write(ack);
        }
      } else {
        socket.destroy();
      }
    });
  });
  return serve(server, sockets);
}

/**
 * A bare proxy to `targetPort`: `pipe()` both ways and nothing else. The reference for what
 * any userspace proxy in a Node process costs on this machine.
 */
function servePipe(targetPort: number): Promise<Served> {
  const sockets = new Set<Socket>();
  const server = createServer({ noDelay: true }, (client) => {
    const upstream = connect({ host: '127.0.0.1', port: targetPort, noDelay: true });
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream).pipe(client);
  });
  return serve(server, sockets);
}

/**
 * The network model with one logical endpoint, no fault, accept: a proxy to `targetPort`; and
 * beside it, in the same process, the bare pipe proxy.
 */
async function serveProxy(targetPort: number): Promise<Served> {
  const { startNetworkModel } = await import('../../simulator/src/network');
  const model = await startNetworkModel({
    seed: 1,
    hosts: [
      {
        name: LOGICAL_HOST,
        addresses: [LOGICAL_ADDRESS],
        services: [{ port: 443, target: { host: '127.0.0.1', port: targetPort } }],
      },
    ],
  });
  const endpoint = model.relayConfig().endpoints[0];
  if (endpoint === undefined) {
    await model.close();
    throw new Error('the network model has no endpoint');
  }
  const pipe = await servePipe(targetPort);
  return {
    ready: { port: endpoint.dial.port, pipePort: pipe.ready.port },
    close: async () => {
      await pipe.close();
      await model.close();
    },
  };
}

/**
 * The back office with the council-tax service alone, and the account whose XML answer is
 * closest to TARGET_ANSWER_BYTES.
 */
async function serveBackOffice(): Promise<Served> {
  const { startBackOffice, SERVICE_NAMES } = await import('../../simulator/src/backoffice');
  const { councilTaxXml } = await import('../../simulator/src/backoffice/retrieval');
  const services = Object.fromEntries(
    SERVICE_NAMES.map((name) => [name, { enabled: name === 'council-tax' }]),
  );
  const bo = await startBackOffice({ seed: 'bench', control: { enabled: false }, services });
  let best: { reference: string; bytes: number } | undefined;
  for (const account of bo.data.councilTax.items) {
    const bytes = Buffer.byteLength(councilTaxXml(account, bo.config.asOf));
    const distance = Math.abs(bytes - TARGET_ANSWER_BYTES);
    if (best === undefined || distance < Math.abs(best.bytes - TARGET_ANSWER_BYTES)) {
      best = { reference: account.reference, bytes };
    }
  }
  if (best === undefined) {
    await bo.close();
    throw new Error('the back office has no council tax account');
  }
  const info = bo.services['council-tax'];
  return {
    ready: {
      port: info?.port ?? 0,
      url: `${bo.url('council-tax')}/accounts/${best.reference}`,
      answerBytes: best.bytes,
    },
    close: () => bo.close(),
  };
}

/** Listens on 127.0.0.1, any port; closing destroys the open `sockets` and the server. */
async function serve(server: Server, sockets: ReadonlySet<Socket>): Promise<Served> {
  const port = await new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      if (address === null || typeof address === 'string') reject(new Error('no port'));
      else resolve(address.port);
    });
  });
  return {
    ready: { port },
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => {
          resolve();
        });
      }),
  };
}

// ---------------------------------------------------------------------------------------
// Clients (this process)

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      reject(new Error(`${what} within ${String(ms)} ms`));
    }, ms);
  });
  return Promise.race([promise, timeout]).finally(() => {
    clearTimeout(timer);
  });
}

/** One persistent connection in one mode; `exchange` writes and waits for `expect` bytes back. */
class Connection {
  readonly #socket: Socket;
  #received = 0;
  #expect = 0;
  #waiter: { resolve: () => void; reject: (e: Error) => void } | undefined;

  private constructor(socket: Socket) {
    this.#socket = socket;
    socket.on('data', (chunk: Buffer) => {
      this.#received += chunk.length;
      if (this.#waiter !== undefined && this.#received >= this.#expect) {
        const { resolve } = this.#waiter;
        this.#waiter = undefined;
        resolve();
      }
    });
    const fail = (e?: Error): void => {
      const waiter = this.#waiter;
      this.#waiter = undefined;
      waiter?.reject(e ?? new Error('the connection closed'));
    };
    socket.on('error', fail);
    socket.on('close', () => {
      fail();
    });
  }

  static async open(port: number, mode: 'E' | 'D' | 'U'): Promise<Connection> {
    const socket = connect({ host: '127.0.0.1', port, noDelay: true });
    await withTimeout(
      new Promise<void>((resolve, reject) => {
        socket.once('connect', resolve).once('error', reject);
      }),
      OPERATION_TIMEOUT_MS,
      `no connection to 127.0.0.1:${String(port)}`,
    );
    const connection = new Connection(socket);
    socket.write(mode);
    return connection;
  }

  /** Writes `data`, resolves when `expect` bytes have come back; returns the nanoseconds taken. */
  async exchange(data: Buffer | string, expect: number): Promise<bigint> {
    this.#received = 0;
    this.#expect = expect;
    const done = new Promise<void>((resolve, reject) => {
      this.#waiter = { resolve, reject };
    });
    const start = process.hrtime.bigint();
    this.#socket.write(data);
    await withTimeout(done, OPERATION_TIMEOUT_MS, 'no answer');
    return process.hrtime.bigint() - start;
  }

  close(): void {
    this.#socket.destroy();
  }
}

interface PathConnections {
  readonly echo: Connection;
  readonly download: Connection;
  readonly upload: Connection;
}

async function openPath(port: number): Promise<PathConnections> {
  return {
    echo: await Connection.open(port, 'E'),
    download: await Connection.open(port, 'D'),
    upload: await Connection.open(port, 'U'),
  };
}

function closePath(p: PathConnections): void {
  p.echo.close();
  p.download.close();
  p.upload.close();
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil(p * sorted.length)));
  return sorted[rank - 1] ?? NaN;
}

function latency(samplesUs: number[]): LatencyFigure {
  const sorted = samplesUs.sort((a, b) => a - b);
  return { p50Us: percentile(sorted, 0.5), p99Us: percentile(sorted, 0.99) };
}

function mibPerSecond(bytes: number, ns: bigint): number {
  return bytes / MiB / (Number(ns) / 1e9);
}

type PathName = 'direct' | 'pipe' | 'proxied';
const PATHS: readonly PathName[] = ['direct', 'pipe', 'proxied'];

/** The paths in a rotated order, so that each comes first as often as the others. */
function rotation(i: number): PathName[] {
  const k = i % PATHS.length;
  return [...PATHS.slice(k), ...PATHS.slice(0, k)];
}

async function measureProxy(
  paths: Readonly<Record<PathName, PathConnections>>,
  options: NetworkBenchOptions,
): Promise<NetworkBenchResult['proxy']> {
  const deadline = performance.now() + SOCKET_PART_LIMIT_MS;
  let truncated = false;
  const upload = Buffer.alloc(TRANSFER_BYTES, 0xa5);
  const ping = Buffer.alloc(PING_BYTES, 0x70);
  const down: Record<PathName, number[]> = { direct: [], pipe: [], proxied: [] };
  const up: Record<PathName, number[]> = { direct: [], pipe: [], proxied: [] };
  const rtt: Record<PathName, number[]> = { direct: [], pipe: [], proxied: [] };
  // Interleaved: each round does every path, in rotating order, so drift hits them alike.
  for (let round = 0; round < WARMUP_TRANSFERS + options.transfers; round++) {
    if (performance.now() > deadline) {
      truncated = true;
      break;
    }
    for (const path of rotation(round)) {
      const c = paths[path];
      const d = await c.download.exchange('g', TRANSFER_BYTES);
      const u = await c.upload.exchange(upload, 1);
      if (round >= WARMUP_TRANSFERS) {
        down[path].push(mibPerSecond(TRANSFER_BYTES, d));
        up[path].push(mibPerSecond(TRANSFER_BYTES, u));
      }
    }
  }
  for (const path of PATHS) {
    for (let i = 0; i < WARMUP_PINGS; i++) await paths[path].echo.exchange(ping, PING_BYTES);
  }
  const blocks = Math.ceil(options.pings / PING_BLOCK);
  for (let block = 0; block < blocks; block++) {
    if (performance.now() > deadline) {
      truncated = true;
      break;
    }
    const count = Math.min(PING_BLOCK, options.pings - block * PING_BLOCK);
    for (const path of rotation(block)) {
      for (let i = 0; i < count; i++) {
        rtt[path].push(Number(await paths[path].echo.exchange(ping, PING_BYTES)) / 1000);
      }
    }
  }
  const figure = (rates: Record<PathName, number[]>): PathFigure => {
    const directMiBps = median(rates.direct);
    const pipeMiBps = median(rates.pipe);
    const proxiedMiBps = median(rates.proxied);
    return {
      directMiBps,
      pipeMiBps,
      proxiedMiBps,
      ratio: proxiedMiBps / directMiBps,
      pipeRatio: pipeMiBps / directMiBps,
    };
  };
  const direct = latency(rtt.direct);
  const pipe = latency(rtt.pipe);
  const proxied = latency(rtt.proxied);
  return {
    transferBytes: TRANSFER_BYTES,
    transfers: down.direct.length,
    download: figure(down),
    upload: figure(up),
    pingBytes: PING_BYTES,
    pings: rtt.direct.length,
    direct,
    pipe,
    proxied,
    addedP50Us: proxied.p50Us - direct.p50Us,
    pipeAddedP50Us: pipe.p50Us - direct.p50Us,
    truncated,
  };
}

async function measureBackOffice(
  ready: Ready,
  options: NetworkBenchOptions,
): Promise<NetworkBenchResult['backOffice']> {
  const url = ready.url ?? '';
  const check = await fetch(url);
  const body = await check.text();
  if (check.status !== 200 || !body.includes('<CouncilTaxAccount')) {
    throw new Error(`the back office answered ${String(check.status)}, not a council tax account`);
  }
  const base = { url, connections: options.connections, pipelining: 1, timeout: 10 };
  await autocannon({ ...base, duration: 1 });
  const r = await autocannon({ ...base, duration: options.seconds });
  return {
    url,
    answerBytes: Buffer.byteLength(body),
    connections: options.connections,
    seconds: r.duration,
    requestsPerSecond: r.requests.total / r.duration,
    latencyP50Ms: r.latency.p50,
    latencyP99Ms: r.latency.p99,
    latencyMeanMs: r.latency.mean,
    requests: r.requests.total,
    errors: r.errors,
    non2xx: r.non2xx,
  };
}

function parseOptions(input: Partial<NetworkBenchOptions>): NetworkBenchOptions {
  const parsed = optionsSchema.safeParse({ ...NETWORK_BENCH_DEFAULTS, ...input });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new RangeError(
      `bench network: ${issue?.path.join('.') ?? 'options'}: ${issue?.message ?? 'invalid'}`,
    );
  }
  return Object.freeze(parsed.data);
}

export async function runNetworkBench(
  input: Partial<NetworkBenchOptions> = {},
): Promise<NetworkBenchResult> {
  const options = parseOptions(input);
  const loadBefore = loadavg()[0] ?? NaN;
  const children: Child[] = [];
  const open: PathConnections[] = [];
  try {
    const server = await startChild('server', String(TRANSFER_BYTES));
    children.push(server);
    const net = await startChild('net', String(server.ready.port));
    children.push(net);
    const direct = await openPath(server.ready.port);
    open.push(direct);
    const pipe = await openPath(net.ready.pipePort ?? 0);
    open.push(pipe);
    const proxied = await openPath(net.ready.port);
    open.push(proxied);
    const proxy = await measureProxy({ direct, pipe, proxied }, options);
    open.splice(0).forEach(closePath);
    await Promise.all(children.splice(0).map((c) => c.stop()));

    const backOffice = await startChild('backoffice', '');
    children.push(backOffice);
    const bo = await measureBackOffice(backOffice.ready, options);
    const cpu = cpus()[0];
    return {
      machine: `${String(cpus().length)} × ${cpu?.model ?? 'unknown CPU'}`,
      node: process.version,
      loadBefore,
      loadAfter: loadavg()[0] ?? NaN,
      processes: [
        'bench process: the clients (net sockets for transfers and round trips; autocannon)',
        `child 1 (pid ${String(server.ready.pid)}): a plain node:net server (echo, download, upload)`,
        `child 2 (pid ${String(net.ready.pid)}): the network model, one endpoint proxy (${LOGICAL_ADDRESS}:443, no fault, accept) in front of child 1; beside it a bare socket.pipe() proxy to child 1, for reference`,
        `child 3 (pid ${String(backOffice.ready.pid)}): the back office, council-tax service alone`,
        __filename.endsWith('.ts')
          ? 'children run from sources through ts-node (transpile only)'
          : 'children run compiled (dist/)',
      ],
      proxy,
      backOffice: bo,
    };
  } finally {
    open.forEach(closePath);
    await Promise.all(children.map((c) => c.stop()));
  }
}

export function renderNetworkBench(r: NetworkBenchResult): string {
  const verdict = (ok: boolean): string => (ok ? 'met' : 'MISSED');
  const p = r.proxy;
  const b = r.backOffice;
  const pct = (x: number): string => `${(x * 100).toFixed(0)}%`.padStart(4);
  const mibs = (x: number): string => `${x.toFixed(0)} MiB/s`.padStart(10);
  const us = (x: number): string => `${x.toFixed(0)} µs`.padStart(7);
  const throughput = (label: string, f: PathFigure): string[] => [
    `  ${label}  direct ${mibs(f.directMiBps)}   proxy ${mibs(f.proxiedMiBps)} = ${pct(f.ratio)}   target >= 90%    ${verdict(f.ratio >= 0.9)}`,
    `  ${' '.repeat(label.length)}  (bare pipe() proxy ${mibs(f.pipeMiBps)} = ${pct(f.pipeRatio)})`,
  ];
  const rtt = (label: string, f: LatencyFigure): string =>
    `  ${label.padEnd(17)} p50 ${us(f.p50Us)}   p99 ${us(f.p99Us)}`;
  return (
    [
      'network model endpoint proxy (no fault) vs direct loopback; the back office under autocannon',
      `${r.machine}, Node ${r.node}, 1-min load average ${r.loadBefore.toFixed(2)} before, ${r.loadAfter.toFixed(2)} after`,
      ...r.processes.map((line) => `  ${line}`),
      '',
      `${String(p.transferBytes)}-byte transfers on one open connection per path, median of ${String(p.transfers)} per path and direction${p.truncated ? ' (time bound reached)' : ''}:`,
      ...throughput('download', p.download),
      ...throughput('upload  ', p.upload),
      `${String(p.pingBytes)}-byte round trips, ${String(p.pings)} per path:`,
      rtt('direct', p.direct),
      rtt('bare pipe() proxy', p.pipe),
      rtt('network model', p.proxied),
      `  added p50 by the network model ${us(p.addedP50Us)} (bare pipe ${us(p.pipeAddedP50Us).trim()})   target <= 200 µs  ${verdict(p.addedP50Us <= 200)}`,
      '',
      `back office council-tax retrieval, ${String(b.answerBytes)}-byte XML answer, ${String(b.connections)} connections, ${b.seconds.toFixed(0)} s:`,
      `  ${b.requestsPerSecond.toFixed(0)} req/s   target >= 10000   ${verdict(b.requestsPerSecond >= 10_000)}`,
      `  latency p50 ${String(b.latencyP50Ms)} ms, p99 ${String(b.latencyP99Ms)} ms (autocannon counts whole ms), mean ${b.latencyMeanMs.toFixed(2)} ms`,
      `  ${String(b.requests)} requests, ${String(b.errors)} errors, ${String(b.non2xx)} non-2xx`,
    ].join('\n') + '\n'
  );
}
