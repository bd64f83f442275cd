// FAULT-003: the namespace moves to another subnet inside the published ranges, then to an
// address outside the council's selection, then back (fixtures/scenarios/
// endpoint-moves-subnet.yaml). In: the scenario's fast variant at its highest speed. Out: every
// expectation held by the reference relay (it reconnects after a move inside, refuses the
// address outside naming what was allowed and where the service-tag file publishes it, recovers
// after the move back), and failed by a relay whose refusal does not name the missing range.
import { kase } from '../lib/case';
import { proveScenario } from './lib/prove';

void kase('FAULT-003', (t) =>
  proveScenario(t, 'endpoint-moves-subnet', {
    defect: 'unnamed-range',
    catches: ['events', 'log'],
  }),
);
