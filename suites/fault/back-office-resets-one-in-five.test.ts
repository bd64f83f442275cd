// FAULT-006: the back office resets one connection in five, after the intakes did the work
// (fixtures/scenarios/back-office-resets-one-in-five.yaml). In: the scenario's fast variant at
// its highest speed. Out: every expectation held by the reference relay (every post took effect
// exactly once), and failed by a relay that sends the Idempotency-Key with a message's first
// request only (a retry after a lost answer is a second submission).
import { kase } from '../lib/case';
import { proveScenario } from './lib/prove';

void kase('FAULT-006', (t) =>
  proveScenario(t, 'back-office-resets-one-in-five', {
    defect: 'idempotency-key-first-request-only',
    catches: ['effects'],
  }),
);
