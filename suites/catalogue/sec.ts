// Catalogue of the SEC area (issue 10, security conformance): envelope, tokens, replay, secrets and exposure at system level. In: nothing.
// Out: the area's cases, in id order. Every case runs the reference relay as a child process
// against the simulated world (Service Bus, Hybrid Connections, tenant driver) and the mock back
// office, and reads the far ends; the unit-level properties of the same rules are ENV-011/012/017
// (envelope), SAS-004..006 and SB-008/024 (tokens), HS-014 and HS-025 (handshake), and the
// system-level HS-029 (wire replay of a HELLO) and PORT-011 (sockets in the open world).
import { defineCases } from './types';

const ISSUE = 'issue 10 (security conformance)';
const ENVELOPE = 'HANDSHAKE.md "Message envelope"';
const BOTH = ['default', 'min-spec'] as const;

export const SEC_CASES = defineCases('sec', [
  {
    id: 'SEC-001',
    title: 'a plain body is refused in the production profile, over both transports',
    requirement:
      'Work without an envelope sent to a production relay is refused before any back office sees it: over Service Bus it is dead-lettered with reason RELAY_E_WORK_ENVELOPE and a description starting ENV_E_PLAIN; over the Hybrid Connection (with a valid Send token) it is answered 403 with code RELAY_E_WORK_ENVELOPE and envCode ENV_E_PLAIN; the back office (journal, intake stores, file shares) records nothing.',
    source: `${ISSUE}, "Envelope and tokens"; ${ENVELOPE} ("Profiles: production requires sealed bodies")`,
    level: 'must',
    profiles: [...BOTH],
  },
  {
    id: 'SEC-002',
    title: 'a captured sealed body moved onto another message is refused and nothing runs',
    requirement:
      'A sealed message captured on its way to the namespace and resent under another messageId, onto another route with its own messageId, onto another genuine message (its id and route), or another message carrying its body, is dead-lettered RELAY_E_WORK_ENVELOPE with ENV_E_AUTH; a captured sealed Hybrid Connections request resent under another rc-message-id or rc-route is answered 403 ENV_E_AUTH; no back office records any of them.',
    source: `${ISSUE}, "Envelope and tokens"; ${ENVELOPE} ("Swapping a sealed body onto another message or route fails to open")`,
    level: 'must',
    profiles: [...BOTH],
  },
  {
    id: 'SEC-003',
    title: 'a captured sealed message replayed is executed once at the back office',
    requirement:
      'The same sealed message (same messageId, bytes and envelope) resent after it completed is answered from the relay record (replayed) and makes no new back-office request; sent three times at once (an intake document and an evidence PDF) it makes one intake submission and one file; a captured sealed Hybrid Connections post replayed after its answer and twice at once leaves one submission, the one the tenant was told of.',
    source: `${ISSUE}, "Envelope and tokens"; ${ENVELOPE} ("A repeated messageId is not executed again, whatever its envelope")`,
    level: 'must',
    profiles: [...BOTH],
  },
  {
    id: 'SEC-004',
    title: 'expired, tampered and wrong-audience tokens are refused and reach nothing',
    requirement:
      'With the relay running, an expired SAS token, one with a changed signature, one for another entity and one for another namespace, presented by the @azure/service-bus SDK to the Service Bus namespace and over HTTP and WebSocket to the Hybrid Connections endpoint, are refused (UnauthorizedAccess from the SDK; 401 for the expired and the changed token, 403 for another entity or namespace, each with its SAS reason at the simulator): nothing is enqueued on requests, no request reaches the relay, no rogue listener is registered on the relay paths, the relay keeps its session and listeners and still serves work.',
    source: `${ISSUE}, "Envelope and tokens"; PROTOCOLS.md (SAS tokens)`,
    level: 'must',
    profiles: [...BOTH],
  },
  {
    id: 'SEC-005',
    title: 'a HELLO reflected as a WELCOME and a WELCOME sent as a HELLO fail at system level',
    requirement:
      "A HELLO captured from the handshake queue and sent back to the relay's reply session as a WELCOME to that very HELLO is refused by the relay (RELAY_E_SESSION_ANSWER, no session from it) and the relay completes its handshake with the real cloud side afterwards; a WELCOME captured on its way to the relay and sent to the cloud side as a HELLO is answered REJECT and makes no session; the relay keeps its real session and serves work.",
    source: `${ISSUE}, "Envelope and tokens"; HANDSHAKE.md ("a HELLO reflected back as a WELCOME fails HS_E_AUTH")`,
    level: 'must',
    profiles: [...BOTH],
  },
  {
    id: 'SEC-006',
    title: 'no secret is written anywhere during a run through every error path',
    requirement:
      "A run at log level trace that drives the relay through a wrong and a retired handshake key, wrong SAS keys in its own config (reconnect attempts), unknown routes, hostile XML, a file that is not a PDF, a back office answering 500 and one that is down, a Hybrid Connections request with a broken seal and a config error at start leaves no tenant key, SAS key, SAS signature the relay presented (captured at the simulator) or handshake session key, in raw, base64, base64url, hex or percent-encoded form, in the relay's stdout and stderr, its event stream, any file under the world's folder (but the config files that handed the relay its keys), the simulator's event log or the case evidence.",
    source: `${ISSUE}, "Secrets"; HANDSHAKE.md ("K ... never logged")`,
    level: 'must',
    profiles: [...BOTH],
  },
  {
    id: 'SEC-007',
    title: 'no listening socket of the relay is reachable on a non-loopback address, in any mode',
    requirement:
      "In each transport mode (tcp: AMQP 5671 and Hybrid Connections 9352; https: AMQP over WebSockets and Hybrid Connections on 443), at rest and while a rendezvous transfer and Service Bus work run, the relay process's only TCP socket in LISTEN state is its health endpoint on loopback, and it holds no UDP socket bound to a non-loopback address (read from /proc/<pid>/net/{tcp,tcp6,udp,udp6} and the process's socket inodes).",
    source: `${ISSUE}, "Outbound only"; ARCHITECTURE.md ("the relay dials out, never listens on a non-loopback interface")`,
    level: 'must',
    profiles: [...BOTH],
  },
]);
