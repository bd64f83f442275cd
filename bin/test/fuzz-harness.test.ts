// The fuzz harness finds what it must: untyped exceptions, slow inputs and hangs, and
// passes a sound target. In: the fixture targets. Out: one result per target.
import { join } from 'node:path';
import t from 'tap';
import { fuzzAll } from '../../suites/fuzz/run';
import { listTargets } from '../../suites/fuzz/targets';

const targetsDir = join(__dirname, 'fixtures', 'fuzz-targets');

void t.test('the project registers a fuzz target for every parser named by the issue', (t) => {
  const names = listTargets().map((r) => r.name.toLowerCase());
  for (const parser of [
    'hello',
    'welcome',
    'envelope metadata',
    'sas',
    'json',
    'xml',
    'xml content guard',
    'pdf guard',
    'file name',
  ]) {
    t.ok(
      names.some((n) => n.includes(parser)),
      `a target covers ${parser}`,
    );
  }
  t.end();
});

void t.test('the harness reports untyped exceptions, slow inputs and hangs', async (t) => {
  const results = await fuzzAll({ runs: 200, seed: 1, targetsDir, slowMs: 20, hangMs: 1500 });
  const by = Object.fromEntries(results.map((r) => [r.name, r]));
  const sound = by.sound;
  t.ok(sound !== undefined && !sound.hung && sound.failure === undefined, 'a sound target passes');
  if (sound !== undefined && !sound.hung) {
    t.equal(sound.runs, 200);
    t.equal(sound.accepted + sound.refused, 200, 'every input is counted');
    t.ok((sound.codes.FIX_E_ODD ?? 0) > 0, 'typed refusals are counted by code');
  }
  t.match(by.untyped?.failure, /untyped failure at/, 'an untyped exception is a finding');
  t.match(by.slow?.failure, /over the 20 ms bound/, 'an input over the slow bound is a finding');
  t.equal(by.hangs?.hung, true, 'a target that never returns is reported as a hang');
  const slowToLoad = by['slow to load'];
  t.ok(
    slowToLoad !== undefined && !slowToLoad.hung && slowToLoad.failure === undefined,
    'a target that takes longer to load than the hang bound is not a hang',
  );
  t.match(by.hangs?.failure, /no progress for 1500 ms/);
});
