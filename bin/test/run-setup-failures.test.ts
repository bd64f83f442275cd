// When the run's environment cannot be set up, `relaycheck run` says why and exits 3, and the
// runner throws a typed RunError. In: an output path under a regular file, a suite whose test
// process dies before any case reports. Out: the code, the reason and the exit code.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { findCase } from '../../suites/catalogue';
import { RunError } from '../../suites/runner/errors';
import { runCases } from '../../suites/runner/run';
import { main } from '../src/main';
import { capture } from './lib/capture';

function tmp(t: tap.Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'relaycheck-run-setup-'));
  t.teardown(() => {
    rmSync(dir, { recursive: true, force: true });
  });
  return dir;
}

void t.test('an output folder that cannot be created exits 3 with RUN_E_OUT_DIR', async (t) => {
  const dir = tmp(t);
  const file = join(dir, 'a-file');
  writeFileSync(file, 'not a folder');
  const io = capture();
  const code = await main(
    ['node', 'relaycheck', 'run', '--case', 'HS-001', '--out', join(file, 'run')],
    io,
  );
  t.equal(code, 3, 'exit code 3: the environment could not be set up');
  t.match(io.stderr, /the environment could not be set up: RUN_E_OUT_DIR: .*a-file\/run/);
  t.match(io.stderr, /ENOTDIR|EEXIST/, 'with the reason from the file system');
  t.equal(io.stdout, '', 'and no verdict on stdout');
});

void t.test('a suite whose test process dies before reporting is RUN_E_NOTHING_RAN', async (t) => {
  const dir = tmp(t);
  const c = findCase('HS-001');
  if (c === undefined) throw new Error('HS-001 is not catalogued');
  const error = await runCases({
    cases: [c],
    outDir: join(dir, 'out'),
    suitesDir: join(__dirname, 'fixtures', 'run-suite-broken'),
  }).then(
    () => undefined,
    (e: unknown) => e,
  );
  t.ok(error instanceof RunError, 'a typed RunError');
  const e = error as RunError;
  t.equal(e.code, 'RUN_E_NOTHING_RAN');
  t.match(e.message, /before any selected case reported/);
  t.match(String(e.details.tail), /cannot start \(fixture\)/, "with the end of tap's log");
});
