// Event-driven counts and waits for the delivery cases DLV-005..007. In: diagnostics channels of
// the in-process world (a predicate picks the events), file-system notices of the share folders,
// the world's Service Bus engine and back office. Out: tallies whose `until(n)` resolves when the
// n-th matching event has happened (no timer: a wait that loses a race costs nothing), bounds for
// waits (a bound only ends a wait that hangs, it never decides a result), and waits until the
// requests queue and the back office are idle. Nothing here calls the engine from inside one of
// its events: checks run on the next turn of the event loop.
import diagnostics from 'node:diagnostics_channel';
import { watch } from 'node:fs';
import type { Readable } from 'node:stream';
import type { World } from '../../../simulator/src/world';
import { TEMP_NAME } from '../../../relay/src/work/filedrop';
import type { RelayChild } from '../../lib/relay-child';
import { requestsQueue } from './delivery-kit';

export type Data = Readonly<Record<string, unknown>>;

/** A count that can be awaited. */
export class Tally {
  #count = 0;
  readonly #waiters = new Set<{ readonly n: number; readonly resolve: () => void }>();

  get count(): number {
    return this.#count;
  }

  bump(): void {
    this.#count += 1;
    for (const w of [...this.#waiters]) {
      if (this.#count >= w.n) {
        this.#waiters.delete(w);
        w.resolve();
      }
    }
  }

  /** Resolves once the count is at least `n`. */
  until(n: number): Promise<void> {
    if (this.#count >= n) return Promise.resolve();
    return new Promise<void>((resolve) => this.#waiters.add({ n, resolve }));
  }
}

/** Subscribes `fn` to `channel` until the test ends. */
export function onChannel(t: tap.Test, channel: string, fn: (data: Data) => void): void {
  const sub = (m: unknown): void => {
    fn(m as Data);
  };
  diagnostics.subscribe(channel, sub);
  t.teardown(() => {
    diagnostics.unsubscribe(channel, sub);
  });
}

/** Counts the events of `channel` that `match` accepts. */
export function tallyChannel(
  t: tap.Test,
  channel: string,
  match: (data: Data) => boolean = () => true,
): Tally {
  const tally = new Tally();
  onChannel(t, channel, (d) => {
    if (match(d)) tally.bump();
  });
  return tally;
}

/** Counts the distinct temporary names of file drops that appear in `folders`. */
export function tallyTempFiles(t: tap.Test, folders: readonly string[]): Tally {
  const tally = new Tally();
  const seen = new Set<string>();
  for (const folder of folders) {
    const watcher = watch(folder, (_event, name) => {
      if (typeof name !== 'string' || !TEMP_NAME.test(name) || seen.has(name)) return;
      seen.add(name);
      tally.bump();
    });
    watcher.on('error', () => undefined);
    t.teardown(() => {
      watcher.close();
    });
  }
  return tally;
}

/** `p`, or a rejection naming `what` when it has not settled within `ms` (a bound). */
export function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new Error(`${what}: not within ${String(ms)} ms`));
    }, ms);
    timer.unref();
    p.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(timer);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}

/**
 * Resolves once `check` holds: looked at now and on the next turn of the event loop after each
 * event of `channels` (that `filter` accepts). `check` may read the engine: it never runs inside
 * one of its events.
 */
export function untilTrue(
  t: tap.Test,
  channels: readonly string[],
  check: () => boolean,
  entityOf?: (d: Data) => boolean,
): Promise<void> {
  return new Promise<void>((resolve) => {
    let done = false;
    let queued = false;
    const look = (): void => {
      queued = false;
      if (done || !check()) return;
      done = true;
      for (const s of subs) diagnostics.unsubscribe(s.channel, s.fn);
      resolve();
    };
    const subs = channels.map((channel) => {
      const fn = (m: unknown): void => {
        if (done || queued || (entityOf !== undefined && !entityOf(m as Data))) return;
        queued = true;
        setImmediate(look);
      };
      diagnostics.subscribe(channel, fn);
      return { channel, fn };
    });
    t.teardown(() => {
      for (const s of subs) diagnostics.unsubscribe(s.channel, s.fn);
    });
    look();
  });
}

/** Resolves once the requests queue holds nothing: no active, locked, deferred or scheduled message. */
export function untilRequestsDrained(t: tap.Test, world: World): Promise<void> {
  return untilTrue(
    t,
    ['sim:sb:settled', 'sim:sb:lock-expired', 'sim:sb:lock-lost', 'sim:sb:deadlettered'],
    () => {
      const q = requestsQueue(world);
      return q.active + q.locked + q.deferred + q.scheduled === 0;
    },
    (d) => d.entity === 'requests',
  );
}

/** The back-office exchanges open now (by exchange id), from `sim:bo:request`/`response`. */
export function openExchanges(t: tap.Test): ReadonlySet<string> {
  const open = new Set<string>();
  onChannel(t, 'sim:bo:request', (d) => open.add(String(d.exchange)));
  onChannel(t, 'sim:bo:response', (d) => open.delete(String(d.exchange)));
  return open;
}

/** Resolves once no exchange is open at any back-office service (`open`: openExchanges). */
export function untilBackOfficeIdle(t: tap.Test, open: ReadonlySet<string>): Promise<void> {
  return untilTrue(t, ['sim:bo:response'], () => open.size === 0);
}

/**
 * Resolves once every event a relay child wrote has been read (its events stream closed: the
 * process is gone). Call after its exit, before counting its events.
 */
export function eventsFlushed(relay: RelayChild): Promise<void> {
  const stream = relay.process.stdio[3] as Readable | null | undefined;
  if (stream === null || stream === undefined || stream.closed) return Promise.resolve();
  return new Promise<void>((resolve) => {
    stream.once('close', () => {
      resolve();
    });
  });
}

/** Message ids locked on the requests queue now (received, not settled): the work held. */
export function heldRequests(t: tap.Test): ReadonlySet<string> {
  const held = new Set<string>();
  const release = (d: Data): void => {
    if (d.entity === 'requests') held.delete(String(d.messageId));
  };
  onChannel(t, 'sim:sb:locked', (d) => {
    if (d.entity === 'requests') held.add(String(d.messageId));
  });
  onChannel(t, 'sim:sb:settled', release);
  onChannel(t, 'sim:sb:lock-expired', release);
  onChannel(t, 'sim:sb:lock-lost', release);
  return held;
}
