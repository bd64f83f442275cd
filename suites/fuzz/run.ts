// `npm run fuzz`: every parser against hostile input. In: the run count per target, a seed
// and an optional name filter. Out: a report per target (inputs accepted, refused with a
// typed error by code, the slowest input) and the findings: any untyped exception, any input
// slower than the slow bound, and any hang (no progress for `hangMs`: the worker is killed).
// IO edge: one worker thread per target, two at a time.
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { listTargets, type TargetRef } from './targets';

export interface WorkerRequest {
  readonly file: string;
  readonly exportName: string;
  readonly runs: number;
  readonly seed: number;
  readonly slowMs: number;
  readonly heartbeat: SharedArrayBuffer;
}

export interface WorkerReport {
  readonly name: string;
  readonly runs: number;
  readonly accepted: number;
  readonly refused: number;
  readonly codes: Readonly<Record<string, number>>;
  readonly slowestMs: number;
  readonly failure: string | undefined;
}

export interface FuzzOptions {
  readonly runs: number;
  readonly seed: number;
  readonly filter?: string;
  /** An input slower than this is a finding (default 1,000 ms). */
  readonly slowMs?: number;
  /** No progress for this long is a hang: the worker is terminated (default 20,000 ms). */
  readonly hangMs?: number;
  /**
   * How long the worker may take to load its target and reach the first input (default
   * 120,000 ms). Loading is not a hang: under load it can take seconds.
   */
  readonly startMs?: number;
  readonly onReport?: (r: FuzzResult) => void;
  /** Where the targets are (default suites/fuzz/targets/); tests use a fixture folder. */
  readonly targetsDir?: string;
}

export type FuzzResult =
  | (WorkerReport & { readonly hung: false })
  | { readonly name: string; readonly hung: true; readonly runs: number; readonly failure: string };

function runOne(ref: TargetRef, options: FuzzOptions): Promise<FuzzResult> {
  const heartbeat = new SharedArrayBuffer(4);
  const beat = new Int32Array(heartbeat);
  const request: WorkerRequest = {
    file: ref.file,
    exportName: ref.exportName,
    runs: options.runs,
    seed: options.seed,
    slowMs: options.slowMs ?? 1000,
    heartbeat,
  };
  const hangMs = options.hangMs ?? 20_000;
  const startMs = options.startMs ?? 120_000;
  return new Promise((resolve) => {
    const worker = new Worker(join(__dirname, 'worker.js'), { workerData: request });
    let settled = false;
    let last = 0;
    let lastChange = Date.now();
    const finish = (result: FuzzResult): void => {
      if (settled) return;
      settled = true;
      clearInterval(watchdog);
      void worker.terminate();
      resolve(result);
    };
    const watchdog = setInterval(() => {
      const now = Atomics.load(beat, 0);
      if (now !== last) {
        last = now;
        lastChange = Date.now();
        return;
      }
      // The heartbeat counts inputs begun: 0 means the worker is still loading its target.
      const started = now > 0;
      const bound = started ? hangMs : startMs;
      if (Date.now() - lastChange <= bound) return;
      finish({
        name: ref.name,
        hung: true,
        runs: now,
        failure: started
          ? `no progress for ${hangMs} ms at input #${now - 1} (replay with --seed ${options.seed})`
          : `the worker did not reach its first input within ${startMs} ms`,
      });
    }, 250);
    worker.on('message', (r: WorkerReport) => {
      finish({ ...r, hung: false });
    });
    const crashed = (failure: string): FuzzResult => ({
      name: ref.name,
      hung: false,
      runs: Atomics.load(beat, 0),
      accepted: 0,
      refused: 0,
      codes: {},
      slowestMs: 0,
      failure,
    });
    worker.on('error', (e) => {
      finish(crashed(`worker crashed: ${e.stack ?? e.message}`));
    });
    worker.on('exit', (code) => {
      finish(crashed(`worker exited with code ${code} before reporting`));
    });
  });
}

/** Runs every selected target, two at a time; resolves with one result per target. */
export async function fuzzAll(options: FuzzOptions): Promise<FuzzResult[]> {
  const refs = listTargets(options.targetsDir).filter(
    (r) =>
      options.filter === undefined || r.name.toLowerCase().includes(options.filter.toLowerCase()),
  );
  const results: FuzzResult[] = new Array<FuzzResult>(refs.length);
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < refs.length) {
      const i = next++;
      const ref = refs[i];
      if (ref === undefined) return;
      const r = await runOne(ref, options);
      results[i] = r;
      options.onReport?.(r);
    }
  };
  await Promise.all([lane(), lane()]);
  return results;
}
