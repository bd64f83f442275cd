// The timeline of one scenario run: what was done to the relay and what it did, in scenario
// time. In: events as they happen (the runner's own actions and sends, the relay's events, the
// simulated world's events) with the wall time they happened at. Out: ordered entries in lanes,
// each with its scenario time (wall time since the start × the speed factor), a live line per
// notable entry for `relaycheck reproduce`, and counts of what was left out once the bound is
// reached. Pure but for the clock it is given.

/** The lanes of the timeline chart. */
export const LANES = ['workload', 'action', 'connection', 'delivery', 'world', 'check'] as const;
export type Lane = (typeof LANES)[number];

export interface TimelineEntry {
  /** Scenario time, ms from the start. */
  readonly t: number;
  readonly lane: Lane;
  /** A short line: "firewall: block 9350-9354 (reject)", "mode tcp → https". */
  readonly what: string;
  /** Where it came from: runner, relay (child n), or the world channel. */
  readonly source: string;
  /** Notable entries are printed live; the rest only go to the report and the chart. */
  readonly notable: boolean;
  readonly data?: Readonly<Record<string, unknown>>;
}

/** The most entries a timeline keeps (a long run keeps its first ones and counts the rest). */
export const TIMELINE_BOUND = 20_000;

export class Timeline {
  readonly entries: TimelineEntry[] = [];
  /** Entries left out once the bound was reached, per lane. */
  readonly dropped = new Map<Lane, number>();
  readonly #factor: number;
  readonly #now: () => number;
  readonly #onEntry: ((e: TimelineEntry) => void) | undefined;
  #t0: number | undefined;

  constructor(factor: number, now: () => number, onEntry?: (e: TimelineEntry) => void) {
    this.#factor = factor;
    this.#now = now;
    this.#onEntry = onEntry;
  }

  /** Marks the start (scenario time 0). Entries before it are at t = 0. */
  start(): void {
    this.#t0 = this.#now();
  }

  get started(): boolean {
    return this.#t0 !== undefined;
  }

  /** Scenario time now. */
  now(): number {
    return this.at(this.#now());
  }

  /** Scenario time of wall time `wall`. */
  at(wall: number): number {
    if (this.#t0 === undefined) return 0;
    return Math.max(0, Math.round((wall - this.#t0) * this.#factor));
  }

  add(
    lane: Lane,
    what: string,
    options: {
      readonly source?: string;
      readonly notable?: boolean;
      readonly data?: Readonly<Record<string, unknown>>;
      readonly wall?: number;
    } = {},
  ): void {
    const entry: TimelineEntry = {
      t: this.at(options.wall ?? this.#now()),
      lane,
      what,
      source: options.source ?? 'runner',
      notable: options.notable ?? true,
      ...(options.data === undefined ? {} : { data: options.data }),
    };
    if (this.entries.length >= TIMELINE_BOUND) {
      this.dropped.set(lane, (this.dropped.get(lane) ?? 0) + 1);
    } else {
      this.entries.push(entry);
    }
    if (entry.notable) this.#onEntry?.(entry);
  }
}

/** One live line: "+  12.3s  action      firewall: block 9350-9354 (reject)". */
export function formatEntry(e: TimelineEntry): string {
  const s = (e.t / 1000).toFixed(1).padStart(7);
  return `+${s}s  ${e.lane.padEnd(10)}  ${e.what}`;
}
