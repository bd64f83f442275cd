// Time for the Hybrid Connections endpoint: the clock that checks token expiry and the timers
// behind response deadlines, rendezvous expiry, token expiry and injected delays. In: delays
// and callbacks. Out: a cancel function per timer. systemScheduler uses the real clock and
// setTimeout; ManualScheduler is driven by advance() so tests never sleep.
import type { Clock } from '../../../../relay/src/protocol/primitives';

/** Cancels a scheduled callback; calling it twice, or after it fired, does nothing. */
export type Cancel = () => void;

export interface Scheduler extends Clock {
  /** Runs `fn` once, `delayMs` from now (negative or 0: as soon as possible). */
  schedule(delayMs: number, fn: () => void): Cancel;
}

/** setTimeout's largest delay; longer ones are re-armed in steps. */
const MAX_TIMER_MS = 2_147_483_647;

/** The real clock and real timers (unref'd: they never keep a process alive). */
export const systemScheduler: Scheduler = Object.freeze({
  now: () => Date.now(),
  schedule(delayMs: number, fn: () => void): Cancel {
    const due = Date.now() + Math.max(0, delayMs);
    let timer: NodeJS.Timeout | undefined;
    const arm = (): void => {
      const left = due - Date.now();
      timer = setTimeout(
        () => {
          if (due - Date.now() > 0) arm();
          else fn();
        },
        Math.min(Math.max(0, left), MAX_TIMER_MS),
      );
      timer.unref();
    };
    arm();
    return () => {
      if (timer !== undefined) clearTimeout(timer);
    };
  },
});

interface ManualTimer {
  readonly due: number;
  readonly seq: number;
  readonly fn: () => void;
  cancelled: boolean;
}

/** A clock that only moves when told to; timers fire inside advance(), in due order. */
export class ManualScheduler implements Scheduler {
  #now: number;
  #seq = 0;
  #timers: ManualTimer[] = [];

  constructor(startMs: number = Date.now()) {
    this.#now = startMs;
  }

  now(): number {
    return this.#now;
  }

  schedule(delayMs: number, fn: () => void): Cancel {
    const timer: ManualTimer = {
      due: this.#now + Math.max(0, delayMs),
      seq: this.#seq++,
      fn,
      cancelled: false,
    };
    this.#timers.push(timer);
    return () => {
      timer.cancelled = true;
    };
  }

  /** Timers still waiting. */
  get pending(): number {
    return this.#timers.filter((t) => !t.cancelled).length;
  }

  /**
   * Moves the clock forward by `ms`, firing every timer that falls due (also timers the
   * callbacks schedule within the window), at most 100,000 of them. Returns how many fired.
   */
  advance(ms: number): number {
    const end = this.#now + Math.max(0, ms);
    let fired = 0;
    for (let guard = 0; guard < 100_000; guard += 1) {
      this.#timers = this.#timers.filter((t) => !t.cancelled);
      let next: ManualTimer | undefined;
      for (const t of this.#timers) {
        if (
          t.due <= end &&
          (next === undefined || t.due < next.due || (t.due === next.due && t.seq < next.seq))
        )
          next = t;
      }
      if (next === undefined) break;
      next.cancelled = true;
      this.#now = Math.max(this.#now, next.due);
      fired += 1;
      next.fn();
    }
    this.#now = end;
    return fired;
  }
}
