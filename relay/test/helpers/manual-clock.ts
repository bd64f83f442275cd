// One manual clock for the relay's unit tests and the messaging internals suites. In:
// advance(ms) / runNext() calls from a test. Out: a relay Scheduler (and a Clock) whose time
// moves only when told; timers run in due order (ties in creation order), including timers
// made by timers inside the advanced window; the delays asked for and those still pending.
import type { Scheduler, TimerHandle } from '../../src/transports/scheduler';

interface Entry {
  readonly id: number;
  readonly at: number;
  readonly fn: () => void;
}

export class ManualClock implements Scheduler {
  #now: number;
  #seq = 0;
  readonly #timers = new Map<number, Entry>();
  /** Every delay asked for, in order. */
  readonly requested: number[] = [];

  /**
   * `start`: the first now(). `maxTimersPerAdvance`: the most timers one advance() runs (a guard
   * against timers that re-arm themselves at the same instant).
   */
  constructor(
    start: number,
    readonly maxTimersPerAdvance = 10_000,
  ) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  setTimer(fn: () => void, ms: number): TimerHandle {
    const id = ++this.#seq;
    this.requested.push(ms);
    this.#timers.set(id, { id, at: this.#now + Math.max(0, ms), fn });
    return { __timer: id };
  }

  clearTimer(handle: TimerHandle): void {
    this.#timers.delete(handle.__timer as number);
  }

  /** Due times (relative to now) of the timers still waiting, soonest first. */
  pending(): number[] {
    return this.#sorted().map((e) => e.at - this.#now);
  }

  /** Moves time forward by `ms`, running every timer that falls due on the way. */
  advance(ms: number): void {
    const end = this.#now + ms;
    for (let guard = 0; guard < this.maxTimersPerAdvance; guard++) {
      const next = this.#sorted()[0];
      if (next === undefined || next.at > end) break;
      this.#timers.delete(next.id);
      this.#now = Math.max(this.#now, next.at);
      next.fn();
    }
    this.#now = end;
  }

  /** Runs the soonest timer (moving time to it); returns how far time moved, or undefined. */
  runNext(): number | undefined {
    const next = this.#sorted()[0];
    if (next === undefined) return undefined;
    const moved = Math.max(0, next.at - this.#now);
    this.advance(moved);
    return moved;
  }

  #sorted(): Entry[] {
    return [...this.#timers.values()].sort((a, b) => a.at - b.at || a.id - b.id);
  }
}
