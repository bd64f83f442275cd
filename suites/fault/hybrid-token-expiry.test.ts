// FAULT-011: Hybrid Connections SAS tokens expiring while the control channels are open
// (fixtures/scenarios/hybrid-token-expiry.yaml). In: the scenario's fast variant at its highest
// speed. Out: every expectation held by the reference relay (tokens renewed before they run
// out, a reconnect at once after a forced expiry, the look-ups answered), and failed by a relay
// that never renews its tokens.
import { kase } from '../lib/case';
import { proveScenario } from './lib/prove';

void kase('FAULT-011', (t) =>
  proveScenario(t, 'hybrid-token-expiry', {
    defect: 'never-renews-hc-token',
    catches: ['events', 'answered'],
  }),
);
