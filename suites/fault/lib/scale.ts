// Virtual-time acceleration of a scenario (docs/scenarios.md, "Speed"). In: a scenario variant,
// the speed asked for (1, 10 or "max") and the scenario's maxSpeed. Out: the factor, and copies
// of config patches and fault rules with every duration divided by it. Pure.
//
// What scales: the timeline's times, the workload's pace and reply timeouts, and every field
// named `ms` or ending in `Ms` (or `Seconds`) of the world and relay patches and of back-office
// fault rules: these are the clocks the relay and simulator let a scenario set. What does not:
// network toxics (a link's latency and bandwidth), the relay's defaults a scenario did not set,
// the Service Bus SDK's and TCP's own timers. A scenario's maxSpeed is the highest factor at
// which its scaled values stay valid and meaningful.
import { ScenarioError } from './errors';

export type Speed = 1 | 10 | 'max';

/** The factor a run divides scenario durations by. */
export function speedFactor(speed: Speed, maxSpeed: number): number {
  if (speed === 'max') return maxSpeed;
  if (speed > maxSpeed) {
    throw new ScenarioError(
      'SCENARIO_E_UNKNOWN',
      `--speed ${String(speed)} is above this scenario's maxSpeed (${String(maxSpeed)}): its relay timings cannot be shortened that far`,
      { name: String(speed) },
    );
  }
  return speed;
}

/** Parses --speed. */
export function parseSpeed(text: string): Speed {
  if (text === '1') return 1;
  if (text === '10') return 10;
  if (text === 'max') return 'max';
  throw new ScenarioError('SCENARIO_E_UNKNOWN', `--speed is 1, 10 or max, not "${text}"`, {
    name: text,
  });
}

const DURATION_KEY = /^(ms|.+Ms|.+Seconds)$/;

/** Scenario ms → wall ms; never 0 for a positive duration. */
export function scaleMs(ms: number, factor: number): number {
  if (ms <= 0) return ms;
  return Math.max(1, Math.round(ms / factor));
}

/**
 * A deep copy of `value` with every duration field (`ms`, `*Ms`, `*Seconds`) divided by `factor`
 * (arrays of numbers under such a key too, e.g. reconnectDelaysMs). Seconds stay whole.
 */
export function scaleDurations<T>(value: T, factor: number): T {
  const walk = (v: unknown, durationKey: boolean, seconds: boolean): unknown => {
    if (typeof v === 'number' && durationKey) {
      if (seconds) return v <= 0 ? v : Math.max(1, Math.round(v / factor));
      return scaleMs(v, factor);
    }
    if (Array.isArray(v)) return v.map((x) => walk(x, durationKey, seconds));
    if (typeof v === 'object' && v !== null) {
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) {
        out[k] = walk(x, DURATION_KEY.test(k), k.endsWith('Seconds'));
      }
      return out;
    }
    return v;
  };
  return walk(value, false, false) as T;
}
