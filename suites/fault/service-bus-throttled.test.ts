// FAULT-014: Service Bus throttling, server busy (fixtures/scenarios/service-bus-throttled.yaml).
// In: the scenario's fast variant at its highest speed. Out: every expectation held by the
// reference relay (it backs off: its receiver attached at most once per back-off while busy, no
// client rebuilt; everything delivered once afterwards, nothing dead-lettered), and failed by a
// relay that does not recognise server busy and re-attaches at once, in a loop.
import { kase } from '../lib/case';
import { proveScenario } from './lib/prove';

void kase('FAULT-014', (t) =>
  proveScenario(t, 'service-bus-throttled', {
    defect: 'ignores-server-busy',
    catches: ['events', 'log'],
  }),
);
