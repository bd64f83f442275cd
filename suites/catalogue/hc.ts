// Catalogue of the HC area (CASES.md): the simulated Azure Relay Hybrid Connections endpoint
// and the relay's own listener (relay/src/transports/), end to end on loopback. In: nothing.
// Out: the area's cases, in id order.
import { defineCases } from './types';

const BOTH = ['default', 'min-spec'] as const;
const P4 = 'PROTOCOLS.md §4';
const HCP = 'Azure Relay Hybrid Connections protocol (Microsoft Learn)';

export const HC_CASES = defineCases('hc', [
  {
    id: 'HC-001',
    title: 'listen is refused with 401, 403 and 404 as the protocol says',
    requirement:
      'A listener control channel must be refused at the WebSocket handshake with 401 for a missing or bad token, 403 for a token without Listen, and 404 for a hybrid connection that does not exist; the relay listener reports each as a typed error.',
    source: `${P4} (listener control channel); ${HCP}, "Listener protocol"`,
    level: 'must',
    profiles: BOTH,
  },
  {
    id: 'HC-002',
    title: 'a small request travels on the control channel and is answered there',
    requirement:
      'A sender request with a body of at most 64 KiB and headers of at most 32 KiB must reach the listener on its control channel (request frame, then the body as one binary message) and the answer must come back to the sender with its status, headers and body intact.',
    source: `${P4} (HTTP mode); ${HCP}, "Request message"`,
    level: 'must',
    profiles: BOTH,
  },
  {
    id: 'HC-003',
    title: 'request bodies of 64 KiB − 1, 64 KiB and 64 KiB + 1 take the right path',
    requirement:
      'Bodies of 65,535 and 65,536 bytes go on the control channel; a body of 65,537 bytes goes by rendezvous; all three arrive byte for byte.',
    source: `${P4} (HTTP mode: bodies over 64 KB use the rendezvous)`,
    level: 'must',
    profiles: BOTH,
  },
  {
    id: 'HC-004',
    title: 'responses of 64 KiB − 1, 64 KiB and 64 KiB + 1 come back the right way',
    requirement:
      'The listener answers responses of up to 64 KiB on the control channel and switches to the rendezvous socket above 64 KiB; the sender receives all three byte for byte.',
    source: `${P4} (a response over 64 KB must go over the rendezvous socket)`,
    level: 'must',
    profiles: BOTH,
  },
  {
    id: 'HC-005',
    title: 'a 50 MB PDF streams through by rendezvous both ways',
    requirement:
      'A 50 MB request body and a 50 MB response body must pass through the endpoint and the relay listener by rendezvous, byte for byte (sha-256 equal); the endpoint streams the request to the listener and the listener streams the response with back-pressure (it is committed while the back end is still producing it). Known buffering, documented: `ws` joins the request message in the listener (up to maxRequestBytes) and the simulator holds a response message whole.',
    source: `${P4} (rendezvous); issue 4 (a 50 MB streamed PDF both ways)`,
    level: 'must',
    profiles: ['default'],
  },
  {
    id: 'HC-006',
    title: 'a request with no listener connected is answered 502',
    requirement:
      'When no listener is connected to the hybrid connection, the service answers the sender 502 and the listener never sees the request.',
    source: `${P4} (sender HTTP side)`,
    level: 'must',
    profiles: BOTH,
  },
  {
    id: 'HC-007',
    title: 'a request unanswered by the deadline is answered 504',
    requirement:
      'When the listener does not answer within the response deadline (60 s on Azure), the service answers the sender 504; the relay listener itself never answers 502 or 504.',
    source: `${P4} (responses are due within 60 s)`,
    level: 'must',
    profiles: BOTH,
  },
  {
    id: 'HC-008',
    title: 'the listener renews its token before it expires and keeps the channel',
    requirement:
      'A listener whose token nears expiry sends renewToken with a fresh token; the service accepts it without a reply and the control channel stays open past the first token’s expiry.',
    source: `${P4} (token renewal)`,
    level: 'must',
    profiles: BOTH,
  },
  {
    id: 'HC-009',
    title: 'a control channel whose token expires is closed with 1008',
    requirement:
      'When a listener’s token expires without renewal, the service closes the control channel with code 1008; the relay listener reconnects with a fresh token.',
    source: `${P4} (later closes: 1008 token expired)`,
    level: 'must',
    profiles: BOTH,
  },
  {
    id: 'HC-010',
    title: 'several listeners on one path share the requests',
    requirement:
      'With several listeners connected to one hybrid connection, requests are spread among them: each listener serves some, and every request is answered exactly once.',
    source: `${P4} (up to 25 listeners per path; requests are spread among them)`,
    level: 'must',
    profiles: BOTH,
  },
  {
    id: 'HC-011',
    title: 'Microsoft’s hyco-https listener works against the simulator',
    requirement:
      'The npm package hyco-https 1.4.5 (Microsoft’s Node listener) must connect to the simulated endpoint (ws:// and wss:// on logical 443) and serve small and large requests and responses; its own known bugs (the `id` option, the crash on WebSocket accept, the unreachable reject) are asserted as such, not hidden.',
    source: `${P4} (hyco-https 1.4.5 as a compatibility peer)`,
    level: 'should',
    profiles: ['default'],
  },
  {
    id: 'HC-012',
    title: 'WebSocket mode: accept bridges the sender, reject answers its status',
    requirement:
      'A sender connecting with sb-hc-action=connect causes an accept frame on a listener; when the listener opens the rendezvous the two sockets are bridged both ways; when it rejects with sb-hc-statusCode the sender’s upgrade fails with that status (410 for the listener). The relay listener, which relays HTTP only, rejects every offer with 501.',
    source: `${P4} (accept, WebSocket mode); ${HCP}, "Accept message"`,
    level: 'must',
    profiles: BOTH,
  },
  {
    id: 'HC-013',
    title: 'the endpoint forwards cleanly: Via added, tokens and hop-by-hop headers removed',
    requirement:
      'A request reaching the listener carries a Via header and none of the sender’s SAS token (ServiceBusAuthorization, Authorization, sb-hc-token) nor hop-by-hop headers (Connection, Keep-Alive, TE, Trailer, Transfer-Encoding, Upgrade, Proxy-*).',
    source: `${P4} (the service strips the token and adds Via); RFC 9110 §7.6.1`,
    level: 'must',
    profiles: BOTH,
  },
  {
    id: 'HC-014',
    title: 'hostile peers get the protocol’s answer and the endpoint stays up',
    requirement:
      'A malformed control frame (1008), a control message over 64 KiB (1009), an oversized sender header (431), a rendezvous to an expired address (403; the sender 504) and a flood of 1,000 listeners on one path (25 accepted, the rest 403) each get the protocol’s answer, and the endpoint keeps serving a well-behaved listener and sender afterwards.',
    source: `${P4}; issue 4 (done when)`,
    level: 'must',
    profiles: BOTH,
  },
  {
    id: 'HC-015',
    title: 'the relay listener refuses an oversized request (413) and never hands it on whole',
    requirement:
      'A request body larger than the listener’s configured limit is answered 413 RELAY_E_HC_TOO_LARGE and never reaches the dispatcher whole: on the control channel when its message is whole; by rendezvous as soon as the bytes received pass the limit, after which the socket is closed (1009) without reading the rest (a dispatcher already started sees its body stream fail). The service strips Content-Length, so the size is known only from the body. The listener keeps serving.',
    source: 'issue 4 (relay listener: bounded size)',
    level: 'must',
    profiles: BOTH,
  },
  {
    id: 'HC-016',
    title: 'the relay listener reconnects after its control channel is killed',
    requirement:
      'When the service closes the control channel (1001, 1011 or a dropped connection), the relay listener reconnects with the delays 0, 1, 2, 5, 10, 30 s (plus up to 20 % jitter, never early), starts the schedule again after a channel that stayed up 30 s, and serves requests again after every reconnect.',
    source: `${P4} (reference listener behaviour: reconnect delays)`,
    level: 'must',
    profiles: BOTH,
  },
  {
    id: 'HC-017',
    title: 'the same endpoint serves the logical ports 443 and 9352 over TLS',
    requirement:
      'The listener and sender must work through both TLS listeners (logical 443 and logical 9352, the tcp connectivity mode), trusting only the simulator’s CA.',
    source: `${P4}; PROTOCOLS.md (ports 9350–9354 and 443)`,
    level: 'must',
    profiles: BOTH,
  },
]);
