// Helpers for tests of the network model. In: nothing. Out: a Scheduler whose clock moves
// only when a test says so and which records every delay it was asked for, so that latency,
// bandwidth, slicing and timeouts are asserted structurally and never by wall-clock time.
// Also small loopback servers and clients for tests that watch the proxies from real sockets.
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import type { Scheduler, TimerHandle } from './scheduler';

interface Pending {
  readonly id: number;
  readonly due: number;
  readonly ms: number;
  readonly fn: () => void;
}

/** A scheduler driven by advance(); it records every requested delay in `requested`. */
export class ManualScheduler implements Scheduler {
  #now: number;
  #id = 0;
  #pending: Pending[] = [];
  readonly #waiters: (() => void)[] = [];
  /** Every delay asked for, in order (ms). */
  readonly requested: number[] = [];

  constructor(start = 1_000_000) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  schedule(ms: number, fn: () => void): TimerHandle {
    this.#id += 1;
    const entry: Pending = { id: this.#id, due: this.#now + Math.max(0, ms), ms, fn };
    this.#pending.push(entry);
    this.requested.push(ms);
    for (const w of this.#waiters.splice(0)) w();
    return {
      cancel: () => {
        this.#pending = this.#pending.filter((p) => p !== entry);
      },
    };
  }

  /** Delays of the timers not yet fired, soonest first. */
  pending(): number[] {
    return [...this.#pending]
      .sort((a, b) => a.due - b.due || a.id - b.id)
      .map((p) => p.due - this.#now);
  }

  /** Resolves at the next schedule() call (now, if `already` timers are pending). */
  nextTimer(already = true): Promise<void> {
    if (already && this.#pending.length > 0) return Promise.resolve();
    return new Promise((resolve) => {
      this.#waiters.push(resolve);
    });
  }

  /**
   * Moves the clock forward by `ms`, firing due timers in order (timers they schedule fire
   * too when due within the window). Returns how many fired. Bounded: at most 100,000.
   */
  advance(ms: number): number {
    const end = this.#now + ms;
    let fired = 0;
    while (fired < 100_000) {
      const next = [...this.#pending]
        .filter((p) => p.due <= end)
        .sort((a, b) => a.due - b.due || a.id - b.id)[0];
      if (next === undefined) break;
      this.#pending = this.#pending.filter((p) => p !== next);
      this.#now = next.due;
      next.fn();
      fired += 1;
    }
    this.#now = end;
    return fired;
  }
}

/** A loopback TCP server for tests: echoes, or records and answers as told. */
export interface TestServer {
  readonly host: string;
  readonly port: number;
  /** Bytes received so far, all connections together. */
  received(): Buffer;
  /** Connections accepted so far. */
  readonly accepted: number;
  close(): Promise<void>;
}

/**
 * Starts a loopback server (port 0). `mode` echo: every byte comes back, and the end of the
 * stream ends the reply. sink: bytes are recorded, nothing is sent.
 */
export async function startTestServer(mode: 'echo' | 'sink' = 'echo'): Promise<TestServer> {
  const chunks: Buffer[] = [];
  const sockets = new Set<Socket>();
  let accepted = 0;
  const server = createServer((socket) => {
    accepted += 1;
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      if (mode === 'echo') socket.write(chunk);
    });
    socket.on('end', () => {
      socket.end();
    });
  });
  await new Promise<void>((resolve) => {
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    host: '127.0.0.1',
    port,
    received: () => Buffer.concat(chunks),
    get accepted() {
      return accepted;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => {
          resolve();
        });
      }),
  };
}

/** How a dial ended: connected (the socket is returned) or refused/reset (the error code). */
export function dial(
  port: number,
  host = '127.0.0.1',
): Promise<{ socket: Socket; error?: undefined } | { socket?: undefined; error: string }> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const onError = (e: NodeJS.ErrnoException): void => {
      resolve({ error: e.code ?? 'error' });
    };
    socket.once('error', onError);
    socket.once('connect', () => {
      socket.off('error', onError);
      socket.on('error', () => undefined);
      resolve({ socket });
    });
  });
}

/** Everything a socket reads until it closes: bytes, how many reads, and the error code. */
export function readToClose(
  socket: Socket,
): Promise<{ data: Buffer; reads: number; ended: boolean; error: string | undefined }> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let ended = false;
    let error: string | undefined;
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('end', () => {
      ended = true;
    });
    socket.on('error', (e: NodeJS.ErrnoException) => {
      error = e.code ?? 'error';
    });
    socket.on('close', () => {
      resolve({ data: Buffer.concat(chunks), reads: chunks.length, ended, error });
    });
  });
}

/** The next `n` bytes a socket reads (resolves as soon as they have arrived). */
export function readBytes(socket: Socket, n: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer): void => {
      chunks.push(chunk);
      size += chunk.length;
      if (size >= n) {
        socket.off('data', onData);
        socket.off('close', onClose);
        resolve(Buffer.concat(chunks));
      }
    };
    const onClose = (): void => {
      socket.off('data', onData);
      reject(new Error(`the socket closed after ${size} of ${n} bytes`));
    };
    socket.on('data', onData);
    socket.once('close', onClose);
  });
}
