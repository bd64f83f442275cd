// FAULT-009: the relay server's clock five minutes fast (fixtures/scenarios/
// server-clock-five-minutes-fast.yaml). In: the scenario's fast variant at its highest speed.
// Out: every expectation held by the reference relay (refused outside the 120 s window with a
// diagnosis naming its clock, live inside it, live again once the clock is right), and failed by
// a relay that gives no clock diagnosis.
import { kase } from '../lib/case';
import { proveScenario } from './lib/prove';

void kase('FAULT-009', (t) =>
  proveScenario(t, 'server-clock-five-minutes-fast', {
    defect: 'no-clock-diagnosis',
    catches: ['events', 'log'],
  }),
);
