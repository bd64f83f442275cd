// FAULT-013: a slow 443 path, 256 kbit/s and 300 ms each way (fixtures/scenarios/
// slow-network-on-443.yaml). In: the scenario's fast variant at ×1 (network faults are not
// scaled). Out: every expectation held by the reference relay (a 1 MB PDF over Hybrid
// Connections and 200 KB PDFs over Service Bus delivered once, every look-up answered, no lock
// expired), and failed by a relay whose request deadline is sized for a LAN.
import t from 'tap';
import { kase } from '../lib/case';
import { proveScenario } from './lib/prove';

// Two runs at ×1 (network faults are not scaled), each about a minute on the slow line: more than
// the suites' 120 s per file.
t.setTimeout(300_000);

void kase('FAULT-013', (t) =>
  proveScenario(t, 'slow-network-on-443', {
    defect: 'lan-sized-deadline',
    catches: ['answered'],
  }),
);
