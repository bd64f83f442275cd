// The live progress of a run, read from the results file the cases append to. In: the path
// of results.jsonl (one JSON record per line, written by suites/lib/case.ts as each case
// starts and ends) and a listener. Out: a RunProgress after each new record — cases done of
// the total, counts by outcome, the case now running and the last one finished. The file is
// read from where the last read stopped; a torn last line waits for its end.
import { closeSync, openSync, readSync } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import type { Case } from '../catalogue';
import type { Outcome } from './run';

export interface ProgressRecord {
  readonly id: string;
  /** 'start' when the case began; absent on the end-of-case record. */
  readonly event?: 'start';
  readonly outcome?: 'pass' | 'fail' | 'skip';
  readonly ms?: number;
}

export interface RunProgress {
  readonly total: number;
  readonly done: number;
  readonly counts: Readonly<Record<Outcome, number>>;
  /** The cases started and not yet finished, oldest first. */
  readonly running: readonly Case[];
  readonly last?: { readonly case: Case; readonly outcome: Outcome; readonly ms: number };
  /** Milliseconds since the run started. */
  readonly elapsedMs: number;
}

/** Splits `carry + chunk` into whole lines and the unfinished rest. Pure. */
export function splitLines(carry: string, chunk: string): { lines: string[]; rest: string } {
  const text = carry + chunk;
  const cut = text.lastIndexOf('\n');
  if (cut < 0) return { lines: [], rest: text };
  return {
    lines: text
      .slice(0, cut)
      .split('\n')
      .filter((l) => l.trim() !== ''),
    rest: text.slice(cut + 1),
  };
}

/** Parses one record line; undefined for anything that is not one. Pure. */
export function parseRecord(line: string): ProgressRecord | undefined {
  try {
    const r = JSON.parse(line) as Partial<ProgressRecord> | null;
    if (r === null || typeof r !== 'object' || typeof r.id !== 'string') return undefined;
    return r as ProgressRecord;
  } catch {
    return undefined;
  }
}

/** The progress state machine: records in, snapshots out. Pure apart from the clock given. */
export class ProgressTally {
  readonly #byId: ReadonlyMap<string, Case>;
  readonly #running = new Map<string, Case>();
  readonly #done = new Set<string>();
  readonly #counts: Record<Outcome, number> = { pass: 0, 'non-strict': 0, fail: 0, skip: 0 };
  #last: RunProgress['last'];

  constructor(
    cases: readonly Case[],
    private readonly startedAt: number,
  ) {
    this.#byId = new Map(cases.map((c) => [c.id, c]));
  }

  /** Applies one record; false when it changed nothing (unknown case, repeated end). */
  apply(r: ProgressRecord): boolean {
    const c = this.#byId.get(r.id);
    if (c === undefined || this.#done.has(r.id)) return false;
    if (r.event === 'start') {
      this.#running.set(r.id, c);
      return true;
    }
    if (r.outcome === undefined) return false;
    this.#running.delete(r.id);
    this.#done.add(r.id);
    const outcome: Outcome =
      r.outcome === 'fail' ? (c.level === 'should' ? 'non-strict' : 'fail') : r.outcome;
    this.#counts[outcome] += 1;
    this.#last = { case: c, outcome, ms: r.ms ?? 0 };
    return true;
  }

  snapshot(now: number): RunProgress {
    return {
      total: this.#byId.size,
      done: this.#done.size,
      counts: { ...this.#counts },
      running: [...this.#running.values()],
      ...(this.#last !== undefined ? { last: this.#last } : {}),
      elapsedMs: Math.max(0, now - this.startedAt),
    };
  }
}

export interface ResultsTail {
  /** Reads what is new now (also called on a timer). */
  poll(): void;
  /** A last read, then no more. */
  stop(): void;
}

/**
 * Follows `file`: every `everyMs` (a display refresh, never a test's synchronisation) it reads
 * the bytes added since the last read and reports each whole record; `onTick` is also called
 * on each refresh so a display can update its clock.
 */
export function tailResults(
  file: string,
  onRecord: (r: ProgressRecord) => void,
  onTick: () => void,
  everyMs = 250,
): ResultsTail {
  let offset = 0;
  let carry = '';
  let stopped = false;
  const decoder = new StringDecoder('utf8');
  const buf = Buffer.alloc(64 * 1024);
  const poll = (): void => {
    let fd: number;
    try {
      fd = openSync(file, 'r');
    } catch {
      return; // not written yet
    }
    try {
      for (;;) {
        const n = readSync(fd, buf, 0, buf.length, offset);
        if (n <= 0) break;
        offset += n;
        const { lines, rest } = splitLines(carry, decoder.write(buf.subarray(0, n)));
        carry = rest;
        for (const line of lines) {
          const r = parseRecord(line);
          if (r !== undefined) onRecord(r);
        }
      }
    } finally {
      closeSync(fd);
    }
  };
  const timer = setInterval(() => {
    poll();
    onTick();
  }, everyMs);
  timer.unref();
  return {
    poll,
    stop: () => {
      if (stopped) return;
      stopped = true;
      clearInterval(timer);
      poll();
      onTick();
    },
  };
}
