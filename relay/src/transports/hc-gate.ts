// Bounded concurrency for dispatched requests. In: work items that want a slot. Out: each item
// is started at once (fewer than maxActive running), queued in arrival order (fewer than
// maxQueued waiting), or refused ('full'); leave() hands the freed slot to the oldest waiter.
// Pure bookkeeping: starting an item means calling its start() callback.

export interface GateEntry {
  start(): void;
}

export type GateVerdict = 'started' | 'queued' | 'full';

export class ConcurrencyGate {
  readonly #maxActive: number;
  readonly #maxQueued: number;
  #active = 0;
  readonly #queue: GateEntry[] = [];

  constructor(maxActive: number, maxQueued: number) {
    this.#maxActive = maxActive;
    this.#maxQueued = maxQueued;
  }

  get active(): number {
    return this.#active;
  }

  get queued(): number {
    return this.#queue.length;
  }

  /** Starts `entry` now, queues it, or refuses it when the queue is full. */
  enter(entry: GateEntry): GateVerdict {
    if (this.#active < this.#maxActive) {
      this.#active++;
      entry.start();
      return 'started';
    }
    if (this.#queue.length < this.#maxQueued) {
      this.#queue.push(entry);
      return 'queued';
    }
    return 'full';
  }

  /** Frees the slot of a started entry and starts the oldest waiter, if any. */
  leave(): void {
    if (this.#active === 0) return;
    const next = this.#queue.shift();
    if (next === undefined) {
      this.#active--;
      return;
    }
    next.start();
  }

  /** Removes a waiting entry (deadline, shutdown). True when it was waiting. */
  remove(entry: GateEntry): boolean {
    const i = this.#queue.indexOf(entry);
    if (i === -1) return false;
    this.#queue.splice(i, 1);
    return true;
  }

  /** Removes and returns every waiting entry. */
  drain(): GateEntry[] {
    return this.#queue.splice(0, this.#queue.length);
  }
}
