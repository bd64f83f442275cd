// FAULT-002: a firewall that drops (not refuses) 5671, the open connection included (fixtures/
// scenarios/amqp-port-drops-silently.yaml). In: the scenario's fast variant at its highest
// speed. Out: every expectation held by the reference relay (the silent connection noticed within
// twice the AMQP idle timeout, 443 within the stated bound, 5671 reported timed out), and failed
// by a relay whose probe has no time bound.
import { kase } from '../lib/case';
import { proveScenario } from './lib/prove';

void kase('FAULT-002', (t) =>
  proveScenario(t, 'amqp-port-drops-silently', {
    defect: 'unbounded-probe',
    catches: ['sequence', 'events'],
  }),
);
