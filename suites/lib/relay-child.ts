// Runs the reference relay as a user does (`relaycheck relay --config <file>`), as a child
// process of a conformance case. In: the tap test, a config file path, extra environment, and
// optionally a command prefix the relay runs under (a network namespace). Out:
// the child, its diagnostics events as they arrive (read from fd 3, one JSON line each), waits
// on an event that matches a predicate (event-driven, never a sleep), its stdout/stderr, its
// exit, and stop()/kill() by PID (stop is also run at teardown).
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { recordRelayEvent } from './evidence';

const BIN = join(__dirname, '..', '..', 'bin', 'relaycheck.js');

export interface RelayEvent {
  readonly channel: string;
  readonly at: number;
  readonly data: Readonly<Record<string, unknown>>;
}

export type EventPredicate = (e: RelayEvent) => boolean;

export interface RelayChild {
  readonly process: ChildProcess;
  readonly pid: number;
  /** Every event received so far, in order. */
  readonly events: readonly RelayEvent[];
  /** Resolves with the first event (already received or future) matching `match`. */
  waitFor(match: EventPredicate, what: string): Promise<RelayEvent>;
  /** Resolves with the first event after index `from` matching `match`. */
  waitAfter(from: number, match: EventPredicate, what: string): Promise<RelayEvent>;
  /** Resolves when stdout or stderr (the relay's log) matches `pattern`. */
  waitForOutput(pattern: RegExp, what: string): Promise<string>;
  /** The health URL the relay printed. */
  readonly healthUrl: Promise<string>;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stdout(): string;
  stderr(): string;
  /** SIGTERM and wait for the exit. */
  stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGKILL and wait for the exit. */
  kill(): Promise<void>;
}

export function isEvent(channel: string, fields: Readonly<Record<string, unknown>> = {}) {
  return (e: RelayEvent): boolean =>
    e.channel === channel && Object.entries(fields).every(([k, v]) => e.data[k] === v);
}

/** Resolves with the `n`th event (already received or future) matching `match`. */
export function waitForNth(
  relay: Pick<RelayChild, 'events' | 'waitFor'>,
  match: EventPredicate,
  n: number,
  what: string,
): Promise<RelayEvent> {
  return relay.waitFor((e) => match(e) && relay.events.filter(match).length >= n, what);
}

/** What startRelayChild needs of its owner: somewhere to register the stop at the end. */
export interface Teardown {
  teardown(fn: () => unknown): void;
}

/** How the child is started. */
export interface RelayChildOptions {
  /**
   * A command that runs the relay's command line in its place, keeping its PID and fd 3, e.g.
   * `['ip', 'netns', 'exec', '<namespace>']` (suites/netns): the relay then runs there.
   */
  readonly prefix?: readonly string[];
}

export function startRelayChild(
  t: Teardown,
  configPath: string,
  env: Readonly<Record<string, string>> = {},
  onEvent?: (e: RelayEvent) => void,
  options: RelayChildOptions = {},
): RelayChild {
  const argv = [process.execPath, BIN, 'relay', '--config', configPath, '--events-fd', '3'];
  const command = [...(options.prefix ?? []), ...argv];
  const child = spawn(command[0] ?? process.execPath, command.slice(1), {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error('the relay child did not start');
  let out = '';
  let err = '';
  child.stdout?.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (err += c.toString()));
  const events: RelayEvent[] = [];
  const waiters: { from: number; match: EventPredicate; resolve: (e: RelayEvent) => void }[] = [];
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => {
      resolve({ code, signal });
    });
  });
  const eventStream = child.stdio[3] as Readable | null;
  if (eventStream !== null) {
    createInterface({ input: eventStream }).on('line', (line) => {
      let e: RelayEvent;
      try {
        e = JSON.parse(line) as RelayEvent;
      } catch {
        return;
      }
      events.push(e);
      recordRelayEvent(e);
      onEvent?.(e);
      const index = events.length - 1;
      for (const w of [...waiters]) {
        if (index >= w.from && w.match(e)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(e);
        }
      }
    });
  }
  const waitAfter = (from: number, match: EventPredicate, what: string): Promise<RelayEvent> => {
    const seen = events.slice(from).find(match);
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise<RelayEvent>((resolve, reject) => {
      waiters.push({ from, match, resolve });
      void exited.then(({ code, signal }) => {
        reject(
          new Error(
            `the relay exited (${String(code ?? signal)}) before ${what}\n${err.slice(-2000)}`,
          ),
        );
      });
    });
  };
  const healthUrl = new Promise<string>((resolve, reject) => {
    const check = (): void => {
      const m = /health (http:\/\/[^/\s]+)/.exec(out);
      if (m?.[1] !== undefined) {
        child.stdout?.off('data', check);
        resolve(m[1]);
      }
    };
    child.stdout?.on('data', check);
    void exited.then(({ code }) => {
      reject(new Error(`the relay exited (${String(code)}) before it was ready\n${err}`));
    });
  });
  healthUrl.catch(() => undefined);
  const waitForOutput = (pattern: RegExp, what: string): Promise<string> =>
    new Promise<string>((resolve, reject) => {
      const check = (): boolean => {
        const m = pattern.exec(out + err);
        if (m === null) return false;
        child.stdout?.off('data', onData);
        child.stderr?.off('data', onData);
        resolve(m[0]);
        return true;
      };
      const onData = (): void => {
        check();
      };
      if (check()) return;
      child.stdout?.on('data', onData);
      child.stderr?.on('data', onData);
      void exited.then(({ code }) => {
        if (!check()) reject(new Error(`the relay exited (${String(code)}) before ${what}`));
      });
    });
  const stop = async (): Promise<{ code: number | null; signal: NodeJS.Signals | null }> => {
    if (child.exitCode === null && child.signalCode === null) process.kill(pid, 'SIGTERM');
    return exited;
  };
  t.teardown(async () => {
    await stop();
  });
  return {
    process: child,
    pid,
    events,
    waitFor: (match, what) => waitAfter(0, match, what),
    waitAfter,
    waitForOutput,
    healthUrl,
    exited,
    stdout: () => out,
    stderr: () => err,
    stop,
    kill: async () => {
      if (child.exitCode === null && child.signalCode === null) process.kill(pid, 'SIGKILL');
      await exited;
    },
  };
}
