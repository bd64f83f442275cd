// The live progress of a run: records from results.jsonl turned into counts, the running case
// and the display (a line rewritten in place on a terminal, one line per case otherwise).
// In: catalogue-shaped cases and records. Out: snapshots and the text written.
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import type { Case } from '../../suites/catalogue';
import {
  ProgressTally,
  parseRecord,
  splitLines,
  tailResults,
  type ProgressRecord,
} from '../../suites/runner/progress';
import { elapsed, progressDisplay, statusLine } from '../src/commands/run-progress';

const mk = (id: string, level: 'must' | 'should' = 'must'): Case => ({
  id,
  area: id.startsWith('HS') ? 'hs' : 'route',
  title: `case ${id}`,
  requirement: 'r',
  source: 's',
  level,
  profiles: ['default'],
});
const cases = [mk('HS-001'), mk('HS-002', 'should'), mk('ROUTE-001')];

void t.test('whole lines are split off and a torn last line waits for its end', (t) => {
  t.same(splitLines('', '{"id":"A"}\n{"id"'), { lines: ['{"id":"A"}'], rest: '{"id"' });
  t.same(splitLines('{"id"', ':"B"}\n'), { lines: ['{"id":"B"}'], rest: '' });
  t.same(splitLines('', 'no newline'), { lines: [], rest: 'no newline' });
  t.equal(parseRecord('{"id":'), undefined, 'a torn record is not a record');
  t.equal(parseRecord('[1]'), undefined, 'nor is JSON without an id');
  t.end();
});

void t.test('the tally counts finished cases, maps should-failures, tracks running', (t) => {
  const tally = new ProgressTally(cases, 1000);
  const apply = (r: ProgressRecord): boolean => tally.apply(r);
  t.ok(apply({ id: 'HS-001', event: 'start' }));
  t.same(
    tally.snapshot(1500).running.map((c) => c.id),
    ['HS-001'],
  );
  t.ok(apply({ id: 'HS-001', outcome: 'pass', ms: 12 }));
  t.ok(apply({ id: 'HS-002', outcome: 'fail', ms: 3 }));
  t.notOk(apply({ id: 'HS-002', outcome: 'fail', ms: 3 }), 'a repeated end changes nothing');
  t.notOk(apply({ id: 'XX-999', outcome: 'pass' }), 'an unselected case changes nothing');
  const s = tally.snapshot(4000);
  t.equal(s.done, 2);
  t.equal(s.total, 3);
  t.same(
    s.counts,
    { pass: 1, 'non-strict': 1, fail: 0, skip: 0 },
    'a should-failure is non-strict',
  );
  t.equal(s.running.length, 0);
  t.equal(s.last?.case.id, 'HS-002');
  t.equal(s.elapsedMs, 3000);
  t.end();
});

void t.test('a terminal gets one line rewritten in place with area, case, counts and time', (t) => {
  const tally = new ProgressTally(cases, 0);
  tally.apply({ id: 'HS-001', outcome: 'fail', ms: 5 });
  tally.apply({ id: 'ROUTE-001', event: 'start' });
  const line = statusLine(tally.snapshot(75_000));
  t.match(line, /^\[1\/3\] 1m15s/);
  t.match(line, /1 FAIL/);
  t.match(line, /route ROUTE-001/);
  t.ok(statusLine(tally.snapshot(0), 20).length <= 20, 'clipped to the terminal width');
  let written = '';
  const d = progressDisplay((s) => (written += s), { tty: true, columns: 80 });
  d.update(tally.snapshot(1000));
  d.end();
  t.ok(written.startsWith('\r\x1b[2K[1/3]'), 'drawn over the previous line');
  t.ok(written.endsWith('\r\x1b[2K'), 'and cleared before the final output');
  t.end();
});

void t.test('without a terminal each finished case is one plain line, once', (t) => {
  const tally = new ProgressTally(cases, 0);
  let written = '';
  const d = progressDisplay((s) => (written += s), { tty: false });
  tally.apply({ id: 'HS-001', event: 'start' });
  d.update(tally.snapshot(10));
  t.equal(written, '', 'a start prints nothing');
  tally.apply({ id: 'HS-001', outcome: 'pass', ms: 42 });
  d.update(tally.snapshot(2000));
  d.update(tally.snapshot(2500));
  d.end();
  t.equal(written, '[1/3] HS-001 pass 42 ms (2s)\n');
  t.notOk(written.includes('\x1b'), 'no terminal control codes');
  t.equal(elapsed(3_599_000), '59m59s');
  t.end();
});

void t.test('the tail reads records as they are appended, including a split one', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'relaycheck-progress-'));
  t.teardown(() => {
    rmSync(dir, { recursive: true, force: true });
  });
  const file = join(dir, 'results.jsonl');
  const seen: string[] = [];
  const tail = tailResults(
    file,
    (r) => seen.push(`${r.id}:${r.event ?? r.outcome ?? '?'}`),
    () => undefined,
    60_000,
  );
  tail.poll();
  t.same(seen, [], 'no file yet: nothing, no error');
  writeFileSync(file, '{"id":"HS-001","event":"start"}\n{"id":"HS-0');
  tail.poll();
  t.same(seen, ['HS-001:start']);
  appendFileSync(file, '01","outcome":"pass","ms":1,"reason":"é"}\n');
  tail.stop();
  t.same(seen, ['HS-001:start', 'HS-001:pass'], 'the torn record completes on the next read');
  t.end();
});
