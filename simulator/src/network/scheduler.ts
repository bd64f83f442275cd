// Time for the network model, injected. In: delays asked for by the fault proxies (latency,
// bandwidth, slicer, slow close, timeouts, resets). Out: callbacks run after those delays on
// the real clock (systemScheduler) or when a test says so (ManualScheduler in testing.ts),
// so that no test has to sleep and timing never decides a verdict.

/** A pending callback that can be cancelled. */
export interface TimerHandle {
  cancel(): void;
}

export interface Scheduler {
  /** Milliseconds on this scheduler's clock. */
  now(): number;
  /** Runs `fn` once after `ms` milliseconds (ms ≥ 0). */
  schedule(ms: number, fn: () => void): TimerHandle;
}

/** Real time: Date.now() and unref'd timers (an idle model does not keep Node alive). */
export const systemScheduler: Scheduler = Object.freeze({
  now: () => Date.now(),
  schedule(ms: number, fn: () => void): TimerHandle {
    const t = setTimeout(fn, Math.max(0, ms));
    t.unref();
    return {
      cancel: () => {
        clearTimeout(t);
      },
    };
  },
});
