// `relaycheck bench hybrid`: Hybrid Connections end to end on loopback, one process per part:
// the simulated endpoint, OUR relay listener (relay/src/transports) and Microsoft's hyco-https
// 1.4.5 listener each run in their own child (`node -r ts-node/register/transpile-only`),
// autocannon and the 50 MB transfers run in this process against the simulator's plain HTTP
// sender front. In: rounds, milliseconds per round, connections, transfer size. Out: small
// requests (1 KB in, 2 KB out) per second with p50/p99 latency through each listener (the same
// back end behind both, rounds interleaved), and a 50 MB body through a rendezvous socket both
// ways (MB/s, and the listener child's peak RSS growth read from /proc/<pid>/status), beside
// their targets. A benchmark, never a test: nothing passes or fails on time.
// This file is also the children's entry: RELAYCHECK_HYBRID_ROLE=sim|relay|hyco.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { pipeline } from 'node:stream/promises';
import autocannon from 'autocannon';
import { createSasToken } from '../../relay/src/protocol/sas';
import {
  clientSocketFactory,
  createHybridListener,
  type HcHandler,
} from '../../relay/src/transports';
import { startHybridSimulator } from '../../simulator/src/cloud/hybrid';
import { SeededSource, seededSha256, sha256Hex } from '../hybrid/lib/bytes';
import { median, resetPeak, statusKiB } from './measure';

export interface HybridBenchOptions {
  /** Interleaved autocannon rounds per listener (the median is reported). */
  readonly rounds: number;
  /** Milliseconds of load per round. */
  readonly msPerRound: number;
  /** autocannon connections. */
  readonly connections: number;
  /** Bytes of each large transfer (default 50 MB). */
  readonly transferBytes?: number;
}

export interface SmallFigures {
  /** Median of the rounds: 2xx answers per second. */
  readonly perSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** Over all rounds: non-2xx answers and connection errors. */
  readonly failures: number;
  /** CPU time (user + system) the listener's process spent per answered request, µs. */
  readonly listenerCpuUsPerRequest: number;
  readonly rounds: readonly number[];
}

export interface TransferFigures {
  readonly bytes: number;
  /** Median over the rounds, MB = 10^6 bytes. */
  readonly mbPerSecond: number;
  /** The listener child's RSS before the transfer and its peak during it (MiB), largest growth. */
  readonly rssBaseMiB: number;
  readonly rssPeakMiB: number;
  readonly rssGrowthMiB: number;
  /** Every transfer arrived byte for byte (sha-256). */
  readonly intact: boolean;
  readonly rounds: number;
}

export interface HybridBenchResult {
  readonly machine: string;
  readonly node: string;
  readonly connections: number;
  readonly ours: SmallFigures;
  readonly hyco: SmallFigures;
  /** A document fetched through OUR listener (response over rendezvous). */
  readonly download: TransferFigures;
  /** A body posted through OUR listener (request over rendezvous). */
  readonly upload: TransferFigures;
}

const ROOT = join(__dirname, '..', '..');
const NAMESPACE = 'council-42';
const HOST = `${NAMESPACE}.servicebus.windows.net`;
const KEY_NAME = 'RootManageSharedAccessKey';
const OURS = 'bench-ours';
const HYCO = 'bench-hyco';
const REQUEST_BODY = Buffer.alloc(1024, 0x61); // 1 KB in
const REPLY_BODY = Buffer.alloc(2048, 0x62); // 2 KB out
const MIB = 1024 * 1024;
/** No child may take longer than this to say it is ready. */
const READY_TIMEOUT_MS = 60_000;
/** No large transfer may take longer than this (50 MB at under 1 MB/s means it is stuck). */
const TRANSFER_TIMEOUT_MS = 120_000;

// ---------------------------------------------------------------------------------------
// The children

interface SimEnv {
  readonly key: string;
}
interface RelayEnv {
  readonly key: string;
  readonly port: number;
}
interface HycoEnv {
  readonly uri: string;
  readonly token: string;
}

function readEnv(): unknown {
  const raw = process.env.RELAYCHECK_HYBRID_CHILD;
  if (raw === undefined) throw new Error('RELAYCHECK_HYBRID_CHILD is not set');
  return JSON.parse(raw) as unknown;
}

/** Prints the ready line and stops when the parent goes (its end of stdin closes). */
function ready(extra: Record<string, unknown> = {}): void {
  process.stdout.write(`${JSON.stringify({ pid: process.pid, ...extra })}\n`);
  process.stdin.resume();
  process.stdin.once('end', () => process.exit(0));
}

async function simChild(): Promise<void> {
  const { key } = readEnv() as SimEnv;
  const sim = await startHybridSimulator(
    {
      namespace: NAMESPACE,
      authorizationRules: [{ keyName: KEY_NAME, key, rights: ['Manage', 'Listen', 'Send'] }],
      hybridConnections: [{ path: OURS }, { path: HYCO }],
    },
    { listeners: { https: false, tcp: false }, control: false },
  );
  ready({ port: sim.listeners.plain?.port });
}

/** OUR back end: echo (1 KB in, 2 KB out), a streamed PDF-like document, an upload hasher. */
const benchHandler: HcHandler = async (req, res) => {
  // The route by string ops: the echo path does no more than hyco-https's back end below.
  const q = req.target.indexOf('?');
  const route = (q === -1 ? req.target : req.target.slice(0, q)).split('/')[2] ?? '';
  if (route === 'pdf') {
    const url = new URL(req.target, 'http://relay.invalid');
    req.body.resume();
    const bytes = Number(url.searchParams.get('bytes') ?? '0');
    res.status(200, 'OK', { 'Content-Type': 'application/pdf' });
    await pipeline(
      new SeededSource(url.searchParams.get('seed') ?? 'pdf', bytes, { pdf: true }),
      res.body,
    );
    return;
  }
  // Read as the hyco-https back end below reads (data and end events), for a fair comparison.
  const hash = route === 'upload' ? sha256Hex.start() : undefined;
  let size = 0;
  await new Promise<void>((resolve, reject) => {
    req.body.on('data', (chunk: Buffer) => {
      size += chunk.length;
      hash?.update(chunk);
    });
    req.body.once('end', resolve);
    req.body.once('error', reject);
  });
  if (hash !== undefined) {
    await res.send(200, JSON.stringify({ size, sha256: hash.digest() }), {
      'Content-Type': 'application/json',
    });
    return;
  }
  await res.send(200, REPLY_BODY, { 'Content-Type': 'application/octet-stream' });
};

async function relayChild(): Promise<void> {
  const { key, port } = readEnv() as RelayEnv;
  const listener = createHybridListener(
    {
      endpoint: `ws://${HOST}`,
      insecure: true,
      path: OURS,
      keyName: KEY_NAME,
      key,
      maxRequestBytes: 64 * MIB,
      maxConcurrent: 64,
      maxQueued: 1024,
    },
    {
      handler: benchHandler,
      // The default sockets (`ws` control channel); RELAYCHECK_HYBRID_CONTROL=own puts the
      // control channel on the listener's own client too (for comparison).
      ...(process.env.RELAYCHECK_HYBRID_CONTROL === 'own'
        ? { sockets: clientSocketFactory() }
        : {}),
      // The endpoint map: the logical namespace host on 80 -> the simulator; nothing else.
      dial: (url) => {
        if (url.hostname !== HOST || (url.port !== '' && url.port !== '80')) {
          throw new Error(`no endpoint map entry for ${url.host}`);
        }
        const mapped = new URL(url);
        mapped.host = `127.0.0.1:${port}`;
        return mapped;
      },
    },
  );
  listener.start();
  await listener.ready();
  ready();
}

function hycoChild(): Promise<void> {
  const { uri, token } = readEnv() as HycoEnv;
  // hyco-https replaces https.Server for the whole process: it lives alone in this child.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const hyco = require('hyco-https') as {
    createRelayedServer(
      options: { server: string; token: string },
      handler: (
        req: NodeJS.ReadableStream,
        res: { setHeader(n: string, v: string): void; end(b: Buffer): void },
      ) => void,
    ): { on(event: string, fn: (e?: Error) => void): void; listen(): void };
  };
  const server = hyco.createRelayedServer({ server: uri, token }, (req, res) => {
    req.on('data', () => undefined);
    req.on('end', () => {
      res.setHeader('Content-Type', 'application/octet-stream');
      res.end(REPLY_BODY);
    });
  });
  server.on('listening', () => {
    ready();
  });
  server.on('error', (e) => {
    process.stderr.write(`hyco-https listener error: ${e?.message ?? 'unknown'}\n`);
  });
  server.listen();
  return Promise.resolve();
}

// ---------------------------------------------------------------------------------------
// The parent

interface Child {
  readonly process: ChildProcess;
  readonly info: Record<string, unknown>;
  readonly pid: number;
}

/** Starts this file in a child with a role; resolves with its ready line. */
async function startChild(role: string, env: unknown, children: ChildProcess[]): Promise<Child> {
  const child = spawn(
    process.execPath,
    ['-r', 'ts-node/register/transpile-only', join(__dirname, 'hybrid.ts')],
    {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? '',
        RELAYCHECK_HYBRID_CONTROL: process.env.RELAYCHECK_HYBRID_CONTROL ?? '',
        RELAYCHECK_HYBRID_ROLE: role,
        RELAYCHECK_HYBRID_CHILD: JSON.stringify(env),
      },
      stdio: ['pipe', 'pipe', 'inherit'],
    },
  );
  children.push(child);
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  let timer: NodeJS.Timeout | undefined;
  const info = await new Promise<Record<string, unknown>>((resolve, reject) => {
    timer = setTimeout(() => {
      reject(new Error(`the ${role} child was not ready within ${READY_TIMEOUT_MS} ms`));
    }, READY_TIMEOUT_MS);
    child.once('exit', (code) => {
      reject(new Error(`the ${role} child exited with code ${String(code)} before it was ready`));
    });
    lines.once('line', (line) => {
      resolve(JSON.parse(line) as Record<string, unknown>);
    });
  }).finally(() => {
    clearTimeout(timer);
  });
  return { process: child, info, pid: Number(info.pid) };
}

function stopChildren(children: readonly ChildProcess[]): void {
  for (const c of children) {
    if (c.exitCode === null && c.signalCode === null) c.kill('SIGTERM');
  }
}

/** User + system CPU time of `pid` so far, in microseconds (/proc/<pid>/stat, clock ticks). */
function cpuMicros(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces) start after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14, 15)
  return (ticks * 1e6) / CLOCK_TICKS;
}

/** USER_HZ: 100 on every Linux this runs on (getconf CLK_TCK). */
const CLOCK_TICKS = 100;

function token(key: string, path: string): string {
  return createSasToken({ resource: `http://${HOST}/${path}`, keyName: KEY_NAME, key });
}

async function load(
  port: number,
  path: string,
  sendToken: string,
  ms: number,
  connections: number,
): Promise<autocannon.Result> {
  return autocannon({
    url: `http://127.0.0.1:${port}/${path}/echo`,
    method: 'POST',
    body: REQUEST_BODY,
    headers: { ServiceBusAuthorization: sendToken, 'Content-Type': 'application/octet-stream' },
    connections,
    duration: ms / 1000,
    timeout: 10,
  });
}

/** One large transfer through the plain sender front; hashes the answer as it comes. */
function transfer(
  port: number,
  o: { method: string; path: string; sendToken: string; body?: SeededSource; size?: number },
): Promise<{ seconds: number; bytes: number; sha256: string; status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const req = httpRequest(
      {
        host: '127.0.0.1',
        port,
        path: o.path,
        method: o.method,
        agent: false,
        headers: {
          ServiceBusAuthorization: o.sendToken,
          ...(o.size !== undefined ? { 'Content-Length': String(o.size) } : {}),
        },
      },
      (res) => {
        const hash = sha256Hex.start();
        let bytes = 0;
        let text = '';
        res.on('data', (c: Buffer) => {
          bytes += c.length;
          hash.update(c);
          if (text.length < 4096) text += c.toString('utf8');
        });
        res.once('end', () => {
          resolve({
            seconds: (performance.now() - start) / 1000,
            bytes,
            sha256: hash.digest(),
            status: res.statusCode ?? 0,
            text,
          });
        });
        res.once('error', reject);
      },
    );
    req.once('error', reject);
    const timer = setTimeout(() => {
      req.destroy(new Error(`the transfer did not finish within ${TRANSFER_TIMEOUT_MS} ms`));
    }, TRANSFER_TIMEOUT_MS);
    req.once('close', () => {
      clearTimeout(timer);
    });
    if (o.body === undefined) req.end();
    else o.body.pipe(req);
  });
}

/** Samples the child's RSS every 10 ms while `work` runs; returns the peak in KiB. */
async function withRssPeak<T>(pid: number, work: () => Promise<T>): Promise<[T, number, number]> {
  const base = statusKiB(pid, 'VmRSS');
  const canReset = resetPeak(pid);
  let peak = base;
  const timer = setInterval(() => {
    peak = Math.max(peak, statusKiB(pid, 'VmRSS'));
  }, 10);
  try {
    const result = await work();
    peak = Math.max(peak, statusKiB(pid, 'VmRSS'));
    if (canReset) peak = Math.max(peak, statusKiB(pid, 'VmHWM'));
    return [result, base, peak];
  } finally {
    clearInterval(timer);
  }
}

export async function runHybridBench(options: HybridBenchOptions): Promise<HybridBenchResult> {
  const bytes = options.transferBytes ?? 50_000_000;
  const key = randomBytes(32).toString('base64');
  const children: ChildProcess[] = [];
  const onExit = (): void => {
    stopChildren(children);
  };
  process.once('exit', onExit);
  try {
    const sim = await startChild('sim', { key } satisfies SimEnv, children);
    const port = Number(sim.info.port);
    const relay = await startChild('relay', { key, port } satisfies RelayEnv, children);
    const hyco = await startChild(
      'hyco',
      {
        uri: `ws://127.0.0.1:${port}/$hc/${HYCO}?sb-hc-action=listen`,
        token: token(key, HYCO),
      } satisfies HycoEnv,
      children,
    );
    const sendOurs = token(key, OURS);
    const sendHyco = token(key, HYCO);

    // Small requests: a warm-up each, then interleaved rounds.
    await load(port, OURS, sendOurs, 1000, options.connections);
    await load(port, HYCO, sendHyco, 1000, options.connections);
    const runs: Record<'ours' | 'hyco', autocannon.Result[]> = { ours: [], hyco: [] };
    const cpu = { ours: 0, hyco: 0 };
    const measured = async (
      which: 'ours' | 'hyco',
      pid: number,
      path: string,
      sendToken: string,
    ): Promise<void> => {
      const before = cpuMicros(pid);
      runs[which].push(await load(port, path, sendToken, options.msPerRound, options.connections));
      cpu[which] += cpuMicros(pid) - before;
    };
    for (let r = 0; r < options.rounds; r += 1) {
      await measured('ours', relay.pid, OURS, sendOurs);
      await measured('hyco', hyco.pid, HYCO, sendHyco);
    }
    const figures = (which: 'ours' | 'hyco'): SmallFigures => {
      const rs = runs[which];
      const rates = rs.map((x) => x['2xx'] / x.duration);
      const answered = rs.reduce((n, x) => n + x['2xx'], 0);
      return {
        perSecond: median(rates),
        p50Ms: median(rs.map((x) => x.latency.p50)),
        p99Ms: median(rs.map((x) => x.latency.p99)),
        failures: rs.reduce((n, x) => n + x.non2xx + x.errors, 0),
        listenerCpuUsPerRequest: answered > 0 ? cpu[which] / answered : NaN,
        rounds: rates,
      };
    };

    // Large transfers through OUR listener, alternating directions.
    const transferRounds = Math.max(1, Math.min(options.rounds, 3));
    const down = { rates: [] as number[], base: 0, peak: 0, growth: -1, intact: true };
    const up = { rates: [] as number[], base: 0, peak: 0, growth: -1, intact: true };
    const expectDown = seededSha256('bench-down', bytes, { pdf: true });
    const expectUp = seededSha256('bench-up', bytes, { pdf: true });
    const note = (
      acc: typeof down,
      r: { seconds: number; bytes: number; status: number },
      base: number,
      peak: number,
      intact: boolean,
    ): void => {
      acc.rates.push(r.bytes / 1e6 / r.seconds);
      acc.intact &&= intact && r.status === 200 && r.bytes > 0;
      if ((peak - base) / 1024 > acc.growth) {
        acc.growth = (peak - base) / 1024;
        acc.base = base / 1024;
        acc.peak = peak / 1024;
      }
    };
    for (let r = 0; r < transferRounds; r += 1) {
      const [d, dBase, dPeak] = await withRssPeak(relay.pid, () =>
        transfer(port, {
          method: 'GET',
          path: `/${OURS}/pdf?bytes=${bytes}&seed=bench-down`,
          sendToken: sendOurs,
        }),
      );
      note(down, d, dBase, dPeak, d.bytes === bytes && d.sha256 === expectDown);
      const [u, uBase, uPeak] = await withRssPeak(relay.pid, () =>
        transfer(port, {
          method: 'POST',
          path: `/${OURS}/upload`,
          sendToken: sendOurs,
          body: new SeededSource('bench-up', bytes, { pdf: true }),
          size: bytes,
        }),
      );
      let answer: { size?: number; sha256?: string } = {};
      try {
        answer = JSON.parse(u.text) as { size?: number; sha256?: string };
      } catch {
        answer = {};
      }
      // The upload's rate counts the request bytes, not the small answer.
      note(
        up,
        { seconds: u.seconds, bytes, status: u.status },
        uBase,
        uPeak,
        answer.size === bytes && answer.sha256 === expectUp,
      );
    }
    const transferFigures = (acc: typeof down): TransferFigures => ({
      bytes,
      mbPerSecond: median(acc.rates),
      rssBaseMiB: acc.base,
      rssPeakMiB: acc.peak,
      rssGrowthMiB: acc.growth,
      intact: acc.intact,
      rounds: acc.rates.length,
    });

    const core = cpus()[0];
    return {
      machine: `${cpus().length} × ${core?.model ?? 'unknown CPU'}`,
      node: process.version,
      connections: options.connections,
      ours: figures('ours'),
      hyco: figures('hyco'),
      download: transferFigures(down),
      upload: transferFigures(up),
    };
  } finally {
    process.off('exit', onExit);
    stopChildren(children);
  }
}

export function renderHybridBench(r: HybridBenchResult): string {
  const verdict = (ok: boolean): string => (ok ? 'met' : 'MISSED');
  const pad = (n: number, d = 0): string => n.toFixed(d).padStart(7);
  const small = (name: string, f: SmallFigures, target?: { text: string; ok: boolean }): string =>
    `${name.padEnd(34)} ${pad(f.perSecond)} req/s   p50 ${f.p50Ms.toFixed(1).padStart(5)} ms   p99 ${f.p99Ms.toFixed(1).padStart(6)} ms   ${target === undefined ? '(reference)'.padEnd(24) : `${target.text.padEnd(24)} ${verdict(target.ok)}`}   listener CPU ${f.listenerCpuUsPerRequest.toFixed(0)} µs/req${f.failures > 0 ? `   (${f.failures} failed)` : ''}`;
  const big = (name: string, f: TransferFigures): string[] => [
    `${name.padEnd(34)} ${pad(f.mbPerSecond)} MB/s                                target >= 100 MB/s       ${verdict(f.mbPerSecond >= 100)}${f.intact ? '' : '   (NOT byte for byte!)'}`,
    `${'  listener peak RSS growth'.padEnd(34)} ${pad(f.rssGrowthMiB, 1)} MiB     (${f.rssBaseMiB.toFixed(0)} -> ${f.rssPeakMiB.toFixed(0)} MiB)              target <= 32 MiB         ${verdict(f.rssGrowthMiB <= 32)}`,
  ];
  return (
    [
      `Hybrid Connections on loopback (${r.machine}, Node ${r.node}); simulator, OUR listener and`,
      'hyco-https 1.4.5 each in their own child process (ts-node, transpile only); autocannon',
      `(${r.connections} connections) and the transfers in the bench process, against the`,
      "simulator's plain HTTP sender front. Same back end behind both listeners.",
      '',
      small('OUR listener, 1 KB in / 2 KB out', r.ours, {
        text: 'target >= 3000 req/s',
        ok: r.ours.perSecond >= 3000,
      }),
      small('hyco-https, 1 KB in / 2 KB out', r.hyco),
      `${'OUR listener vs hyco-https'.padEnd(34)} ${pad(r.ours.perSecond / r.hyco.perSecond, 2)} ×                                  target >= 1.00 ×         ${verdict(r.ours.perSecond >= r.hyco.perSecond)}`,
      '',
      ...big(`${(r.download.bytes / 1e6).toFixed(0)} MB PDF fetched (response)`, r.download),
      ...big(`${(r.upload.bytes / 1e6).toFixed(0)} MB body posted (request)`, r.upload),
      '',
      `transfers: ${r.download.rounds} per direction, median rate, largest RSS growth; all byte for byte: ${r.download.intact && r.upload.intact ? 'yes' : 'NO'}`,
    ].join('\n') + '\n'
  );
}

// ---------------------------------------------------------------------------------------

if (require.main === module) {
  const role = process.env.RELAYCHECK_HYBRID_ROLE;
  const run =
    role === 'sim'
      ? simChild()
      : role === 'relay'
        ? relayChild()
        : role === 'hyco'
          ? hycoChild()
          : Promise.reject(new Error(`unknown RELAYCHECK_HYBRID_ROLE ${String(role)}`));
  run.catch((e: unknown) => {
    process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  });
}
