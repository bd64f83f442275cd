// The smoke run of `relaycheck bench --backend container`: one workload for one short step with
// the reference relay in a Docker container under min-spec's --cpus and --memory. In: a Docker
// engine (DOCKER_HOST, the system's, or a private dockerd when root and installed); without one
// the test is skipped, saying why. Out: checks that the relay ran in a container, lived, had its
// requests answered and delivered once, and that its container's cgroup was read.
import t from 'tap';
import { findOrStartEngine } from '../bench/docker-engine';
import { renderRelayLoad, runRelayLoad } from '../bench/workloads';

void t.test('the container backend runs a workload through a relay in a container', async (t) => {
  const found = await findOrStartEngine();
  if (found.engine === undefined) {
    t.plan(0, found.reason); // a plan of none with a reason: skipped, saying why
    return;
  }
  const engine = found.engine;
  t.teardown(() => engine.stop());
  const r = await runRelayLoad({
    profile: 'min-spec',
    workloads: ['retrievals'],
    stepSeconds: 1,
    maxSteps: 1,
    repeats: 1,
    hyco: false,
    direct: false,
    backend: 'container',
    engine,
  });
  t.equal(r.backend, 'container', 'the relay ran in a container');
  t.equal(r.relay.killed, false, 'and lived through it');
  t.ok((r.workloads[0]?.zeroLoss?.answered ?? 0) > 0, 'its retrievals were answered');
  t.equal(r.workloads[0]?.zeroLoss?.missing, 0, 'none missing at the back office');
  t.ok((r.relay.memoryPeakBytes ?? 0) > 0, 'the container’s cgroup was read');
  t.match(renderRelayLoad(r), /\(backend container\)/);
});
