// Declares one conformance case as a tap subtest. In: a catalogued case id and the test
// body. Out: a tap subtest named "<id> <title>", and, when RELAYCHECK_RESULTS names a file
// (set by `relaycheck run`), a start line as each case begins (for the live progress) and one
// JSON line per case with its outcome, duration and evidence
// (assertions, the event log slice, metrics: see evidence.ts). RELAYCHECK_ONLY (a
// comma-separated id list) leaves out the cases a run did not select.
import { appendFileSync } from 'node:fs';
import t from 'tap';
import { findCase } from '../catalogue';
import {
  captureEnabled,
  openCaseEvidence,
  scrubText,
  stripCasePrefix,
  type CaseEvidence,
  type CaseRecorder,
  type EvidenceAssertion,
  type EvidenceEvent,
  type EvidenceMetric,
} from './evidence';

/** The body of a case: a tap test function. */
export type CaseBody = (t: tap.Test) => unknown;

/** What tap resolves a subtest with (the part of FinalResults this module reads). */
interface SubtestResults {
  readonly ok: boolean;
  readonly failures: readonly { readonly name: string; readonly fullname: string }[];
}

/** The record `relaycheck run` reads back for each case. */
export interface CaseResult {
  readonly id: string;
  readonly outcome: 'pass' | 'fail' | 'skip';
  readonly ms: number;
  readonly reason?: string;
  /** The failed assertions, without the "<id> <title> > " prefix (nested: "sub > message"). */
  readonly failures?: readonly string[];
  /** Every assertion (passing ones: at most 200, names only; failed ones with details). */
  readonly assertions?: readonly EvidenceAssertion[];
  /** The case's slice of the event log (at most 400: the first and last 200). */
  readonly events?: readonly EvidenceEvent[];
  /** Events left out of `events`. */
  readonly eventsDropped?: number;
  /** Measurements the case recorded (recordMetric); evidence only, never asserted on. */
  readonly metrics?: readonly EvidenceMetric[];
}

export interface CaseOptions {
  /** Skip with this exact reason (CASES.md: a skip always says why). */
  readonly skip?: string;
}

function appendLine(line: CaseResult | { readonly id: string; readonly event: 'start' }): void {
  const file = process.env.RELAYCHECK_RESULTS;
  if (file !== undefined && file !== '') appendFileSync(file, JSON.stringify(line) + '\n');
}

/** The ids chosen by `relaycheck run` (RELAYCHECK_ONLY), or undefined for all. */
function selectedIds(): Set<string> | undefined {
  const only = process.env.RELAYCHECK_ONLY;
  return only === undefined || only === '' ? undefined : new Set(only.split(','));
}

/** The evidence of a finished case; never throws (a capture fault must not lose the outcome). */
function finishEvidence(recorder: CaseRecorder | undefined): CaseEvidence {
  try {
    return recorder?.finish() ?? {};
  } catch {
    return {};
  }
}

/** Runs `fn` as the test of catalogued case `id`. Throws at load time for an unknown id. */
export function kase(id: string, fn: CaseBody, options: CaseOptions = {}): Promise<void> {
  const c = findCase(id);
  if (c === undefined) throw new Error(`${id} is not in the catalogue (suites/catalogue/)`);
  if (selectedIds()?.has(id) === false) return Promise.resolve();
  const name = `${c.id} ${c.title}`;
  if (options.skip !== undefined) {
    appendLine({ id, outcome: 'skip', ms: 0, reason: options.skip });
    return t.test(name, { skip: options.skip }, fn).then(() => undefined);
  }
  const capture = captureEnabled();
  let recorder: CaseRecorder | undefined;
  let start = process.hrtime.bigint();
  // Capture only when results are recorded: plain `npm test` runs the body as it always did.
  const body: CaseBody = capture
    ? (st) => {
        start = process.hrtime.bigint();
        // For the run's live progress: this case is running now.
        appendLine({ id, event: 'start' });
        recorder = openCaseEvidence(name);
        recorder.watch(st);
        return recorder.run(() => fn(st));
      }
    : fn;
  return t.test(name, body).then((final) => {
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    const evidence = finishEvidence(recorder);
    const results = final as SubtestResults | null;
    const failures = (results?.failures ?? []).map((f) =>
      scrubText(stripCasePrefix(f.fullname === '' ? f.name : f.fullname, name)),
    );
    appendLine({
      id,
      outcome: results?.ok === false ? 'fail' : 'pass',
      ms: Math.round(ms * 10) / 10,
      ...(failures.length > 0 ? { failures } : {}),
      ...evidence,
    });
  });
}
