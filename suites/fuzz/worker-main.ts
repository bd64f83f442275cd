// One fuzz target in a worker thread. In (workerData): the target's module and export name,
// the run count, the seed and a shared heartbeat counter. Out (message): how many inputs were
// accepted, refused with a typed error, the slowest input, and the first untyped exception
// (shrunk by fast-check, with seed and path to replay it).
import { parentPort, workerData } from 'node:worker_threads';
import { performance } from 'node:perf_hooks';
import fc from 'fast-check';
import { isRelaycheckError } from '../../relay/src/protocol/errors';
import { loadTarget } from './targets';
import type { WorkerReport, WorkerRequest } from './run';

const request = workerData as WorkerRequest;
const beat = new Int32Array(request.heartbeat);
const target = loadTarget(request.file, request.exportName);
let accepted = 0;
let refused = 0;
let slowestMs = 0;
const codes: Record<string, number> = {};

const property = fc.property(target.arbitrary, (input) => {
  Atomics.add(beat, 0, 1);
  const start = performance.now();
  try {
    target.run(input);
    accepted += 1;
  } catch (e) {
    if (!isRelaycheckError(e)) throw e;
    refused += 1;
    codes[e.code] = (codes[e.code] ?? 0) + 1;
  } finally {
    slowestMs = Math.max(slowestMs, performance.now() - start);
  }
  const ms = performance.now() - start;
  if (ms >= request.slowMs) {
    throw new Error(`input took ${ms.toFixed(1)} ms, over the ${request.slowMs} ms bound`);
  }
});

const details = fc.check(property, { numRuns: request.runs, seed: request.seed });

/** fast-check's report plus the exception itself, which its default report leaves out. */
function describeFailure(): string {
  const report = fc.defaultReportMessage(details) ?? 'failed';
  const error: unknown = details.errorInstance;
  // JSON.stringify gives undefined for undefined and functions, whatever its type says.
  const json = JSON.stringify(error) as string | undefined;
  const text = error instanceof Error ? (error.stack ?? error.message) : (json ?? 'unknown');
  return `${report}\nthrew: ${text.split('\n').slice(0, 4).join('\n')}`;
}

const report: WorkerReport = {
  name: target.name,
  runs: details.numRuns,
  accepted,
  refused,
  codes,
  slowestMs,
  failure: details.failed ? describeFailure() : undefined,
};
parentPort?.postMessage(report);
