// The file drops' sweeper while the relay runs. In: a sweep function (the router's: it removes
// temporary files of drops a crash cut short that are older than a bound), the bound, how often
// to sweep, a scheduler, callbacks for what was removed and for a failure. Out: a sweep every
// `everyMs` after the previous one ended (never two at once), until stop(). Without it, the
// temporary files of a crash shortly before a start (too young for the start's sweep to tell
// from another relay's write under way) stayed until the next restart, possibly for ever.
import { systemScheduler, type Scheduler, type TimerHandle } from '../transports/scheduler';

export interface SweeperOptions {
  /** Removes temporary files older than the bound; resolves to how many. */
  readonly sweep: (olderThanMs: number) => Promise<number>;
  readonly olderThanMs: number;
  readonly everyMs: number;
  readonly scheduler?: Scheduler;
  /** After a sweep that removed something. */
  readonly onSwept?: (removed: number) => void;
  /** After a sweep that failed (the next one still runs). */
  readonly onError?: (error: unknown) => void;
}

export interface Sweeper {
  /** No sweep starts after this; one under way finishes on its own. */
  stop(): void;
}

/** Starts sweeping every `everyMs`. */
export function startSweeper(options: SweeperOptions): Sweeper {
  const scheduler = options.scheduler ?? systemScheduler;
  let stopped = false;
  let timer: TimerHandle | undefined;
  const next = (): void => {
    if (stopped) return;
    timer = scheduler.setTimer(() => {
      timer = undefined;
      options.sweep(options.olderThanMs).then(
        (n) => {
          if (n > 0 && !stopped) options.onSwept?.(n);
          next();
        },
        (e: unknown) => {
          if (!stopped) options.onError?.(e);
          next();
        },
      );
    }, options.everyMs);
  };
  next();
  return {
    stop() {
      stopped = true;
      if (timer !== undefined) scheduler.clearTimer(timer);
      timer = undefined;
    },
  };
}
