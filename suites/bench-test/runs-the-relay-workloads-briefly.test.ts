// The smoke run of `relaycheck bench relay`: every workload for one short step on min-spec, only
// to keep the harness working (no figure is judged here; timing belongs to the benchmark). In:
// the workloads of fixtures/workloads. Out: checks that each ran one step with answers, that the
// back office saw each answered request exactly once, that the direct baseline (no relay) ran
// the same step, that the relay ran in the profile's limits
// (the backend this machine allows) and was not killed, and that the text names the profile.
import t from 'tap';
import { detectCgroups } from '../bench/confine';
import { renderRelayLoad, runRelayLoad, workloadNames } from '../bench/workloads';

void t.test('every workload runs one step against a confined relay', async (t) => {
  const names = workloadNames();
  t.same(names, ['pdf-bills', 'retrievals', 'xml-posts'], 'the workloads there are files for');
  const r = await runRelayLoad({
    profile: 'min-spec',
    workloads: names,
    stepSeconds: 1,
    maxSteps: 1,
  });
  const cg = detectCgroups();
  t.equal(
    r.backend,
    cg.version === 'v1' ? 'cgroup-v1' : cg.version === 'v2' ? 'cgroup-v2' : 'approximate',
    'the best backend this machine allows',
  );
  t.equal(r.limits.memoryBytes, 512 * 1024 * 1024);
  t.equal(r.relay.killed, false, 'the relay lived through it');
  for (const w of r.workloads) {
    t.equal(w.steps.length, 1, `${w.workload}: one step`);
    t.ok(w.zeroLoss.answered > 0, `${w.workload}: requests were answered`);
    t.equal(w.zeroLoss.missing, 0, `${w.workload}: none missing at the back office`);
    t.equal(w.zeroLoss.duplicated, 0, `${w.workload}: none done twice`);
    t.ok(w.unitBytes > 0, `${w.workload}: the unit size is known`);
    t.equal(w.direct?.steps.length, 1, `${w.workload}: the direct baseline ran its step`);
    t.ok((w.direct?.steps[0]?.answered ?? 0) > 0, `${w.workload}: straight to the back office`);
  }
  const text = renderRelayLoad(r);
  t.match(text, /^profile min-spec: /);
  t.match(text, /retrievals: .*\n {2}offered\/s/);
});
