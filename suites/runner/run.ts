// Runs conformance cases and collects their outcomes. In: a selection of catalogued cases
// and an output folder. Out: one outcome per case (pass, non-strict, fail, skip) with its
// duration, the run's report in <out>/ (report.json, junit.xml, summary.md) and tap's log in
// <out>/tap.log. IO edge: spawns tap on the test files that declare the selected cases.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Case, Profile } from '../catalogue';
import {
  buildReport,
  collectEnvironment,
  writeReport,
  type Report,
  type ReportEnvironment,
  type ReportPaths,
} from '../../reports/src';
import type { Selection } from './select';
import type { CaseResult } from '../lib/case';
import { REPO_ROOT, scanDeclarations } from '../lib/scan';

export type Outcome = 'pass' | 'non-strict' | 'fail' | 'skip';

export interface CaseOutcome {
  readonly case: Case;
  readonly outcome: Outcome;
  readonly ms: number;
  readonly reason?: string;
  /** The failed assertions the case's test recorded (evidence for the report). */
  readonly failures?: readonly string[];
}

export interface RunSummary {
  readonly outcomes: readonly CaseOutcome[];
  readonly counts: Readonly<Record<Outcome, number>>;
  readonly outDir: string;
  readonly seed: number | undefined;
  /** 1 when a `must` case failed (or any failure under `strict`), else 0. */
  readonly exitCode: number;
  /** The run's report document, as written to `paths.reportJson`. */
  readonly report: Report;
  readonly paths: ReportPaths;
}

export interface RunOptions {
  readonly cases: readonly Case[];
  readonly outDir: string;
  readonly seed?: number;
  /** Should-level failures fail the run too. */
  readonly strict?: boolean;
  /** Where the case files are (default suites/); tests point this at a fixture suite. */
  readonly suitesDir?: string;
  /** What the report says about how the cases were chosen (the filters already applied). */
  readonly profile?: Profile;
  readonly selection?: Selection;
  /** The command line, for the report (redacted there). */
  readonly command?: string;
  /** The machine facts for the report (default: this process's, see collectEnvironment). */
  readonly environment?: ReportEnvironment;
}

const TAP_BIN = join(REPO_ROOT, 'node_modules', 'tap', 'dist', 'esm', 'run.mjs');

/** The environment for the tap child: ours, less what a parent tap process set for itself. */
export function childEnv(env: NodeJS.ProcessEnv, extra: Record<string, string>): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(env)) {
    if (/^(TAP|_TAPJS)/.test(k)) continue;
    if (k === 'NODE_OPTIONS' && v?.includes('@tapjs') === true) continue;
    out[k] = v;
  }
  return { ...out, ...extra };
}

function spawnTap(files: readonly string[], env: NodeJS.ProcessEnv, log: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const out = createWriteStream(log);
    const child = spawn(
      process.execPath,
      [TAP_BIN, '--disable-coverage', '--reporter=tap', '--jobs=2', ...files],
      { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    child.stdout.pipe(out, { end: false });
    child.stderr.pipe(out, { end: false });
    child.on('error', reject);
    child.on('close', (code) => {
      out.end(() => {
        resolve(code ?? 1);
      });
    });
  });
}

/**
 * The recorded results, by case id. A line that is not a whole JSON record (a test process
 * killed mid-write) is skipped, so its case is reported as "did not report" instead of the
 * whole run failing.
 */
export function readResults(file: string): Map<string, CaseResult> {
  const byId = new Map<string, CaseResult>();
  if (!existsSync(file)) return byId;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (line.trim() === '') continue;
    try {
      const r = JSON.parse(line) as CaseResult;
      if (typeof r.id === 'string') byId.set(r.id, r);
    } catch {
      // a torn line: its case stays unreported
    }
  }
  return byId;
}

/** Maps a recorded result (or its absence) to the outcome of the run. */
export function toOutcome(c: Case, r: CaseResult | undefined): CaseOutcome {
  if (r === undefined) {
    return {
      case: c,
      outcome: 'fail',
      ms: 0,
      reason: 'the test file did not report this case (see tap.log)',
    };
  }
  const reason = r.reason ?? r.failures?.join('; ');
  const outcome: Outcome =
    r.outcome === 'fail' ? (c.level === 'should' ? 'non-strict' : 'fail') : r.outcome;
  return {
    case: c,
    outcome,
    ms: r.ms,
    ...(reason !== undefined ? { reason } : {}),
    ...(r.failures !== undefined && r.failures.length > 0 ? { failures: r.failures } : {}),
  };
}

/** A run id: the start time (UTC, to the second) and 6 random hex digits. */
export function runId(startedAt: Date): string {
  const stamp = startedAt
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  return `${stamp}-${randomBytes(3).toString('hex')}`;
}

/** Runs the given cases through tap and summarises them. */
export async function runCases(options: RunOptions): Promise<RunSummary> {
  const startedAt = new Date();
  mkdirSync(options.outDir, { recursive: true });
  const ids = new Set(options.cases.map((c) => c.id));
  const files = [
    ...new Set(
      scanDeclarations(options.suitesDir)
        .filter((d) => ids.has(d.id))
        .map((d) => d.file),
    ),
  ];
  const resultsFile = join(options.outDir, 'results.jsonl');
  writeFileSync(resultsFile, '');
  if (files.length > 0) {
    await spawnTap(
      files,
      childEnv(process.env, {
        RELAYCHECK_RESULTS: resultsFile,
        RELAYCHECK_ONLY: [...ids].join(','),
        ...(options.seed !== undefined ? { FC_SEED: String(options.seed) } : {}),
      }),
      join(options.outDir, 'tap.log'),
    );
  }
  const recorded = readResults(resultsFile);
  const outcomes = options.cases.map((c) => toOutcome(c, recorded.get(c.id)));
  const counts: Record<Outcome, number> = { pass: 0, 'non-strict': 0, fail: 0, skip: 0 };
  for (const o of outcomes) counts[o.outcome] += 1;
  const report = buildReport({
    id: runId(startedAt),
    startedAt,
    endedAt: new Date(),
    seed: options.seed,
    strict: options.strict === true,
    profile: options.profile,
    selection: options.selection,
    command: options.command,
    environment: options.environment ?? collectEnvironment(),
    outcomes,
  });
  const paths = writeReport(options.outDir, report);
  return {
    outcomes,
    counts,
    outDir: options.outDir,
    seed: options.seed,
    exitCode: report.verdict.ready ? 0 : 1,
    report,
    paths,
  };
}
