// The run's pure parts: case selection and outcome mapping. In: catalogue entries and
// recorded results. Out: the selected cases and outcomes.
import t from 'tap';
import type { Case } from '../../suites/catalogue';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { childEnv, readResults, toOutcome } from '../../suites/runner/run';
import { globToRegExp, selectCases } from '../../suites/runner/select';

const mk = (id: string, level: 'must' | 'should' = 'must'): Case => ({
  id,
  area: id.startsWith('HS') ? 'hs' : 'ip',
  title: `case ${id}`,
  requirement: 'r',
  source: 's',
  level,
  profiles: ['default'],
});
const cat = [mk('HS-001'), mk('HS-002'), mk('HS-010'), mk('IP-001')];

void t.test('globs match whole case ids, case-insensitively', (t) => {
  t.ok(globToRegExp('HS-00*').test('HS-001'));
  t.notOk(globToRegExp('HS-00*').test('HS-010'));
  t.ok(globToRegExp('hs-0?0').test('HS-010'));
  t.notOk(globToRegExp('HS-0').test('HS-001'), 'no prefix match without a star');
  t.ok(globToRegExp('a.b').test('a.b'));
  t.notOk(globToRegExp('a.b').test('axb'), 'a dot is literal');
  t.end();
});

void t.test('selection applies area, include and exclude together', (t) => {
  t.same(
    selectCases(cat, {}).map((c) => c.id),
    ['HS-001', 'HS-002', 'HS-010', 'IP-001'],
  );
  t.same(
    selectCases(cat, { areas: ['ip'] }).map((c) => c.id),
    ['IP-001'],
  );
  t.same(
    selectCases(cat, { include: ['HS-*'], exclude: ['HS-002'] }).map((c) => c.id),
    ['HS-001', 'HS-010'],
  );
  t.same(selectCases(cat, { areas: ['hs'], include: ['IP-*'] }), []);
  t.end();
});

void t.test('a failed should-level case is non-strict and a failed must-level case fails', (t) => {
  t.equal(toOutcome(mk('HS-001'), { id: 'HS-001', outcome: 'fail', ms: 1 }).outcome, 'fail');
  t.equal(
    toOutcome(mk('HS-001', 'should'), { id: 'HS-001', outcome: 'fail', ms: 1 }).outcome,
    'non-strict',
  );
  t.equal(toOutcome(mk('HS-001'), { id: 'HS-001', outcome: 'pass', ms: 1 }).outcome, 'pass');
  t.same(
    toOutcome(mk('HS-001'), { id: 'HS-001', outcome: 'fail', ms: 1, failures: ['a > b'] }).failures,
    ['a > b'],
    'the failed assertions are kept for the report',
  );
  const skip = toOutcome(mk('HS-001'), {
    id: 'HS-001',
    outcome: 'skip',
    ms: 0,
    reason: 'needs root',
  });
  t.same([skip.outcome, skip.reason], ['skip', 'needs root']);
  t.end();
});

void t.test('a case whose test never reported fails with that reason', (t) => {
  const o = toOutcome(mk('HS-001'), undefined);
  t.equal(o.outcome, 'fail');
  t.match(o.reason, /did not report/);
  t.end();
});

void t.test('the tap child does not inherit the parent tap process settings', (t) => {
  const env = childEnv(
    {
      PATH: '/bin',
      TAP: '1',
      TAP_CHILD_ID: '3',
      _TAPJS_PROCESSINFO: 'x',
      NODE_OPTIONS: '--import=@tapjs/x',
    },
    { RELAYCHECK_RESULTS: '/tmp/r' },
  );
  t.same(env, { PATH: '/bin', RELAYCHECK_RESULTS: '/tmp/r' });
  t.same(childEnv({ NODE_OPTIONS: '--max-old-space-size=512' }, {}), {
    NODE_OPTIONS: '--max-old-space-size=512',
  });
  t.end();
});

void t.test('a torn results line loses only its own case, never the run', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'relaycheck-results-'));
  t.teardown(() => {
    rmSync(dir, { recursive: true, force: true });
  });
  const file = join(dir, 'results.jsonl');
  writeFileSync(
    file,
    '{"id":"HS-001","outcome":"pass","ms":1}\n{"id":"HS-002","outc\n{"id":"HS-003","outcome":"fail","ms":2}\n',
  );
  const results = readResults(file);
  t.same([...results.keys()], ['HS-001', 'HS-003']);
  t.equal(toOutcome(mk('HS-002'), results.get('HS-002')).outcome, 'fail', 'the torn case fails');
  t.end();
});
