// FAULT-015: a poison message (the back office always answers it 500) among normal work
// (fixtures/scenarios/poison-message.yaml). In: the scenario's fast variant at its highest speed.
// Out: every expectation held by the reference relay (the poison dead-lettered by the broker
// after its max delivery count, everything else delivered once and answered), and failed by a
// relay that turns a call still failing after its retries into a success (the poison is lost).
import { kase } from '../lib/case';
import { proveScenario } from './lib/prove';

void kase('FAULT-015', (t) =>
  proveScenario(t, 'poison-message', {
    defect: 'swallows-failures',
    catches: ['deadLettered', 'events'],
  }),
);
