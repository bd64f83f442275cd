// Time for the Hybrid Connections listener, injected so that tests drive it. In: callbacks and
// delays in milliseconds. Out: opaque timer handles and the current time (ms since the epoch).
// The listener never reads Date.now() or calls setTimeout itself: it goes through a Scheduler.

/** An opaque handle for a scheduled callback. */
export interface TimerHandle {
  readonly __timer: unknown;
}

/** The clock and one-shot timers the listener uses. */
export interface Scheduler {
  /** Milliseconds since the Unix epoch. */
  now(): number;
  /** Runs `fn` once after `ms` milliseconds. */
  setTimer(fn: () => void, ms: number): TimerHandle;
  /** Cancels a timer; a handle that already ran or was cleared is ignored. */
  clearTimer(handle: TimerHandle): void;
}

/** Uniform random numbers in [0, 1): the reconnect jitter source. */
export type RandomSource = () => number;

/** Real time: Date.now() and setTimeout. Timers keep the process alive (a relay is a daemon). */
export const systemScheduler: Scheduler = Object.freeze({
  now: () => Date.now(),
  setTimer: (fn: () => void, ms: number): TimerHandle =>
    setTimeout(fn, ms) as unknown as TimerHandle,
  clearTimer: (handle: TimerHandle): void => {
    clearTimeout(handle as unknown as NodeJS.Timeout);
  },
});
