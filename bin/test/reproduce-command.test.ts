// `relaycheck reproduce`, in process, for everything that happens before a scenario runs (the
// runs themselves are the FAULT cases of suites/fault/). In: argv. Out: the list of scenarios,
// and exit code 2 with one clear line for an unknown scenario, defect or speed, or no scenario.
import t from 'tap';
import { main } from '../src/main';
import { listScenarios } from '../../suites/fault/lib/load';
import { capture } from './lib/capture';

async function cli(...args: string[]) {
  const io = capture();
  const code = await main(['node', 'relaycheck', 'reproduce', ...args], io);
  return { code, stdout: io.stdout, stderr: io.stderr };
}

void t.test('--list shows every scenario with its case id and symptom', async (t) => {
  const r = await cli('--list');
  t.equal(r.code, 0);
  for (const s of listScenarios()) {
    t.match(r.stdout, s.case, `${s.case} is listed`);
    t.match(r.stdout, s.name, `${s.name} is listed`);
  }
  t.match(r.stdout, /symptom it reproduces/);
});

void t.test('usage errors exit 2 with one line and run nothing', async (t) => {
  const cases: [string[], RegExp][] = [
    [[], /needs a scenario/],
    [
      ['no-such-scenario'],
      /SCENARIO_E_UNKNOWN: no scenario "no-such-scenario" \(known: .*tcp-ports-closed-midday/,
    ],
    [['FAULT-999'], /SCENARIO_E_UNKNOWN/],
    [['tcp-ports-closed-midday', '--speed', '3'], /--speed is 1, 10 or max/],
    [
      ['tcp-ports-closed-midday', '--defect', 'no-such-defect'],
      /no defect "no-such-defect" \(known: .*sticky-https/,
    ],
    [['tcp-ports-closed-midday', '--seed', '-1'], /seed/],
  ];
  for (const [args, message] of cases) {
    const r = await cli(...args);
    t.equal(r.code, 2, `${args.join(' ') || '(nothing)'} exits 2`);
    t.match(r.stderr, message);
    t.equal(r.stderr.trim().split('\n').length, 1, 'one line');
    t.equal(r.stdout, '', 'nothing ran');
  }
});
