// A manual clock and timer queue for listener tests. In: advance(ms) / runNext() calls from the
// test. Out: timers run in due order (ties in creation order), including timers created by
// other timers inside the advanced window; now() moves only when the test says so.
import type { Scheduler, TimerHandle } from '../../../src/transports/scheduler';

interface Entry {
  readonly id: number;
  readonly at: number;
  readonly ms: number;
  readonly fn: () => void;
}

export class FakeScheduler implements Scheduler {
  #now: number;
  #seq = 0;
  readonly #timers = new Map<number, Entry>();

  constructor(start = Date.UTC(2025, 0, 1)) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  setTimer(fn: () => void, ms: number): TimerHandle {
    const id = ++this.#seq;
    this.#timers.set(id, { id, at: this.#now + Math.max(0, ms), ms, fn });
    return { __timer: id };
  }

  clearTimer(handle: TimerHandle): void {
    this.#timers.delete(handle.__timer as number);
  }

  /** The delays (as set) of the pending timers, soonest first. */
  pending(): { dueIn: number; ms: number }[] {
    return this.#sorted().map((e) => ({ dueIn: e.at - this.#now, ms: e.ms }));
  }

  /** Moves time forward by `ms`, running every timer that falls due on the way. */
  advance(ms: number): void {
    const end = this.#now + ms;
    for (let guard = 0; guard < 100_000; guard++) {
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
