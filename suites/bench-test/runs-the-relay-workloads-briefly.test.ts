// The smoke run of `relaycheck bench --profile min-spec`: every workload for one short step on
// min-spec, only to keep the harness working (no figure is judged here; timing belongs to the
// benchmark). In: the workloads of fixtures/workloads. Out: checks that each ran one step with
// answers, that every accepted request reached the back office (journal, share folder) exactly
// once, that the direct baseline ran the same step, that hyco-https ran the retrievals, that
// the relay ran in the profile's limits (the backend this machine allows) and was not killed,
// that the text holds the summary with the ratios and the targets, and that the report folder
// (report.json with the bench section, index.html with charts) is written and reads back.
import { readdirSync, readFileSync } from 'node:fs';
import t from 'tap';
import { detectCgroups } from '../bench/confine';
import { renderRelayLoad, runRelayLoad, workloadNames } from '../bench/workloads';
import { writeBenchReport } from '../bench/bench-section';
import { readReport } from '../../reports/src';

// Six workloads, their baselines and two listeners starting at 1 GHz: longer than tap's 120 s.
t.setTimeout(420_000);

void t.test('every workload runs one step against a confined relay', async (t) => {
  const names = workloadNames();
  t.same(
    names,
    ['day-in-the-life', 'evidence-1mb', 'evidence-20mb', 'pdf-bills', 'retrievals', 'xml-posts'],
    'the workloads there are files for',
  );
  const r = await runRelayLoad({
    profile: 'min-spec',
    workloads: names,
    stepSeconds: 1,
    maxSteps: 1,
    repeats: 1,
  });
  const cg = detectCgroups();
  t.equal(
    r.backend,
    cg.version === 'v1' ? 'cgroup-v1' : cg.version === 'v2' ? 'cgroup-v2' : 'approximate',
    'the best backend this machine allows',
  );
  t.equal(r.limits.memoryBytes, 512 * 1024 * 1024);
  t.equal(r.relay.killed, false, 'the relay lived through it');
  t.same(
    r.workloads.map((w) => w.workload),
    names,
    'every workload has a result',
  );
  for (const w of r.workloads) {
    t.equal(w.steps.length, 1, `${w.workload}: one step`);
    t.ok((w.zeroLoss?.answered ?? 0) > 0, `${w.workload}: requests were answered`);
    t.equal(w.zeroLoss?.missing, 0, `${w.workload}: none missing at the far end`);
    t.equal(w.zeroLoss?.duplicated, 0, `${w.workload}: none done twice`);
    t.ok(w.unitBytes > 0, `${w.workload}: the unit size is known`);
    if (cg.version !== undefined) {
      t.ok((w.cpuMsPerRequest ?? 0) > 0, `${w.workload}: the relay's CPU per request is read`);
    }
    const direct = w.baselines.find((b) => b.name === 'direct');
    t.equal(direct?.steps.length, 1, `${w.workload}: the direct baseline ran its step`);
    t.ok((direct?.steps[0]?.answered ?? 0) > 0, `${w.workload}: straight to the back office`);
    t.ok(
      w.targets.some((x) => x.what === `${w.workload}: zero loss` && x.met === true),
      `${w.workload}: the zero-loss target line says met`,
    );
  }
  const evidence = r.workloads.find((w) => w.workload === 'evidence-20mb');
  t.ok(
    (evidence?.unitBytes ?? 0) >= 20 * 1024 * 1024,
    'the 20 MB evidence workload moved 20 MB files',
  );
  const retrievals = r.workloads.find((w) => w.workload === 'retrievals');
  const hyco = retrievals?.baselines.find((b) => b.name === 'hyco-https');
  t.ok((hyco?.steps[0]?.answered ?? 0) > 0, 'hyco-https answered the retrievals');
  t.ok(r.targets.length >= 2, 'the whole run’s targets are stated');
  const text = renderRelayLoad(r);
  t.match(text, /^profile min-spec: /);
  t.match(text, /retrievals: .*\n {2}offered\/s/);
  t.match(text, /summary \(relay figures[^\n]*\n[^\n]*relay\/direct[^\n]*relay\/hyco/);
  t.match(text, /Azure's own ceilings: Service Bus Standard namespace 1,000 messages\/s/);
  const dir = t.testdir();
  const paths = writeBenchReport(dir, r, 'relaycheck bench relay --profile min-spec');
  const back = readReport(paths.reportJson);
  t.same(
    back.bench?.workloads.map((w) => w.name),
    names,
    'report.json holds every workload and reads back as a report',
  );
  t.equal(back.cases.length, 0, 'a benchmark report has no conformance cases');
  t.match(readFileSync(paths.indexHtml, 'utf8'), /<svg/, 'the page has its charts');
  const groups = cg.version === 'v1' ? '/sys/fs/cgroup/memory' : '/sys/fs/cgroup';
  if (cg.version !== undefined) {
    t.notOk(
      readdirSync(groups).some((n) => n.startsWith(`relaycheck-${String(process.pid)}-`)),
      'no cgroup of this run is left behind',
    );
  }
});
