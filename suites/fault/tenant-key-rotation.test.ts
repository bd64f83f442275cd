// FAULT-010: the tenant key rotated under load (fixtures/scenarios/tenant-key-rotation.yaml).
// In: the scenario's fast variant at its highest speed. Out: every expectation held by the
// reference relay (zero failed requests across the rotation, the standby relay left on the
// retired key refused with a message naming it), and failed by a relay that ignores its second
// configured key.
import { kase } from '../lib/case';
import { proveScenario } from './lib/prove';

void kase('FAULT-010', (t) =>
  proveScenario(t, 'tenant-key-rotation', {
    defect: 'first-key-only',
    catches: ['answered', 'deadLettered', 'events'],
  }),
);
