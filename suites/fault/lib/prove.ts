// What every FAULT case does in npm test (docs/scenarios.md, "Proving a scenario"). In: the tap
// test, a scenario name, the deliberate defect that brings back the fault it names, and the
// checks that defect must fail. Out: the fast variant run against the reference relay with an
// assertion per expectation (expected, observed); then the same variant against the broken
// relay, which must fail at least one of the named checks — so the scenario is shown able to
// catch its fault. A conformance run (`relaycheck run`) checks the relay, not the scenario: it
// runs the first part only.
import type { Test } from 'tap';
import { loadScenario } from './load';
import { runScenario, type ScenarioRun } from './run';
import type { ExpectationName } from './schema';
import { defectDescription } from './defects-list';

export interface Proof {
  /** The deliberate defect (suites/fault/lib/defects.js). */
  readonly defect: string;
  /** The checks that must fail against it (at least one of them). */
  readonly catches: readonly ExpectationName[];
}

function summary(run: ScenarioRun): string {
  return run.verdicts.map((v) => `${v.pass ? 'pass' : 'FAIL'} ${v.what}: ${v.observed}`).join('\n');
}

/** Runs the fast variant against the reference relay, then against the broken one. */
export async function proveScenario(t: Test, name: string, proof: Proof): Promise<void> {
  const scenario = loadScenario(name);
  const run = await runScenario(scenario, { variant: 'fast', speed: 'max' });
  t.comment(
    `${scenario.case} ${name}: seed ${String(run.seed)}, ×${String(run.factor)}, sequence ${run.sequence.digest.slice(0, 16)}, ${String(run.wallMs)} ms`,
  );
  t.ok(run.settled, 'the run settled (every request answered, the requests queue quiet)');
  for (const v of run.verdicts) {
    t.ok(v.pass, v.what, { expected: v.expected, observed: v.observed });
  }
  if (process.env.RELAYCHECK_RESULTS !== undefined && process.env.RELAYCHECK_RESULTS !== '') {
    return;
  }
  const description = defectDescription(proof.defect);
  t.ok(description, `the defect ${proof.defect} exists`);
  const broken = await runScenario(scenario, {
    variant: 'fast',
    speed: 'max',
    defect: proof.defect,
  });
  const caught = broken.verdicts.filter((v) => !v.pass && proof.catches.includes(v.check));
  t.ok(caught.length > 0, `the scenario catches a relay where ${description ?? proof.defect}`, {
    expected: `a failed ${proof.catches.join(' or ')} check`,
    observed: summary(broken),
  });
  t.equal(broken.outcome, 'fail', 'the broken relay fails the scenario');
  t.equal(broken.sequence.digest, run.sequence.digest, 'the same seed planned the same sequence');
  const background = new Set(scenario.fast.timeline.flatMap((s, i) => (s.background ? [i] : [])));
  t.same(
    executed(broken, background),
    executed(run, background),
    'and both runs sent the same requests and applied the same steps in the same order',
  );
}

/**
 * The runner's own sends and steps, in the order they happened (not the relay's reactions). A
 * step run in the background ends when it ends, among sends that did not wait for it: those
 * steps are listed after the rest, in their own order (which is fixed: one after the other).
 */
function executed(run: ScenarioRun, background: ReadonlySet<number>): string[] {
  const aside: string[] = [];
  const inOrder = run.timeline.flatMap((e) => {
    if (e.lane === 'workload' && e.what.startsWith('send ')) return [e.what];
    const step = e.data?.step;
    const repeat = e.data?.repeat;
    if (e.lane === 'action' && typeof step === 'number') {
      const id = `step ${String(step)}.${typeof repeat === 'number' ? String(repeat) : '0'}`;
      if (!background.has(step)) return [id];
      aside.push(id);
    }
    return [];
  });
  return [...inOrder, ...aside];
}
