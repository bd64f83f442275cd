// Catalogue of the DLV area (CASES.md): delivery from Service Bus to the back office, at least
// once with exactly-once effect, with the reference relay as a child process against the
// simulated world. In: nothing. Out: the area's cases, in id order.
import { defineCases } from './types';

const ISSUE = 'issue 7 (reference relay, part 2), "Delivery"';
const BOTH = ['default', 'min-spec'] as const;

export const DLV_CASES = defineCases('dlv', [
  {
    id: 'DLV-001',
    title: 'a back-office success is completed exactly once',
    requirement:
      'Every request the back office accepted is completed once: one submission and one back-office request per message id, one sealed reply each, and nothing left on the requests queue or its dead-letter queue.',
    source: ISSUE,
    level: 'must',
    profiles: [...BOTH],
    external: true,
    azure: true,
  },
  {
    id: 'DLV-002',
    title: 'transient failures are retried with back-off under the same key',
    requirement:
      'A back office answering 503, 429 with Retry-After, or resetting the connection is retried with exponential back-off and jitter (waits within the configured bounds, Retry-After honoured) under the same Idempotency-Key while the lock is renewed; the work then succeeds with one effect.',
    source: ISSUE,
    level: 'must',
    profiles: [...BOTH],
  },
  {
    id: 'DLV-003',
    title: 'permanent failures are dead-lettered with a reason',
    requirement:
      'A permanent refusal by the back office (a 4xx) is not retried: the request is dead-lettered with reason RELAY_E_BACKOFFICE_REFUSED and a description holding the status and the back office own reason.',
    source: ISSUE,
    level: 'must',
    profiles: [...BOTH],
  },
  {
    id: 'DLV-004',
    title: 'the same message delivered twice executes once',
    requirement:
      'A message whose id the relay has recorded is answered from the record when it is delivered again: the back office sees one request, the tenant gets the same result twice.',
    source: ISSUE,
    level: 'must',
    profiles: [...BOTH],
  },
  {
    id: 'DLV-005',
    title: 'a relay killed mid-delivery 20 times loses and repeats nothing',
    requirement:
      'With the relay SIGKILLed 20 times at varied points of delivery (in back-office calls, between effect and reply, in file writes) and restarted, every message sent is delivered with exactly one effect: zero lost, zero duplicated submissions or files, nothing ever visible under a final name before it is whole, and no temporary file left once a relay restarts after the sweep age (60 s).',
    source: ISSUE,
    level: 'must',
    profiles: [...BOTH],
  },
  {
    id: 'DLV-006',
    title: 'graceful shutdown finishes or abandons work in flight, never drops it',
    requirement:
      'A relay told to stop under load stops receiving, finishes the work in flight within its grace period, abandons the rest and exits cleanly; a relay started after it delivers every remaining message once.',
    source: ISSUE,
    level: 'must',
    profiles: [...BOTH],
  },
  {
    id: 'DLV-007',
    title: 'a slow back office holds the Service Bus receiver back',
    requirement:
      'With a slow back office the relay has at most its configured number of requests in flight and of back-office calls per route at once; the rest wait on the queue, not in the relay.',
    source: ISSUE,
    level: 'must',
    profiles: [...BOTH],
  },
  {
    id: 'DLV-008',
    title: 'a circuit breaker stops calls to a failing service and recovers',
    requirement:
      'After the configured number of transient failures the breaker of that service opens: no request reaches the service while it is open; its Service Bus work is held, the lock renewed, for a probe (abandoned after two open periods, never dead-lettered); when the service recovers a probe closes the breaker and the work is delivered once.',
    source: ISSUE,
    level: 'must',
    profiles: [...BOTH],
  },
]);
