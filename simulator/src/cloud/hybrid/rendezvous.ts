// Rendezvous addresses. In: "a listener must connect here" (for a large request, for the
// response to a control-channel request, or for a WebSocket sender), and later the key a
// connecting listener presents. Out: an unguessable single-use key valid for a bounded time
// (Azure: assume 30 s), the waiting entry exactly once, the reason a key is refused
// (unknown, used, expired, wrong action or path), and an expiry callback. No sockets.
import { randomBytes } from 'node:crypto';
import type { Cancel, Scheduler } from './scheduler';

export type RendezvousKind = 'request' | 'response' | 'accept';

export interface RendezvousEntry<T> {
  readonly key: string;
  /** The request or connection id the listener was told. */
  readonly id: string;
  readonly kind: RendezvousKind;
  /** The configured Hybrid Connection path. */
  readonly path: string;
  readonly payload: T;
  readonly expiresAt: number;
}

export type TakeResult<T> =
  | { readonly ok: true; readonly entry: RendezvousEntry<T> }
  | { readonly ok: false; readonly why: 'unknown' | 'used' | 'expired' | 'mismatch' };

interface Live<T> {
  readonly entry: RendezvousEntry<T>;
  readonly cancel: Cancel;
}

/** How many used or expired keys are remembered (to say "used" or "expired", not "unknown"). */
const TOMBSTONES = 10_000;

export class RendezvousTable<T> {
  readonly #scheduler: Scheduler;
  readonly #live = new Map<string, Live<T>>();
  readonly #dead = new Map<string, 'used' | 'expired'>();

  constructor(scheduler: Scheduler) {
    this.#scheduler = scheduler;
  }

  get size(): number {
    return this.#live.size;
  }

  /** Opens an address; `onExpire` runs if nobody takes it within `ttlMs`. Returns the entry. */
  create(
    kind: RendezvousKind,
    path: string,
    id: string,
    payload: T,
    ttlMs: number,
    onExpire: (entry: RendezvousEntry<T>) => void,
  ): RendezvousEntry<T> {
    const key = randomBytes(18).toString('base64url');
    const entry: RendezvousEntry<T> = Object.freeze({
      key,
      id,
      kind,
      path,
      payload,
      expiresAt: this.#scheduler.now() + ttlMs,
    });
    const cancel = this.#scheduler.schedule(ttlMs, () => {
      if (this.#live.get(key)?.entry !== entry) return;
      this.#live.delete(key);
      this.#bury(key, 'expired');
      onExpire(entry);
    });
    this.#live.set(key, { entry, cancel });
    return entry;
  }

  /** Claims the address `key` for one of `kinds` on `path`: works once, before expiry. */
  take(key: string, kinds: readonly RendezvousKind[], path: string): TakeResult<T> {
    const live = this.#live.get(key);
    if (live === undefined) {
      const why = this.#dead.get(key) ?? 'unknown';
      return { ok: false, why };
    }
    if (!kinds.includes(live.entry.kind) || live.entry.path !== path) {
      return { ok: false, why: 'mismatch' };
    }
    if (live.entry.expiresAt <= this.#scheduler.now()) {
      this.#drop(key, live, 'expired');
      return { ok: false, why: 'expired' };
    }
    this.#drop(key, live, 'used');
    return { ok: true, entry: live.entry };
  }

  /** Peeks without claiming (to check it before a delay, say). */
  peek(key: string): RendezvousEntry<T> | undefined {
    return this.#live.get(key)?.entry;
  }

  /** Withdraws an address (its request was answered or its sender went away). */
  cancel(key: string): void {
    const live = this.#live.get(key);
    if (live !== undefined) this.#drop(key, live, 'used');
  }

  /** Withdraws every address. */
  clear(): void {
    for (const [key, live] of [...this.#live]) this.#drop(key, live, 'used');
  }

  #drop(key: string, live: Live<T>, why: 'used' | 'expired'): void {
    live.cancel();
    this.#live.delete(key);
    this.#bury(key, why);
  }

  #bury(key: string, why: 'used' | 'expired'): void {
    this.#dead.set(key, why);
    if (this.#dead.size > TOMBSTONES) {
      const oldest = this.#dead.keys().next().value;
      if (oldest !== undefined) this.#dead.delete(oldest);
    }
  }
}
