// A private clamd for tests, offline: no signature download, no system file touched. In: options
// (clamd's StreamMaxLength). Out: a running clamd on a unix socket in its own temporary folder,
// with a signature database generated at run time for the EICAR sample (an .hdb whole-file hash and
// an .ndb body signature, so EICAR inside larger files, ZIPs and Flate streams is caught too); its
// socket, PID, version and the signature names as clamd reports them; stop() (SIGTERM by PID, then
// the folder removed). Also a fake clamd (hangs, answers garbage, or closes at once) for failure
// tests, and the skip reason when clamd is not installed. Lives under relay/test (relay/test may not
// import suites/); suites/lib/clamd.ts re-exports it.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { accessSync, constants } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { eicar } from './eicar';

const INSTALLED = '/usr/sbin/clamd';

/** Where clamd is: /usr/sbin/clamd, else `clamd` on PATH; undefined when neither. */
export function clamdPath(): string | undefined {
  const candidates = [
    INSTALLED,
    ...(process.env.PATH ?? '')
      .split(delimiter)
      .filter((d) => d !== '')
      .map((d) => join(d, 'clamd')),
  ];
  for (const c of candidates) {
    try {
      accessSync(c, constants.X_OK);
      return c;
    } catch {
      // not there: the next one
    }
  }
  return undefined;
}

/** Why clamd tests cannot run here, or undefined when clamd is installed. */
export function clamdSkipReason(): string | undefined {
  return clamdPath() === undefined
    ? 'clamd is not installed (apt-get install clamav-daemon)'
    : undefined;
}

export interface ClamdHandle {
  /** clamd's LocalSocket (absolute path). */
  readonly socket: string;
  readonly pid: number;
  /** clamd's VERSION answer, e.g. `ClamAV 1.4.6/...`. */
  readonly version: string;
  /** The generated signatures' names as clamd reports them (custom names end `.UNOFFICIAL`). */
  readonly signatures: { readonly file: string; readonly body: string };
  /** SIGTERM by PID, wait for the exit (SIGKILL after 10 s), remove the folder. Idempotent. */
  stop(): Promise<void>;
}

export interface ClamdOptions {
  /** clamd's StreamMaxLength in bytes (default 64 MiB). */
  readonly streamMaxBytes?: number;
}

/** The signature names written into the generated database. */
export const SIGNATURE_NAMES = Object.freeze({
  file: 'Relaycheck.EICAR.File',
  body: 'Relaycheck.EICAR.Body',
});

/** The database files: `<name>.hdb` (md5:size:Name) and `<name>.ndb` (Name:0:*:hex). */
export function signatureDatabase(): { readonly hdb: string; readonly ndb: string } {
  const e = eicar();
  const md5 = createHash('md5').update(e).digest('hex');
  return {
    hdb: `${md5}:${e.length}:${SIGNATURE_NAMES.file}\n`,
    ndb: `${SIGNATURE_NAMES.body}:0:*:${e.toString('hex')}\n`,
  };
}

/** Sends `z<cmd>\0` to a unix socket; resolves with the reply (without NUL) or undefined. */
function ask(socket: string, cmd: string, timeoutMs: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const s = connect({ path: socket });
    let got = '';
    const done = (r: string | undefined): void => {
      clearTimeout(timer);
      s.destroy();
      resolve(r);
    };
    const timer = setTimeout(() => {
      done(undefined);
    }, timeoutMs);
    s.on('connect', () => s.write(`z${cmd}\0`));
    s.on('data', (d: Buffer) => {
      got += d.toString('latin1');
      const nul = got.indexOf('\0');
      if (nul >= 0) done(got.slice(0, nul));
    });
    s.on('error', () => {
      done(undefined);
    });
    s.on('close', () => {
      done(undefined);
    });
  });
}

/** Tries to PING clamd every 100 ms, at most 300 tries (30 s). */
const PING_TRIES = 300;
const PING_EVERY_MS = 100;

/** Starts a private clamd with a generated EICAR database; rejects saying why it did not start. */
export async function startClamd(opts: ClamdOptions = {}): Promise<ClamdHandle> {
  const bin = clamdPath();
  if (bin === undefined) throw new Error(clamdSkipReason());
  const streamMax = opts.streamMaxBytes ?? 64 * 1024 * 1024;
  if (!Number.isSafeInteger(streamMax) || streamMax < 1) {
    throw new RangeError('streamMaxBytes must be a whole number of bytes ≥ 1');
  }
  const dir = await mkdtemp(join(tmpdir(), 'rc-clamd-'));
  const socket = join(dir, 'clamd.sock');
  const db = join(dir, 'db');
  const tmp = join(dir, 'tmp');
  const removeDir = (): Promise<void> => rm(dir, { recursive: true, force: true });
  try {
    await mkdir(db, { mode: 0o700 });
    await mkdir(tmp, { mode: 0o700 });
    const { hdb, ndb } = signatureDatabase();
    await writeFile(join(db, 'relaycheck.hdb'), hdb);
    await writeFile(join(db, 'relaycheck.ndb'), ndb);
    // No User line: clamd runs as whoever starts it (root in CI, or the developer). No log file,
    // no syslog: its messages go to our pipe. SelfCheck and reloads stay off.
    const conf = [
      'Foreground yes',
      `LocalSocket ${socket}`,
      'LocalSocketMode 600',
      'FixStaleSocket yes',
      `DatabaseDirectory ${db}`,
      `TemporaryDirectory ${tmp}`,
      `PidFile ${join(dir, 'clamd.pid')}`,
      `StreamMaxLength ${streamMax}`,
      'LogSyslog no',
      'LogTime no',
      'LogVerbose no',
      'MaxThreads 4',
      'SelfCheck 3600',
      'ConcurrentDatabaseReload no',
      'Bytecode no',
      '',
    ].join('\n');
    await writeFile(join(dir, 'clamd.conf'), conf);
  } catch (e) {
    await removeDir();
    throw e;
  }

  const child = spawn(bin, [`--config-file=${join(dir, 'clamd.conf')}`], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
  });
  let output = '';
  const keep = (d: Buffer): void => {
    output = (output + d.toString('utf8')).slice(-4000);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  let exitCode: number | null | undefined;
  const exited = new Promise<void>((resolve) => {
    child.on('exit', (code, sig) => {
      exitCode = code ?? (sig === null ? null : -1);
      resolve();
    });
    child.on('error', (e) => {
      output += `\n${e.message}`;
      exitCode = -1;
      resolve();
    });
  });
  const pid = child.pid;

  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    if (exitCode === undefined && pid !== undefined) {
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        // already gone
      }
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        exited,
        new Promise<void>((resolve) => {
          timer = setTimeout(() => {
            try {
              process.kill(pid, 'SIGKILL');
            } catch {
              // already gone
            }
            resolve();
          }, 10_000);
        }),
      ]);
      clearTimeout(timer);
      await exited;
    }
    await removeDir();
  };

  let version: string | undefined;
  for (let i = 0; i < PING_TRIES && exitCode === undefined; i++) {
    if ((await ask(socket, 'PING', 1000)) === 'PONG') {
      version = await ask(socket, 'VERSION', 5000);
      if (version !== undefined) break;
    }
    await new Promise((r) => setTimeout(r, PING_EVERY_MS));
  }
  if (version === undefined || pid === undefined) {
    await stop();
    const tail = output.trim().split('\n').slice(-3).join(' | ');
    throw new Error(
      `clamd did not answer PING (${exitCode === undefined ? 'still running' : `exited ${String(exitCode)}`}): ${tail}`,
    );
  }
  return {
    socket,
    pid,
    version,
    signatures: {
      file: `${SIGNATURE_NAMES.file}.UNOFFICIAL`,
      body: `${SIGNATURE_NAMES.body}.UNOFFICIAL`,
    },
    stop,
  };
}

/** What the `garbage` fake answers: control bytes and words, then NUL. */
const GARBAGE = Buffer.from('\x01\x02 not clamd\0', 'latin1');

export type FakeBehaviour = 'hang' | 'garbage' | 'close';

export interface FakeClamd {
  /** The fake's unix socket. */
  readonly socket: string;
  /** Connections open now. */
  open(): number;
  /** Connections accepted so far. */
  accepted(): number;
  /** Bytes received so far, all connections together. */
  bytes(): number;
  /** Resolves when the fake has received at least `n` bytes, all connections together. */
  received(n: number): Promise<void>;
  /** Resolves when no connection is open (at once when none is). */
  idle(): Promise<void>;
  /** Closes every connection and the server, removes the folder. Idempotent. */
  stop(): Promise<void>;
}

/**
 * A fake clamd on a unix socket in a temporary folder. `hang`: reads everything, never answers;
 * `garbage`: answers a whole command (INSTREAM up to its zero-length frame) with bytes that are
 * no clamd reply; `close`: closes each connection as soon as bytes arrive.
 */
export async function startFakeClamd(behaviour: FakeBehaviour): Promise<FakeClamd> {
  const dir = await mkdtemp(join(tmpdir(), 'rc-fakeclamd-'));
  const socket = join(dir, 'clamd.sock');
  const sockets = new Set<Socket>();
  let accepted = 0;
  let bytes = 0;
  let idleWaiters: (() => void)[] = [];
  const byteWaiters = new Set<{ readonly n: number; readonly resolve: () => void }>();
  const server = createServer((s) => {
    accepted += 1;
    sockets.add(s);
    s.on('error', () => undefined);
    s.on('close', () => {
      sockets.delete(s);
      if (sockets.size === 0) {
        const w = idleWaiters;
        idleWaiters = [];
        for (const f of w) f();
      }
    });
    let held = Buffer.alloc(0);
    s.on('data', (d: Buffer) => {
      bytes += d.length;
      for (const w of [...byteWaiters]) {
        if (bytes >= w.n) {
          byteWaiters.delete(w);
          w.resolve();
        }
      }
      if (behaviour === 'close') {
        s.destroy();
        return;
      }
      if (behaviour === 'hang') return;
      held = Buffer.concat([held, d]);
      if (commandComplete(held)) {
        s.end(GARBAGE);
        held = Buffer.alloc(0);
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socket, () => {
      server.off('error', reject);
      resolve();
    });
  });
  let stopped = false;
  return {
    socket,
    open: () => sockets.size,
    accepted: () => accepted,
    bytes: () => bytes,
    received: (n) =>
      bytes >= n
        ? Promise.resolve()
        : new Promise<void>((resolve) => {
            byteWaiters.add({ n, resolve });
          }),
    idle: () =>
      sockets.size === 0
        ? Promise.resolve()
        : new Promise<void>((resolve) => {
            idleWaiters.push(resolve);
          }),
    stop: async () => {
      if (stopped) return;
      stopped = true;
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
      });
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** True when `b` holds a whole z-command: `zPING\0`, or `zINSTREAM\0` up to its zero frame. */
function commandComplete(b: Buffer): boolean {
  const nul = b.indexOf(0);
  if (nul < 0) return false;
  if (b.subarray(0, nul).toString('latin1') !== 'zINSTREAM') return true;
  let at = nul + 1;
  for (;;) {
    if (b.length < at + 4) return false;
    const n = b.readUInt32BE(at);
    if (n === 0) return true;
    at += 4 + n;
  }
}
