// FAULT-005: the back office answers slowly at the busy hour, p99 8 s (fixtures/scenarios/
// back-office-slow-at-nine.yaml). In: the scenario's fast variant at its highest speed. Out:
// every expectation held by the reference relay (no lock expired or lost, no duplicate post),
// and failed by a relay that never renews the lock of a message it works on.
import { kase } from '../lib/case';
import { proveScenario } from './lib/prove';

void kase('FAULT-005', (t) =>
  proveScenario(t, 'back-office-slow-at-nine', {
    defect: 'never-renews-locks',
    catches: ['events', 'effects'],
  }),
);
