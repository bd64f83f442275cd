// Runs a fixture suite of bin/test/fixtures/run-suite-evidence/ the way `relaycheck run` does:
// a tap child on the file with RELAYCHECK_RESULTS set. In: the fixture's file name and extra
// environment. Out: the case records it wrote (by id), the raw results text and tap's output.
// The child is bounded in time (killed by its PID after `boundMs`) and its folder removed at
// teardown.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CaseResult } from '../../lib/case';
import { REPO_ROOT } from '../../lib/scan';
import { childEnv } from '../../runner/run';

export const FIXTURES = join(REPO_ROOT, 'bin', 'test', 'fixtures', 'run-suite-evidence');
const TAP_BIN = join(REPO_ROOT, 'node_modules', 'tap', 'dist', 'esm', 'run.mjs');

export interface FixtureRun {
  readonly code: number | null;
  /** The results file as written (one JSON line per case). */
  readonly text: string;
  readonly byId: ReadonlyMap<string, CaseResult>;
  readonly output: string;
  /** A scratch folder of the run (removed at teardown). */
  readonly dir: string;
}

export async function runFixture(
  t: tap.Test,
  file: string,
  env: Readonly<Record<string, string>> = {},
  boundMs = 240_000,
): Promise<FixtureRun> {
  const dir = mkdtempSync(join(tmpdir(), 'relaycheck-evidence-'));
  t.teardown(() => {
    rmSync(dir, { recursive: true, force: true });
  });
  const results = join(dir, 'results.jsonl');
  const child = spawn(
    process.execPath,
    [TAP_BIN, '--disable-coverage', '--reporter=tap', join(FIXTURES, file)],
    {
      cwd: REPO_ROOT,
      env: childEnv(process.env, { ...env, RELAYCHECK_RESULTS: results }),
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  child.stdout.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr.on('data', (c: Buffer) => (output += c.toString()));
  const bound = setTimeout(() => {
    if (child.pid !== undefined && child.exitCode === null) process.kill(child.pid, 'SIGKILL');
  }, boundMs);
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (c) => {
      resolve(c);
    });
  });
  clearTimeout(bound);
  let text = '';
  try {
    text = readFileSync(results, 'utf8');
  } catch {
    // no case reported: the caller's assertions say so
  }
  const byId = new Map<string, CaseResult>();
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const r = JSON.parse(line) as CaseResult;
    byId.set(r.id, r);
  }
  return { code, text, byId, output, dir };
}
