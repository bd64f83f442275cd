// Catalogue of the PORT area (CASES.md): which outbound ports the relay dials, how it chooses
// between the TCP path and 443, and what it reports when ports are blocked. In: nothing. Out:
// the area's cases, in id order. Every case runs the reference relay (a child process) against
// the simulated world and reads the network model's firewall events.
import { defineCases } from './types';

const GUIDE = 'integration-proxy-service-guide, "An outbound connection"';
const P1 = 'PROTOCOLS.md §1';
const BOTH = ['default', 'min-spec'] as const;

export const PORT_CASES = defineCases('port', [
  {
    id: 'PORT-001',
    title: 'only the guide ports are ever dialled',
    requirement:
      'Across start-up, probing, handshake and traffic, every logical endpoint the relay dials is on a port in {80, 443, 5671, 5672, 9350-9354}; a production relay never dials 5672 or 80.',
    source: `${GUIDE}; ${P1}`,
    level: 'must',
    profiles: [...BOTH],
  },
  {
    id: 'PORT-002',
    title: 'auto-detect chooses TCP when everything is open',
    requirement:
      'With every guide port open, auto-detect probes the TCP path (AMQP 5671, Hybrid Connections 9352) and the 443 path in parallel and chooses TCP; the health endpoint shows mode tcp and every probed port allowed.',
    source: `${P1} (WCF AutoDetect chooses TCP when both work)`,
    level: 'must',
    profiles: [...BOTH],
  },
  {
    id: 'PORT-003',
    title: 'falls back to AMQP over WebSockets on 443 when 5671 is refused',
    requirement:
      'With 5671 refused by the firewall the relay carries Service Bus traffic over AMQP over WebSockets on 443, completes the handshake and relays a message; 5671 is diagnosed refused.',
    source: `${GUIDE}; ${P1}`,
    level: 'must',
    profiles: [...BOTH],
  },
  {
    id: 'PORT-004',
    title: 'falls back to Hybrid Connections on 443 when 9350-9354 are blocked',
    requirement:
      'With 9350-9354 refused the relay opens its Hybrid Connections listeners on 443 and answers a synchronous request; the TCP-range ports are diagnosed refused.',
    source: `${GUIDE}; ${P1}`,
    level: 'must',
    profiles: [...BOTH],
  },
  {
    id: 'PORT-005',
    title: 'ports that drop instead of refusing still fall back within the probe bound',
    requirement:
      'With 5671 and 9350-9354 silently dropped, each probe ends as timed-out at the configured probe bound (not the OS connect timeout) and the relay works over 443.',
    source: `${GUIDE}; ${P1}`,
    level: 'must',
    profiles: [...BOTH],
  },
  {
    id: 'PORT-006',
    title: 'works over TCP when 443 is blocked',
    requirement:
      'With 443 refused and 5671 and 9352 open the relay chooses TCP, completes the handshake and relays traffic; 443 is diagnosed refused.',
    source: P1,
    level: 'must',
    profiles: [...BOTH],
  },
  {
    id: 'PORT-007',
    title: 'everything blocked gives a per-port diagnosis and back-off retries',
    requirement:
      'With every port blocked the relay reports, per port, refused, timed out or TLS failed on /healthz, stays unhealthy, retries on the 0, 1, 2, 5, 10, 30 s schedule with jitter, and recovers on its own once the firewall opens.',
    source: `${GUIDE}; issue 6`,
    level: 'must',
    profiles: [...BOTH],
  },
  {
    id: 'PORT-008',
    title: 'port 80 never carries council data',
    requirement:
      'The relay never dials port 80 with the default egress policy, and a config that allows 80 still sends no handshake or work over it.',
    source: P1,
    level: 'must',
    profiles: [...BOTH],
  },
  {
    id: 'PORT-009',
    title: 'plain AMQP on 5672 is refused in the production profile',
    requirement:
      'A production config that allows 5672 is refused at load (RELAY_E_CONFIG naming egress.ports), and a production relay never dials 5672.',
    source: `${P1} (5672 only with an explicit development flag)`,
    level: 'must',
    profiles: [...BOTH],
  },
  {
    id: 'PORT-010',
    title: 'a port blocked mid-session moves the relay to 443 without losing a message',
    requirement:
      'When 5671 is blocked while the relay is live on TCP (its connections cut), the relay notices the lost connection, re-probes, reconnects over 443, handshakes again, and every message sent before, during and after the change is relayed exactly once.',
    source: `${GUIDE}; issue 6`,
    level: 'must',
    profiles: [...BOTH],
  },
  {
    id: 'PORT-011',
    title: 'the relay has no listening socket on a non-loopback interface',
    requirement:
      "While the relay runs, the only TCP socket in LISTEN state owned by its process is the health endpoint on 127.0.0.1 (read from /proc/<pid>/net/tcp and the process's socket inodes).",
    source: 'ARCHITECTURE.md ("the relay dials out, never listens on a non-loopback interface")',
    level: 'must',
    profiles: [...BOTH],
  },
  {
    id: 'PORT-012',
    title: 'returns to TCP when the firewall opens again',
    requirement:
      'A relay that fell back to 443 re-probes on its interval and moves back to TCP once 5671 and 9352 are open again, handshakes again and relays traffic over the TCP path.',
    source: `${P1} (AutoDetect prefers TCP); issue 6`,
    level: 'should',
    profiles: [...BOTH],
  },
]);
