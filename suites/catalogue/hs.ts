// Catalogue of the HS area (CASES.md). In: nothing. Out: the area's cases, in id order.
// The handshake is relaycheck's own v1 (docs/protocol/handshake-v1.md, from HANDSHAKE.md);
// the cases live in suites/handshake/, one file per behaviour.
import { defineCases } from './types';

const RULES = 'HANDSHAKE.md, "Rules the cloud side enforces on HELLO"';
const BOTH = ['default', 'min-spec'] as const;

export const HS_CASES = defineCases('hs', [
  {
    id: 'HS-001',
    title: 'completes a handshake for any tenant, secret, relay id and caps',
    requirement:
      'The relay "passes an encrypted message using AES 256 encryption as well as a \'salt\'" ' +
      'so that the connection is "coupled exclusively" between the two points; both sides ' +
      'derive "session key Ks = HKDF(K, nr || nc, "relaycheck session v1 " + tenant + " " + sid)".',
    source: 'integration-proxy-service-guide, "An outbound connection"; HANDSHAKE.md, "Exchange"',
    level: 'must',
    profiles: BOTH,
  },
  {
    id: 'HS-002',
    title: 'refuses a HELLO or WELCOME sealed with the wrong secret',
    requirement:
      '"AEAD opens (wrong key, any flipped bit, swapped field → fails here) | HS_E_AUTH"',
    source: RULES,
    level: 'must',
    profiles: BOTH,
  },
  {
    id: 'HS-003',
    title: 'refuses a HELLO replayed under another tenant, even one with the same secret',
    requirement:
      '"`pt` tenant binding: the outer tenant is in the AAD, so a cross-tenant replay fails ' +
      '`HS_E_AUTH`"',
    source: RULES,
    level: 'must',
    profiles: BOTH,
  },
  {
    id: 'HS-004',
    title: 'refuses a HELLO with any single bit flipped in any field',
    requirement:
      '"AEAD opens (wrong key, any flipped bit, swapped field → fails here) | HS_E_AUTH"',
    source: RULES,
    level: 'must',
    profiles: BOTH,
  },
  {
    id: 'HS-005',
    title: 'the relay refuses a WELCOME with any single bit flipped in any field',
    requirement:
      '"The relay enforces the mirror rules on WELCOME"; any flipped bit fails authentication.',
    source: RULES,
    level: 'must',
    profiles: BOTH,
  },
  {
    id: 'HS-006',
    title: 'refuses truncated and extended messages',
    requirement:
      '"size ≤ 4 KiB, valid JSON, exact field set and types, decoded lengths 16/12/16 | ' +
      'HS_E_FORMAT"; a shortened or lengthened ciphertext fails HS_E_AUTH.',
    source: RULES,
    level: 'must',
    profiles: BOTH,
  },
  {
    id: 'HS-007',
    title: 'refuses a replayed HELLO for as long as it could still be fresh',
    requirement:
      '"`(tenant, salt)` and `(tenant, nr)` unseen within 10 minutes (bounded cache) | HS_E_REPLAY"',
    source: RULES,
    level: 'must',
    profiles: BOTH,
  },
  {
    id: 'HS-008',
    title: 'refuses a new HELLO that reuses an earlier salt',
    requirement: '"`(tenant, salt)` ... unseen within 10 minutes | HS_E_REPLAY"',
    source: RULES,
    level: 'must',
    profiles: BOTH,
  },
  {
    id: 'HS-009',
    title: 'refuses a new HELLO that reuses an earlier relay nonce',
    requirement: '"... and `(tenant, nr)` unseen within 10 minutes | HS_E_REPLAY"',
    source: RULES,
    level: 'must',
    profiles: BOTH,
  },
  {
    id: 'HS-010',
    title: 'accepts HELLO clock skew of up to 120 s either way and refuses more',
    requirement: '"`abs(ts - now) ≤ 120 s` | HS_E_SKEW"',
    source: RULES,
    level: 'must',
    profiles: BOTH,
  },
  {
    id: 'HS-011',
    title: 'the relay accepts WELCOME clock skew of up to 120 s either way and refuses more',
    requirement: '"The relay enforces the mirror rules on WELCOME: ... `ts` in window"',
    source: RULES,
    level: 'must',
    profiles: BOTH,
  },
  {
    id: 'HS-012',
    title: 'draws a fresh salt, IV and nonce for each of 100,000 handshakes',
    requirement: '"`salt` and `iv` are fresh random values for every message (16 and 12 bytes)."',
    source: 'HANDSHAKE.md, "Exchange"',
    level: 'must',
    profiles: BOTH,
  },
  {
    id: 'HS-013',
    title: 'the relay refuses a WELCOME that echoes another nonce',
    requirement: '"The relay enforces the mirror rules on WELCOME: echoed `nr` equals its own"',
    source: RULES,
    level: 'must',
    profiles: BOTH,
  },
  {
    id: 'HS-014',
    title: 'refuses a HELLO reflected back as a WELCOME, and a WELCOME sent as a HELLO',
    requirement: '"direction-bound key (a HELLO reflected back as a WELCOME fails `HS_E_AUTH`)"',
    source: RULES,
    level: 'must',
    profiles: BOTH,
  },
  {
    id: 'HS-015',
    title: 'never throws an untyped error, whatever the input',
    requirement:
      'Every refusal is a typed error with a catalogued code ("Errors are a catalogue of ' +
      'typed classes with stable codes"), for any text or bytes, however malformed.',
    source: 'ARCHITECTURE.md, "Conventions" 2; HANDSHAKE.md, "Material"',
    level: 'must',
    profiles: BOTH,
  },
  {
    id: 'HS-016',
    title: 'accepts both keys during a rotation and refuses the retired one',
    requirement:
      '"`kid` — its key id; two keys may be active during a rotation." and "`kid` known and ' +
      'active for that tenant | HS_E_KID"; the cloud side "drops the session when the key is ' +
      'retired".',
    source: 'HANDSHAKE.md, "Material" and "Rules the cloud side enforces on HELLO"',
    level: 'must',
    profiles: BOTH,
  },
  {
    id: 'HS-017',
    title: 'answers every refusal with the same REJECT bytes',
    requirement:
      '"The peer only ever sees `REJECT`: no oracle." REJECT is "{v:1, t:"reject"} (never a reason)".',
    source: RULES,
    level: 'must',
    profiles: BOTH,
  },
  {
    id: 'HS-018',
    title: 'refuses a tenant for a 60 s back-off after 10 failed handshakes in a minute',
    requirement:
      '"at most 10 failed handshakes per tenant per minute, then refuse for a back-off | HS_E_RATE"',
    source: RULES,
    level: 'must',
    profiles: BOTH,
  },
  {
    id: 'HS-019',
    title: 'reproduces the test vectors byte for byte on both sides',
    requirement:
      '"Both the relay side and the cloud side must reproduce them byte for byte; changing the ' +
      'format means a new version, not new vectors."',
    source: 'HANDSHAKE.md, "Test vectors"',
    level: 'must',
    profiles: BOTH,
  },
  {
    id: 'HS-020',
    title: 'keeps the replay cache within its bounds under a flood without letting a replay in',
    requirement:
      '"`(tenant, salt)` and `(tenant, nr)` unseen within 10 minutes (bounded cache)": the ' +
      'cache stays within its entry and byte bounds, and refuses rather than forgets.',
    source: RULES,
    level: 'must',
    profiles: BOTH,
  },
  {
    id: 'HS-021',
    title: 'refuses a message over 4 KiB before parsing it',
    requirement:
      '"Every message is UTF-8 JSON, at most 4 KiB; anything larger is rejected before parsing."',
    source: 'HANDSHAKE.md, "Material"',
    level: 'must',
    profiles: BOTH,
  },
  {
    id: 'HS-022',
    title: 'refuses a message of another protocol version',
    requirement: '"`v` is 1 | HS_E_VERSION"',
    source: RULES,
    level: 'must',
    profiles: BOTH,
  },
  {
    id: 'HS-023',
    title: 'refuses an unknown tenant and an unknown key id',
    requirement:
      '"tenant known | HS_E_TENANT" and "`kid` known and active for that tenant | HS_E_KID"',
    source: RULES,
    level: 'must',
    profiles: BOTH,
  },
  {
    id: 'HS-024',
    title: 'the relay accepts one WELCOME per HELLO, for its own tenant and key id only',
    requirement:
      '"The relay enforces the mirror rules on WELCOME"; a WELCOME answers exactly one HELLO ' +
      'of the same tenant and kid.',
    source: RULES,
    level: 'must',
    profiles: BOTH,
  },
  {
    id: 'HS-025',
    title: 'keeps key material out of errors, sessions and their printed forms',
    requirement:
      '"`K` — a 32-byte secret per tenant ... never logged"; logs have "secrets redacted by ' +
      'default (... keys, handshake secrets ...)".',
    source: 'HANDSHAKE.md, "Material"; ARCHITECTURE.md, "Conventions" 5',
    level: 'must',
    profiles: BOTH,
  },
  {
    id: 'HS-026',
    title: 'ends a session after its ttl and when its key is retired',
    requirement:
      '"A session lives `ttl` seconds (default 3600) ... The cloud side dispatches no traffic ' +
      'to a relay connection without a live session and drops the session when the key is ' +
      'retired."',
    source: 'HANDSHAKE.md, "Rules the cloud side enforces on HELLO"',
    level: 'must',
    profiles: BOTH,
  },
  {
    id: 'HS-027',
    title: 'the relay reports a REJECT as a refusal without a reason',
    requirement: '"REJECT {v:1, t:"reject"} (never a reason)"',
    source: 'HANDSHAKE.md, "Exchange"',
    level: 'must',
    profiles: BOTH,
  },
  {
    id: 'HS-028',
    azure: true,
    title: 'a relay with a wrong key gets REJECT and never receives traffic',
    requirement:
      "A relay process whose tenant key differs from the tenant's gets REJECT, reports the refusal (session rejected, unhealthy), and receives no work: the tenant refuses to send while no session is live.",
    source: 'HANDSHAKE.md, "Exchange"; issue 6 (HS at system level)',
    level: 'must',
    profiles: BOTH,
  },
  {
    id: 'HS-029',
    title: 'a HELLO captured from the wire and replayed is refused',
    requirement:
      'The HELLO a running relay sent, read off the handshake queue and sent again by another party, is answered REJECT (HS_E_REPLAY at the tenant) while the relay keeps its own session.',
    source: 'HANDSHAKE.md, "Rules the cloud side enforces on HELLO"',
    level: 'must',
    profiles: BOTH,
  },
  {
    id: 'HS-030',
    azure: true,
    title: 'key rotation with two active key ids completes with zero failed requests',
    requirement:
      'With work flowing, the tenant activates a second key; the relay on the old key drains and stops and a relay holding the new key (first) and the old one takes over; the old key is retired; every request sent during the rotation is answered 200, and work sent after the retirement is sealed under the new key.',
    source: 'HANDSHAKE.md, "Material" (two keys may be active during a rotation)',
    level: 'must',
    profiles: BOTH,
  },
  {
    id: 'HS-031',
    azure: true,
    title: 'a retired key is refused with a clear message at the relay',
    requirement:
      'A relay whose only key the tenant has retired gets REJECT, and its log says the handshake was refused for that tenant and key id (never why, never the key).',
    source: 'HANDSHAKE.md, "Rules the cloud side enforces on HELLO"; issue 6',
    level: 'must',
    profiles: BOTH,
  },
  {
    id: 'HS-032',
    azure: true,
    title: 'after the handshake, traffic flows over both transports',
    requirement:
      "Once the relay process has a live session, one sealed retrieval over the Hybrid Connection and one sealed message over Service Bus reach the back-office mock and their sealed answers open at the tenant with the back office's bytes.",
    source: 'issue 6 (smoke route)',
    level: 'must',
    profiles: BOTH,
  },
]);
