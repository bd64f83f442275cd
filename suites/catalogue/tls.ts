// Catalogue of the TLS area (issue 10, security conformance): the TLS policy of the relay and the simulator. In: nothing.
// Out: the area's cases, in id order. The relay cases run the reference relay (a child process)
// against hostile TLS peers made at run time on loopback (suites/lib/hostile/tls.ts): servers
// limited to old versions or weak suites, servers that insist on a suite OpenSSL 3 can no
// longer serve, bad certificates from the simulator's test CA, and raw servers that read the
// relay's ClientHello. docs/tls.md describes each case and what it cannot show.
import { defineCases } from './types';

const ISSUE = 'issue 10 (security conformance)';
const NCSC =
  'NCSC, "Using TLS to protect data" (TLS 1.2 or 1.3 only, strong suites, validated certificates)';
const BCP195 = 'RFC 9325 / BCP 195 (no RC4, 3DES, NULL, EXPORT or anonymous suites)';
const OLD = 'RFC 8996 (TLS 1.0 and 1.1 deprecated)';
const CERTS = 'RFC 5280 §6 (path validation, validity); RFC 6125 (server identity)';
const P1 = 'PROTOCOLS.md §1 (5671, 9350-9354, 443)';
const BOTH = ['default', 'min-spec'] as const;

export const TLS_CASES = defineCases('tls', [
  {
    id: 'TLS-001',
    title: 'the relay refuses a back-office service that offers only TLS 1.0 or only TLS 1.1',
    requirement:
      'A back-office service that speaks only TLS 1.0, or only TLS 1.1 (an OpenSSL server at security level 0, shown to negotiate that version with a client that allows it), must be refused at the handshake: no HTTP request reaches it; the relay reports a typed error naming the TLS failure (RELAY_E_BACKOFFICE_TRANSIENT with the OpenSSL code, over the Hybrid Connection and in relay:backoffice:attempt events), retries per its back-off until Service Bus dead-letters the work, and keeps serving its other routes.',
    source: `${ISSUE}; ${NCSC}; ${OLD}`,
    level: 'must',
    profiles: [...BOTH],
  },
  {
    id: 'TLS-002',
    title: 'the relay refuses a back-office service that offers only weak cipher suites',
    requirement:
      "A back-office service offering only NULL suites or only anonymous suites (served by OpenSSL at security level 0) must be refused at the handshake; one that answers the relay's ClientHello by insisting on an RC4, 3DES, EXPORT or NULL-MD5 suite (suites OpenSSL 3 can no longer serve, or not with this certificate) must get a fatal alert. No HTTP request reaches any of them; the relay reports a typed error naming the TLS failure and keeps serving its other routes.",
    source: `${ISSUE}; ${NCSC}; ${BCP195}; RFC 7465 (RC4 prohibited)`,
    level: 'must',
    profiles: [...BOTH],
  },
  {
    id: 'TLS-003',
    title:
      'the relay refuses back-office certificates that are expired, self-signed or for another host',
    requirement:
      "With the test CA trusted, back-office services (the simulator's, one certificate per service) presenting an expired certificate, a self-signed one or one for another host name must be refused: no request reaches them, the relay reports CERT_HAS_EXPIRED, DEPTH_ZERO_SELF_SIGNED_CERT and ERR_TLS_CERT_ALTNAME_INVALID in typed errors, retries per its back-off and circuit breaker without exiting, while a service with a good certificate from the same CA is served.",
    source: `${ISSUE}; ${NCSC}; ${CERTS}`,
    level: 'must',
    profiles: [...BOTH],
  },
  {
    id: 'TLS-004',
    title: 'the relay refuses cloud endpoints that offer only TLS 1.0/1.1 or weak suites',
    requirement:
      'When the Service Bus and Hybrid Connections endpoints (5671, 443, 9350-9354) are served by TLS 1.0-only, TLS 1.1-only, NULL-only or anonymous-only servers, or by servers insisting on RC4, 3DES, EXPORT or NULL-MD5, every probe must be diagnosed tls-failed (RELAY_E_EGRESS_TLS), no mode is chosen, nothing is carried, and the relay keeps probing per its reconnect delays without exiting.',
    source: `${ISSUE}; ${NCSC}; ${BCP195}; ${OLD}; ${P1}`,
    level: 'must',
    profiles: [...BOTH],
  },
  {
    id: 'TLS-005',
    title:
      'the relay refuses cloud certificates that are expired, self-signed or for another host, and recovers once they are good',
    requirement:
      "When the Service Bus and Hybrid Connections endpoints present expired, self-signed or wrong-host certificates (a TLS proxy on loopback in front of the simulator, the relay's network map pointing at it), every probe must be diagnosed tls-failed on /healthz, no application byte passes the proxies (no relay session exists, so the tenant cannot send work), and the relay keeps re-probing with its reconnect back-off without exiting; the relay's own prober names the certificate fault. Once the endpoints present good certificates the relay goes live on a later round and answers work.",
    source: `${ISSUE}; ${NCSC}; ${CERTS}; ${P1}`,
    level: 'must',
    profiles: [...BOTH],
  },
  {
    id: 'TLS-006',
    title: "the relay's ClientHello offers TLS 1.2+ and no weak suite on the TCP path",
    requirement:
      "Every ClientHello the relay sends while it works over the TCP path (its probes of 5671, 443 and 9350-9354, the Service Bus SDK's AMQPS on 5671, the Hybrid Connections listener's control and rendezvous sockets on 9352, and its back-office HTTPS calls), read by a raw server on loopback that then forwards the bytes, must list only TLS 1.2 and 1.3 in supported_versions and no RC4, 3DES, DES, NULL, EXPORT, anonymous or MD5 suite (nor any suite unknown to the IANA registry table).",
    source: `${ISSUE}; ${NCSC}; ${BCP195}; ${OLD}; RFC 8446 §4.1.2, §4.2.1`,
    level: 'must',
    profiles: [...BOTH],
  },
  {
    id: 'TLS-007',
    title: "the relay's ClientHello offers TLS 1.2+ and no weak suite on the 443 path",
    requirement:
      'With connectivity mode https, every ClientHello of the relay on 443 (AMQP over WebSockets of the Service Bus client, the Hybrid Connections listener sockets) must list only TLS 1.2 and 1.3 in supported_versions and no RC4, 3DES, DES, NULL, EXPORT, anonymous or MD5 suite.',
    source: `${ISSUE}; ${NCSC}; ${BCP195}; ${OLD}; ${P1}`,
    level: 'must',
    profiles: [...BOTH],
  },
  {
    id: 'TLS-008',
    title:
      "the simulator's Hybrid Connections and back-office TLS listeners refuse TLS 1.0 and 1.1",
    requirement:
      "The simulator's Hybrid Connections listeners (443 and the 9350-9354 TCP listener) and a back-office service with TLS must refuse Node tls clients forced to TLS 1.0 and to TLS 1.1 (security level 0, so the client really sends them) with a protocol_version alert from the server, and accept TLS 1.2 with the simulator's CA. The Service Bus TLS and WebSocket listeners are covered by SB-022.",
    source: `${ISSUE}; ${OLD}; SB-022 (the Service Bus listeners)`,
    level: 'must',
    profiles: [...BOTH],
  },
  {
    id: 'TLS-009',
    title: "the simulator's TLS listeners refuse openssl s_client -tls1 and -tls1_1",
    requirement:
      "Every TLS listener of the simulator (Service Bus TLS and WebSocket, Hybrid Connections 443 and TCP, a back-office service with TLS) must answer `openssl s_client -tls1` and `-tls1_1` (with -cipher DEFAULT@SECLEVEL=0) with a fatal protocol_version alert after the client's ClientHello was sent (a refusal by the server, not by the local OpenSSL), and accept `-tls1_2` with the simulator's CA. Skipped, saying so, where openssl is not installed.",
    source: `${ISSUE}; ${OLD}; SB-022 (the same listeners with Node clients)`,
    level: 'must',
    profiles: [...BOTH],
  },
  {
    id: 'TLS-010',
    title: "the relay's TLS policy does not follow weakened Node defaults",
    requirement:
      "Started with NODE_OPTIONS='--tls-min-v1.0 --tls-cipher-list=ALL:@SECLEVEL=0' (process-wide defaults an operator might set to reach an old server) in connectivity mode https, the relay must still refuse a TLS 1.0-only back-office service and every ClientHello of its own TLS clients (probes, AMQP over WebSockets, Hybrid Connections sockets, the back-office client) must still offer only TLS 1.2+ and no weak suite. (The Service Bus SDK's own AMQPS connection on 5671 takes Node's process defaults: docs/tls.md.)",
    source: `${ISSUE}; ${NCSC} (configure TLS explicitly); ${BCP195}`,
    level: 'should',
    profiles: [...BOTH],
  },
]);
