// Runs conformance cases and collects their outcomes. In: a selection of catalogued cases
// and an output folder. Out: one outcome per case (pass, non-strict, fail, skip) with its
// duration, the run's report in <out>/ (report.json, junit.xml, summary.md) and tap's log in
// <out>/tap.log. IO edge: spawns tap on the test files that declare the selected cases (and
// `clamd --version`, for the report's antivirus facts).
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  accessSync,
  constants as fsConstants,
  createWriteStream,
  existsSync,
  mkdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import type { Case, Profile } from '../catalogue';
import {
  buildReport,
  clamdFacts,
  collectEnvironment,
  writeReport,
  type AntivirusFacts,
  type Report,
  type ReportEnvironment,
  type ReportPaths,
} from '../../reports/src';
import type { Selection } from './select';
import { RunError } from './errors';
import { ProgressTally, parseRecord, tailResults, type RunProgress } from './progress';
import { setUpExternal, type ExternalRelayBrief } from './external';
import { STAGE_ENV, freePorts } from '../lib/stage';
import { TARGET_ENV, describeTarget, writeTarget, type Target } from '../lib/target';
import { checkTarget } from './azure';

/** Why a case did not run against an external relay. */
export const NEEDS_REFERENCE_RELAY =
  "needs the reference relay's internals (its own events, a changed config, or stopping and " +
  'restarting it): not run against an external relay';
/** Why a case did not run against the council's own namespaces. */
export const SIMULATOR_ONLY =
  "runs against the simulator only (it reads the simulator's own records, changes its network, " +
  'firewall or faults, or checks relay code no namespace takes part in): not run with --target azure';
import type { CaseResult } from '../lib/case';
import { REPO_ROOT, scanDeclarations } from '../lib/scan';
import { AV_CASES_SCANNER_MODE } from '../lib/clamd';

export type Outcome = 'pass' | 'non-strict' | 'fail' | 'skip';

export interface CaseOutcome {
  readonly case: Case;
  readonly outcome: Outcome;
  readonly ms: number;
  readonly reason?: string;
  /** The failed assertions the case's test recorded (evidence for the report). */
  readonly failures?: readonly string[];
  readonly assertions?: CaseResult['assertions'];
  readonly events?: CaseResult['events'];
  readonly eventsDropped?: number;
  readonly metrics?: CaseResult['metrics'];
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
  /**
   * A relay relaycheck did not write (`--relay external`): the cases that can run against it
   * (catalogue `external`) run on one stage; the rest are skipped with the reason.
   */
  readonly external?: {
    /** Where to write the config the relay must run with. */
    readonly relayConfigPath: string;
    /** How long to wait for the relay to connect before RUN_E_RELAY_ABSENT. */
    readonly waitMs: number;
    /** Told what the relay must use, before the wait starts. */
    readonly onBrief?: (brief: ExternalRelayBrief) => void;
  };
  /**
   * The council's own namespaces (`--target azure`): the cases that make sense there (catalogue
   * `azure`) run one world at a time against them; the rest are skipped with the reason. The
   * process must already trust `target.caFile` (NODE_EXTRA_CA_CERTS) when it names one.
   */
  readonly target?: {
    readonly target: Target;
    /** Bound of the set-up check of the namespaces (default 60 s). */
    readonly checkMs?: number;
    /** Told what the run uses (hosts, rules; no key) before the check starts. */
    readonly onBrief?: (text: string) => void;
  };
  /** Called as cases start and end (and on a display refresh), for a live progress display. */
  readonly onProgress?: (progress: RunProgress) => void;
  /**
   * What the report's security section states about the antivirus scanner: the relay's scanner
   * mode in the case worlds (default: the relay's, fail-closed) and, when given, whether clamd
   * was there; without `clamdAvailable` the run asks `clamd --version` (clamdFacts).
   */
  readonly antivirus?: AntivirusFacts;
}

const TAP_BIN = join(REPO_ROOT, 'node_modules', 'tap', 'dist', 'esm', 'run.mjs');

/** The environment for the tap child: ours, less what a parent tap process set for itself. */
export function childEnv(env: NodeJS.ProcessEnv, extra: Record<string, string>): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(env)) {
    if (/^(TAP|_TAPJS)/.test(k)) continue;
    // A re-run for a CA (bin/src/ca-rerun.ts) marks itself; its children decide afresh.
    if (k === 'RELAYCHECK_CA_RERUN') continue;
    if (k === 'NODE_OPTIONS' && v?.includes('@tapjs') === true) continue;
    out[k] = v;
  }
  return { ...out, ...extra };
}

function spawnTap(
  files: readonly string[],
  env: NodeJS.ProcessEnv,
  log: string,
  jobs = 2,
): Promise<number> {
  return new Promise((resolve, reject) => {
    if (!existsSync(TAP_BIN)) {
      reject(
        new RunError('RUN_E_TOOLING', `the tap runner is not installed (${TAP_BIN}): run npm ci`, {
          path: TAP_BIN,
        }),
      );
      return;
    }
    const out = createWriteStream(log);
    const child = spawn(
      process.execPath,
      [TAP_BIN, '--disable-coverage', '--reporter=tap', `--jobs=${String(jobs)}`, ...files],
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
    // A torn line is no record (its case stays unreported); a start line is not a result.
    const r = parseRecord(line);
    if (r !== undefined && r.event === undefined) byId.set(r.id, r as CaseResult);
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
    ...(r.assertions !== undefined ? { assertions: r.assertions } : {}),
    ...(r.events !== undefined ? { events: r.events } : {}),
    ...(r.eventsDropped !== undefined ? { eventsDropped: r.eventsDropped } : {}),
    ...(r.metrics !== undefined ? { metrics: r.metrics } : {}),
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

/** Creates the output folder and checks it takes files; RUN_E_OUT_DIR otherwise. */
function prepareOutDir(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true });
    accessSync(dir, fsConstants.W_OK);
  } catch (e) {
    const errno = (e as NodeJS.ErrnoException).code ?? 'EIO';
    throw new RunError('RUN_E_OUT_DIR', `cannot write the output folder ${dir} (${errno})`, {
      path: dir,
      errno,
    });
  }
}

/** Opens and closes a listener on 127.0.0.1:0; RUN_E_LOOPBACK when that is impossible. */
export async function checkLoopback(): Promise<void> {
  try {
    await freePorts(['check']);
  } catch (e) {
    const errno = (e as NodeJS.ErrnoException).code ?? 'EIO';
    throw new RunError('RUN_E_LOOPBACK', `cannot listen on 127.0.0.1 (${errno})`, { errno });
  }
}

/**
 * What a reader of tap's log needs to see why nothing ran: the first error line (a thrown
 * Error's message) and the last `lines` lines; '' when the log cannot be read.
 */
export function logExcerpt(file: string, lines = 12): string {
  let text: string;
  try {
    text = readFileSync(file, 'utf8').trimEnd();
  } catch {
    return '';
  }
  const all = text.split('\n');
  const first = all.find((l) => /\b(?:[A-Z]\w*)?Error\b: /.test(l))?.trim();
  const last = all.slice(-lines).join('\n');
  return first === undefined || last.includes(first) ? last : `${first}\n...\n${last}`;
}

/**
 * Runs the given cases through tap and summarises them. Throws a RunError when the
 * environment cannot be set up (the output folder, tap, loopback), or when tap ends without
 * any selected case reporting.
 */
export async function runCases(options: RunOptions): Promise<RunSummary> {
  const startedAt = new Date();
  prepareOutDir(options.outDir);
  await checkLoopback();
  const external = options.external;
  const azure = options.target;
  if (external !== undefined && azure !== undefined) {
    throw new Error('runCases: an external relay against an Azure target is not supported');
  }
  const runnable =
    external !== undefined
      ? options.cases.filter((c) => c.external === true)
      : azure !== undefined
        ? options.cases.filter((c) => c.azure === true)
        : options.cases;
  const ids = new Set(runnable.map((c) => c.id));
  const files = [
    ...new Set(
      scanDeclarations(options.suitesDir)
        .filter((d) => ids.has(d.id))
        .map((d) => d.file),
    ),
  ];
  const resultsFile = join(options.outDir, 'results.jsonl');
  writeFileSync(resultsFile, '');
  const tapLog = join(options.outDir, 'tap.log');
  let tapCode = 0;
  const caseEnv: Record<string, string> = {};
  if (external !== undefined && files.length > 0) {
    const setup = await setUpExternal(options.outDir, external.relayConfigPath);
    try {
      external.onBrief?.(setup.brief);
      await setup.waitForRelay(external.waitMs);
    } finally {
      await setup.close();
    }
    caseEnv[STAGE_ENV] = setup.stageFile;
  }
  const targetFile = join(options.outDir, 'target.json');
  if (azure !== undefined && files.length > 0) {
    azure.onBrief?.(`target: ${describeTarget(azure.target)}\n`);
    const ca =
      azure.target.caFile === undefined ? undefined : readFileSync(azure.target.caFile, 'utf8');
    await checkTarget(azure.target, azure.checkMs, ca);
    // The case processes read the target from here; it holds keys (0600, removed at the end).
    writeTarget(targetFile, azure.target);
    caseEnv[TARGET_ENV] = targetFile;
  }
  if (files.length > 0) {
    // The live progress follows the results file while the cases run.
    const tally = new ProgressTally(runnable, startedAt.getTime());
    const onProgress = options.onProgress;
    const tail =
      onProgress === undefined
        ? undefined
        : tailResults(
            resultsFile,
            (r) => {
              if (tally.apply(r)) onProgress(tally.snapshot(Date.now()));
            },
            () => {
              onProgress(tally.snapshot(Date.now()));
            },
          );
    try {
      tapCode = await spawnTap(
        files,
        childEnv(process.env, {
          RELAYCHECK_RESULTS: resultsFile,
          RELAYCHECK_ONLY: [...ids].join(','),
          ...(options.seed !== undefined ? { FC_SEED: String(options.seed) } : {}),
          ...caseEnv,
        }),
        tapLog,
        // One relay serves the whole run, or the cases share the target's entities: one case
        // world at a time.
        external === undefined && azure === undefined ? 2 : 1,
      );
    } finally {
      tail?.stop();
      if (azure !== undefined) rmSync(targetFile, { force: true });
    }
  }
  const recorded = readResults(resultsFile);
  if (files.length > 0 && tapCode !== 0 && runnable.every((c) => !recorded.has(c.id))) {
    throw new RunError(
      'RUN_E_NOTHING_RAN',
      `tap exited with code ${tapCode} before any selected case reported (see ${tapLog})`,
      { path: tapLog, tail: logExcerpt(tapLog) },
    );
  }
  const outcomes = options.cases.map((c) =>
    ids.has(c.id)
      ? toOutcome(c, recorded.get(c.id))
      : {
          case: c,
          outcome: 'skip' as const,
          ms: 0,
          reason: external !== undefined ? NEEDS_REFERENCE_RELAY : SIMULATOR_ONLY,
        },
  );
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
    ...(external !== undefined
      ? { relay: 'external' as const, relayConfig: external.relayConfigPath }
      : {}),
    ...(azure !== undefined
      ? {
          target: 'azure' as const,
          namespaces: {
            serviceBus: {
              host: azure.target.serviceBus.host,
              keyName: azure.target.serviceBus.keyName,
            },
            relay: {
              host: azure.target.relayNamespace.host,
              keyName: azure.target.relayNamespace.keyName,
            },
            tenant: azure.target.tenant.id,
          },
        }
      : {}),
    environment: options.environment ?? collectEnvironment(),
    outcomes,
    antivirus: {
      scannerMode: AV_CASES_SCANNER_MODE,
      ...(options.antivirus?.clamdAvailable === undefined ? clamdFacts() : {}),
      ...options.antivirus,
    },
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
