// FAULT-004: the intakes answer 503 for five minutes (fixtures/scenarios/
// back-office-down-five-minutes.yaml). In: the scenario's fast variant at its highest speed.
// Out: every expectation held by the reference relay (everything delivered once afterwards,
// nothing dead-lettered, locks renewed and none lost), and failed by a relay that takes 503 for
// a permanent refusal.
import { kase } from '../lib/case';
import { proveScenario } from './lib/prove';

void kase('FAULT-004', (t) =>
  proveScenario(t, 'back-office-down-five-minutes', {
    defect: 'permanent-503',
    catches: ['deadLettered', 'effects', 'answered'],
  }),
);
