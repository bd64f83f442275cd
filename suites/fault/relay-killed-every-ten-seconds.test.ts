// FAULT-008: the relay SIGKILLed every 10 s during a PDF-heavy workload (fixtures/scenarios/
// relay-killed-every-ten-seconds.yaml). In: the scenario's fast variant at its highest speed.
// Out: every expectation held by the reference relay (nothing lost, nothing repeated, no
// temporary file left), and failed by a relay that completes each request before doing its
// work (a kill in between loses it).
import { kase } from '../lib/case';
import { proveScenario } from './lib/prove';

void kase('FAULT-008', (t) =>
  proveScenario(t, 'relay-killed-every-ten-seconds', {
    defect: 'completes-before-delivering',
    catches: ['effects', 'answered'],
  }),
);
