// FAULT-001: TCP ports 9350-9354 closed mid-day, then reopened (fixtures/scenarios/
// tcp-ports-closed-midday.yaml). In: the scenario's fast variant at its highest speed. Out: every
// expectation held by the reference relay, and failed by a relay that never returns to TCP.
import { kase } from '../lib/case';
import { proveScenario } from './lib/prove';

void kase('FAULT-001', (t) =>
  proveScenario(t, 'tcp-ports-closed-midday', {
    defect: 'sticky-https',
    catches: ['sequence', 'events'],
  }),
);
