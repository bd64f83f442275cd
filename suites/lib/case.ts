// Declares one conformance case as a tap subtest. In: a catalogued case id and the test
// body. Out: a tap subtest named "<id> <title>", and, when RELAYCHECK_RESULTS names a file
// (set by `relaycheck run`), one JSON line per case with its outcome and duration.
// RELAYCHECK_ONLY (a comma-separated id list) leaves out the cases a run did not select.
import { appendFileSync } from 'node:fs';
import t from 'tap';
import { findCase } from '../catalogue';

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
  readonly failures?: readonly string[];
}

export interface CaseOptions {
  /** Skip with this exact reason (CASES.md: a skip always says why). */
  readonly skip?: string;
}

function record(result: CaseResult): void {
  const file = process.env.RELAYCHECK_RESULTS;
  if (file !== undefined && file !== '') appendFileSync(file, JSON.stringify(result) + '\n');
}

/** The ids chosen by `relaycheck run` (RELAYCHECK_ONLY), or undefined for all. */
function selectedIds(): Set<string> | undefined {
  const only = process.env.RELAYCHECK_ONLY;
  return only === undefined || only === '' ? undefined : new Set(only.split(','));
}

/** Runs `fn` as the test of catalogued case `id`. Throws at load time for an unknown id. */
export function kase(id: string, fn: CaseBody, options: CaseOptions = {}): Promise<void> {
  const c = findCase(id);
  if (c === undefined) throw new Error(`${id} is not in the catalogue (suites/catalogue/)`);
  if (selectedIds()?.has(id) === false) return Promise.resolve();
  const name = `${c.id} ${c.title}`;
  if (options.skip !== undefined) {
    record({ id, outcome: 'skip', ms: 0, reason: options.skip });
    return t.test(name, { skip: options.skip }, fn).then(() => undefined);
  }
  const start = process.hrtime.bigint();
  return t.test(name, fn).then((final) => {
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    const results = final as SubtestResults | null;
    const failures = (results?.failures ?? []).map((f) =>
      f.fullname === '' ? f.name : f.fullname,
    );
    record({
      id,
      outcome: results?.ok === false ? 'fail' : 'pass',
      ms: Math.round(ms * 10) / 10,
      ...(failures.length > 0 ? { failures } : {}),
    });
  });
}
