// Catalogue of the SB area (CASES.md): the simulated Service Bus namespace, driven only
// through the real @azure/service-bus SDK. In: nothing. Out: the area's cases, in id order.
import { defineCases } from './types';

const BOTH = ['default', 'min-spec'] as const;
const P3 = 'PROTOCOLS.md §3';
const SETTLE = 'Azure docs, "Message transfers, locks, and settlement"';

export const SB_CASES = defineCases('sb', [
  {
    id: 'SB-001',
    title: 'a message sent once is received under a peek lock and completed',
    requirement:
      'A message sent with sendMessages must be received in peekLock mode with its body and properties intact, a lock token, lockedUntilUtc, sequence number 1 and deliveryCount 0; completing it removes it.',
    source: `${P3} (Send, Receive, Settlement); ${SETTLE}`,
    level: 'must',
    profiles: BOTH,
  },
  {
    id: 'SB-002',
    title: 'a batch is enqueued whole and in order',
    requirement:
      'sendMessages with an array or a ServiceBusMessageBatch (one transfer, message_format 0x80013700, a data section per message) must enqueue every message in order with consecutive sequence numbers; the batch size comes from the max_message_size of the attach.',
    source: `${P3} (Send: batches)`,
    level: 'must',
    profiles: BOTH,
  },
  {
    id: 'SB-003',
    title: 'receiveAndDelete removes messages as they are delivered',
    requirement:
      'In receiveAndDelete mode messages must arrive pre-settled without a lock token and be gone from the entity at once.',
    source: `${P3} (Receive: receiveAndDelete); ${SETTLE}`,
    level: 'must',
    profiles: BOTH,
  },
  {
    id: 'SB-004',
    title: 'an abandoned message is redelivered with deliveryCount + 1',
    requirement:
      'abandonMessage (modified, undeliverable_here false) must release the lock at once; the message is delivered again with deliveryCount + 1, a new lock token and the properties to modify applied.',
    source: `${P3} (Settlement table); ${SETTLE}`,
    level: 'must',
    profiles: BOTH,
  },
  {
    id: 'SB-005',
    title: 'a dead-lettered message moves to $DeadLetterQueue with its reason',
    requirement:
      'deadLetterMessage (rejected, com.microsoft:dead-letter with DeadLetterReason and DeadLetterErrorDescription) must move the message to <queue>/$DeadLetterQueue, where a receiver with subQueueType deadLetter gets it with both fields.',
    source: `${P3} (Settlement table); Azure docs, "Service Bus dead-letter queues"`,
    level: 'must',
    profiles: BOTH,
  },
  {
    id: 'SB-006',
    title: 'a deferred message is skipped and received again by sequence number',
    requirement:
      'deferMessage (modified, undeliverable_here true) must set the message aside: receives skip it, peek shows it as deferred, receiveDeferredMessages ($management receive-by-sequence-number) returns it locked, and it can then be completed (update-disposition).',
    source: `${P3} ($management); Azure docs, "Message deferral"`,
    level: 'must',
    profiles: BOTH,
  },
  {
    id: 'SB-007',
    title: 'an unknown entity is refused as not found',
    requirement:
      'Attaching a sender or receiver to an entity the namespace does not have must be refused with amqp:not-found ("The messaging entity \'X\' could not be found"), which the SDK raises as MessagingEntityNotFound.',
    source: `${P3} (Errors)`,
    level: 'must',
    profiles: BOTH,
  },
  {
    id: 'SB-008',
    title: 'a token signed with a wrong or unknown key is refused',
    requirement:
      'A CBS put-token whose signature does not verify, or whose key name is unknown, must be answered 401 so that the SDK raises UnauthorizedAccess; the decision event names the SAS reason and never the token.',
    source: `${P3} (CBS); PROTOCOLS.md §2; Azure docs, "Service Bus access control with Shared Access Signatures"`,
    level: 'must',
    profiles: BOTH,
  },
  {
    id: 'SB-009',
    title: 'a Listen-only key cannot send and a Send-only key cannot receive',
    requirement:
      'Links must be refused with amqp:unauthorized-access when the token of their entity lacks the right they need (Send for senders, Listen for receivers); the SDK raises UnauthorizedAccess.',
    source: `${P3} (CBS: rights); Azure docs, "Service Bus access control with Shared Access Signatures"`,
    level: 'must',
    profiles: BOTH,
  },
  {
    id: 'SB-010',
    title: 'a message over the profile size is refused',
    requirement:
      'A transfer larger than the profile allows (Standard 256 KB) must be rejected with amqp:link:message-size-exceeded (SDK MessageSizeExceeded); the attach announces max_message_size so that the SDK sizes batches from it.',
    source: `${P3} (Send, Errors); Azure docs, "Service Bus quotas"`,
    level: 'must',
    profiles: BOTH,
  },
  {
    id: 'SB-011',
    title: 'an expired lock makes the message available again with deliveryCount + 1',
    requirement:
      'When a peek lock expires unsettled the message must become available again at once and be delivered (to a receiver with credit) with deliveryCount + 1 and a new lock token.',
    source: `${P3} (Receive: x-opt-locked-until); ${SETTLE}`,
    level: 'must',
    profiles: BOTH,
  },
  {
    id: 'SB-012',
    title: 'settling a message whose lock was lost fails with MessageLockLost',
    requirement:
      'A disposition for a lock that expired or was lost must be answered with com.microsoft:message-lock-lost (SDK MessageLockLost), and the message must be delivered again with deliveryCount + 1.',
    source: `${P3} (Settlement: message-lock-lost only for a real lost lock); ${SETTLE}`,
    level: 'must',
    profiles: BOTH,
  },
  {
    id: 'SB-013',
    title: 'a message that reaches the max delivery count is dead-lettered',
    requirement:
      'A message whose deliveries fail maxDeliveryCount times must be moved to the dead-letter queue with DeadLetterReason MaxDeliveryCountExceeded and a description.',
    source: 'Azure docs, "Service Bus dead-letter queues" (Maximum delivery count)',
    level: 'must',
    profiles: BOTH,
  },
  {
    id: 'SB-014',
    title: 'a message lock can be renewed',
    requirement:
      '$management com.microsoft:renew-lock must extend the lock of a locked message and return its new expiry; for a settled message it must fail with com.microsoft:message-lock-lost.',
    source: `${P3} ($management); ${SETTLE}`,
    level: 'must',
    profiles: BOTH,
  },
  {
    id: 'SB-015',
    title: 'peek returns messages in order without locking them',
    requirement:
      '$management com.microsoft:peek-message must return up to message-count messages from from-sequence-number in order, locked ones included, without lock tokens or delivery-count changes; an empty result is answered 204 and the SDK gives [].',
    source: `${P3} ($management: peek expects 204 when empty); Azure docs, "Message browsing"`,
    level: 'must',
    profiles: BOTH,
  },
  {
    id: 'SB-016',
    title: 'a drain on an empty queue is answered at once',
    requirement:
      'When the SDK drains a receiver link (flow drain=true after maxWaitTimeInMs) and nothing is available, the simulator must answer the drain at once, so receiveMessages resolves [] promptly and the link stays usable.',
    source: `${P3} (Receive: drain)`,
    level: 'must',
    profiles: BOTH,
  },
  {
    id: 'SB-017',
    title: 'competing receivers get each message exactly once',
    requirement:
      'Receivers competing on one queue over separate connections must each get distinct messages: every message is delivered to one receiver at a time and, once completed, never again.',
    source: 'Azure docs, "Service Bus queues, topics, and subscriptions" (competing consumers)',
    level: 'must',
    profiles: BOTH,
  },
  {
    id: 'SB-018',
    title: 'scheduled messages appear at their time and can be cancelled',
    requirement:
      '$management schedule-message must store messages as scheduled (peek shows state scheduled and the time) and make them available at scheduledEnqueueTimeUtc, not before; cancel-scheduled-message must remove them for good.',
    source: `${P3} ($management); Azure docs, "Scheduled messages"`,
    level: 'must',
    profiles: BOTH,
  },
  {
    id: 'SB-019',
    title: 'a session receiver holds one session, its lock and its state',
    requirement:
      "A receiver attached with the com.microsoft:session-filter must get only that session's messages in order, the session id echoed and com.microsoft:locked-until-utc in .NET ticks; a locked session cannot be accepted twice (SessionCannotBeLocked); renew-session-lock and get/set-session-state work; accepting the next session picks one with messages.",
    source: `${P3} (Sessions, $management); Azure docs, "Message sessions"`,
    level: 'must',
    profiles: BOTH,
  },
  {
    id: 'SB-020',
    title: 'a topic copies each message to every matching subscription',
    requirement:
      'A message sent to a topic must be delivered to each subscription whose rule matches (true filter, correlation filter), as independent copies that are settled separately.',
    source:
      'Azure docs, "Topic filters and actions" (correlation filters only: docs/differences-from-azure.md)',
    level: 'must',
    profiles: BOTH,
  },
  {
    id: 'SB-021',
    title: 'the TLS listener serves the SDK that trusts the simulator CA',
    requirement:
      'The AMQPS listener must present a certificate for localhost chained to the CA the simulator writes at start-up; the unmodified SDK trusting that CA (NODE_EXTRA_CA_CERTS) sends, receives and completes with a plain Azure-style connection string; without it the SDK refuses to connect.',
    source: `PROTOCOLS.md §1 (5671); ${P3} (Connect)`,
    level: 'must',
    profiles: BOTH,
  },
  {
    id: 'SB-022',
    title: 'the TLS listeners refuse TLS versions below 1.2',
    requirement:
      'The AMQPS and WebSocket listeners must refuse TLS 1.0 and 1.1 handshakes with a protocol_version alert and accept TLS 1.2 and later.',
    source: 'Azure docs, "Enforce a minimum required version of TLS with Azure Service Bus" (1.2)',
    level: 'must',
    profiles: BOTH,
  },
  {
    id: 'SB-023',
    title: 'AMQP over WebSockets works with the SDK',
    requirement:
      'The WebSocket listener must accept wss://host:port/$servicebus/websocket with subprotocol AMQPWSB10 and carry the same AMQP session as TCP: the SDK with webSocketOptions sends, receives and completes.',
    source: `PROTOCOLS.md §1 (443: AMQP over WebSockets); ${P3}`,
    level: 'must',
    profiles: BOTH,
  },
  {
    id: 'SB-024',
    title: 'an expired token detaches the links it authorized',
    requirement:
      'When the CBS token that authorized a link expires and no newer token covers it, the link must be detached with amqp:unauthorized-access, as Azure does; the SDK reports UnauthorizedAccess.',
    source: `${P3} (CBS); Azure docs, "Service Bus authentication and authorization" (token expiry)`,
    level: 'must',
    profiles: BOTH,
  },
  {
    id: 'SB-025',
    title: 'accept-next-session waits for a session, then times out',
    requirement:
      "A session receiver attached with a null session filter must be held until a session with messages exists and then answered with that session; with none before the client's com.microsoft:timeout it must be refused with com.microsoft:timeout (SDK ServiceTimeout).",
    source: `${P3} (Sessions); Azure docs, "Message sessions" (accept next session)`,
    level: 'must',
    profiles: BOTH,
  },
  {
    id: 'SB-026',
    title: 'duplicate detection keeps one copy per MessageId',
    requirement:
      'On an entity with duplicate detection, a message whose MessageId was already sent within the window must be accepted by the send but not enqueued, singly or inside a batch.',
    source: `${P3} (Quotas: duplicate detection works on MessageId); Azure docs, "Duplicate detection"`,
    level: 'must',
    profiles: BOTH,
  },
  {
    id: 'SB-027',
    title: 'an expired message is dead-lettered, never delivered',
    requirement:
      'A message whose time to live has passed must never be delivered from its entity; with deadLetteringOnMessageExpiration it moves to the dead-letter queue with reason TTLExpiredException.',
    source: 'Azure docs, "Message expiration (Time to Live)"',
    level: 'must',
    profiles: BOTH,
  },
  {
    id: 'SB-028',
    title: 'the logical namespace host works through customEndpointAddress',
    requirement:
      'A client whose connection string names the logical host (<namespace>.servicebus.windows.net) and whose customEndpointAddress points at the simulator must work: the AMQP open names the logical host, tokens signed for it are accepted, and the logical name is never dialled.',
    source:
      'ARCHITECTURE.md (logical network); @azure/service-bus ServiceBusClientOptions.customEndpointAddress',
    level: 'must',
    profiles: BOTH,
  },
  {
    id: 'SB-029',
    title: 'a peekLock receiver keeps receiving beyond 2,048 deliveries',
    requirement:
      'A long-lived peekLock receiver that settles what it receives must keep receiving indefinitely: the broker settles each delivery on both ends when it answers the disposition, so no AMQP session buffer fills up.',
    source: `${P3} (Settlement: the server replies with a settled disposition); AMQP 1.0 §2.6.12`,
    level: 'must',
    profiles: BOTH,
  },
  {
    id: 'SB-030',
    title: 'any interleaving through the SDK settles each message exactly once',
    requirement:
      'For any interleaving of send, receive (competing peekLock receivers), complete, abandon and lock expiry over a small queue, every message is in the end completed exactly once or dead-lettered exactly once with reason MaxDeliveryCountExceeded, and the deliveryCount the SDK sees starts at 0 and grows by one per redelivery.',
    source: `${P3} (peekLock, lock expiry, max delivery count); issue 3 (property tests)`,
    level: 'must',
    profiles: BOTH,
  },
]);
