// FAULT-012: half-open TCP connections, a firewall that forgets the relay's open flows without
// closing them (fixtures/scenarios/half-open-tcp.yaml). In: the scenario's fast variant at its
// highest speed. Out: every expectation held by the reference relay (the dead Service Bus
// connection found within twice the AMQP idle timeout, each dead control channel within a ping
// interval and the pong timeout, back on the same ports, nothing lost), and failed by a relay
// that has no keep-alive of its own.
import { kase } from '../lib/case';
import { proveScenario } from './lib/prove';

void kase('FAULT-012', (t) =>
  proveScenario(t, 'half-open-tcp', {
    defect: 'no-keep-alive',
    catches: ['events'],
  }),
);
