// Catalogue of the ENV area (CASES.md). In: nothing. Out: the area's cases, in id order.
// The tests live in suites/envelope/, one file per behaviour; the format is
// docs/protocol/envelope-v1.md.
import { defineCases } from './types';

const ENVELOPE = 'HANDSHAKE.md, "Message envelope"';
const CASES = 'CASES.md, "ENV — envelope"';
const SPEC = 'docs/protocol/envelope-v1.md';
const BOTH = ['default', 'min-spec'] as const;

const BINDS =
  'aad = "v1|" + tenant + "|" + messageId + "|" + route + "|" + ts + "|" + direction. Swapping a sealed body onto another message or route fails to open.';
const SEGMENTS =
  'Bodies larger than one segment are sealed as a stream of 64 KiB segments (segment nonce = iv XOR segment counter; the last segment carries a final flag and the total length in its AAD), so a PDF of any size streams through in bounded memory and truncation, reordering or duplication of segments is detected.';
const STALE =
  "A message whose ts is older than the entity's time-to-live plus the skew window is refused (ENV_E_STALE).";
const PROFILES =
  'Profiles: production requires sealed bodies; development accepts plain bodies and says so in every report.';
const METADATA =
  'Metadata travels beside the body (AMQP application properties or HTTP headers): rc-env: v1, rc-kid, rc-salt, rc-iv, rc-ts.';

export const ENV_CASES = defineCases('env', [
  {
    id: 'ENV-001',
    title: 'a body of any size from 0 to 300 KiB on any route opens to the same bytes',
    requirement:
      'Round trip for any size (0 B to 50 MB) and route. ' +
      'key = HKDF(K, salt_m, "relaycheck env v1 " + direction + " " + tenant).',
    source: CASES,
    level: 'must',
    profiles: BOTH,
  },
  {
    id: 'ENV-002',
    title: 'a 50 MB body streams through sealing and opening with an equal SHA-256',
    requirement: `Round trip for any size (0 B to 50 MB) and route. ${SEGMENTS}`,
    source: CASES,
    level: 'must',
    profiles: BOTH,
  },
  {
    id: 'ENV-003',
    title: 'streamed and single-shot sealing give the same bytes for any chunking',
    requirement: `${SEGMENTS} A one-segment body is the one-segment case of the same format.`,
    source: SPEC,
    level: 'must',
    profiles: BOTH,
  },
  {
    id: 'ENV-004',
    title: 'any single flipped bit in the sealed body is refused',
    requirement:
      'Bit flip (CASES.md, ENV). AEAD is AES-256-GCM with a 12-byte IV and a 16-byte tag.',
    source: CASES,
    level: 'must',
    profiles: BOTH,
  },
  {
    id: 'ENV-005',
    title: 'any single flipped bit in the rc-* metadata is refused',
    requirement: `Bit flip (CASES.md, ENV). ${METADATA}`,
    source: CASES,
    level: 'must',
    profiles: BOTH,
  },
  {
    id: 'ENV-006',
    title: 'a body cut at a segment boundary is refused as truncated',
    requirement: SEGMENTS,
    source: ENVELOPE,
    level: 'must',
    profiles: BOTH,
  },
  {
    id: 'ENV-007',
    title: 'a body cut inside a segment is refused',
    requirement: SEGMENTS,
    source: ENVELOPE,
    level: 'must',
    profiles: BOTH,
  },
  {
    id: 'ENV-008',
    title: 'reordered segments are refused',
    requirement: SEGMENTS,
    source: ENVELOPE,
    level: 'must',
    profiles: BOTH,
  },
  {
    id: 'ENV-009',
    title: 'a duplicated or dropped segment is refused',
    requirement: SEGMENTS,
    source: ENVELOPE,
    level: 'must',
    profiles: BOTH,
  },
  {
    id: 'ENV-010',
    title: 'bytes appended after the final segment are refused',
    requirement: SEGMENTS,
    source: ENVELOPE,
    level: 'must',
    profiles: BOTH,
  },
  {
    id: 'ENV-011',
    title: 'a sealed body moved to another messageId is refused',
    requirement: BINDS,
    source: ENVELOPE,
    level: 'must',
    profiles: BOTH,
  },
  {
    id: 'ENV-012',
    title: 'a sealed body moved to another route is refused',
    requirement: BINDS,
    source: ENVELOPE,
    level: 'must',
    profiles: BOTH,
  },
  {
    id: 'ENV-013',
    title: 'a sealed body reflected into the other direction is refused',
    requirement:
      'key = HKDF(K, salt_m, "relaycheck env v1 " + direction + " " + tenant) with direction c2r (cloud to relay) or r2c (replies).',
    source: ENVELOPE,
    level: 'must',
    profiles: BOTH,
  },
  {
    id: 'ENV-014',
    title: 'a sealed body replayed under another tenant is refused',
    requirement: `${BINDS} K is a 32-byte secret per tenant.`,
    source: ENVELOPE,
    level: 'must',
    profiles: BOTH,
  },
  {
    id: 'ENV-015',
    title: 'a timestamp older than the time-to-live plus the skew window is refused as stale',
    requirement: STALE,
    source: ENVELOPE,
    level: 'must',
    profiles: BOTH,
  },
  {
    id: 'ENV-016',
    title: 'a timestamp further ahead than the skew window is refused as stale',
    requirement: `${STALE} The skew window is 120 s, as for the handshake (abs(ts - now) <= 120 s).`,
    source: ENVELOPE,
    level: 'must',
    profiles: BOTH,
  },
  {
    id: 'ENV-017',
    title: 'a plain body is refused under the production profile',
    requirement: PROFILES,
    source: ENVELOPE,
    level: 'must',
    profiles: BOTH,
  },
  {
    id: 'ENV-018',
    title: 'a plain body is accepted and reported as plain under the development profile',
    requirement: PROFILES,
    source: ENVELOPE,
    level: 'must',
    profiles: BOTH,
  },
  {
    id: 'ENV-019',
    title: 'malformed metadata never raises an untyped error',
    requirement: `Malformed input never throws an untyped error (CASES.md, HS, applied to the envelope). ${METADATA}`,
    source: CASES,
    level: 'must',
    profiles: BOTH,
  },
  {
    id: 'ENV-020',
    title: 'arbitrary bytes and metadata given to the opener never raise an untyped error',
    requirement:
      'Malformed input never throws an untyped error (CASES.md, HS, applied to the envelope).',
    source: CASES,
    level: 'must',
    profiles: BOTH,
  },
  {
    id: 'ENV-021',
    title: 'the opening stream emits segment 0 before the body ends and keeps its buffer bounded',
    requirement: SEGMENTS,
    source: ENVELOPE,
    level: 'must',
    profiles: BOTH,
  },
  {
    id: 'ENV-022',
    title: 'the sealing stream keeps its buffer bounded and waits for a slow reader',
    requirement: SEGMENTS,
    source: ENVELOPE,
    level: 'must',
    profiles: BOTH,
  },
  {
    id: 'ENV-023',
    title: 'the opening stream never emits a byte of a segment that fails authentication',
    requirement: `${SEGMENTS} TLS protects each hop; the envelope keeps council data opaque to the service in between and binds each body to its message.`,
    source: ENVELOPE,
    level: 'must',
    profiles: BOTH,
  },
  {
    id: 'ENV-024',
    title: 'a body sealed under another key or key id is refused',
    requirement:
      'K — a 32-byte secret per tenant. kid — its key id; two keys may be active during a rotation.',
    source: 'HANDSHAKE.md, "Material"',
    level: 'must',
    profiles: BOTH,
  },
  {
    id: 'ENV-025',
    title: 'salt and iv are fresh for every sealed message',
    requirement: 'Per message: salt_m (16 bytes), iv (12 bytes).',
    source: ENVELOPE,
    level: 'must',
    profiles: BOTH,
  },
  {
    id: 'ENV-026',
    title: 'the sealed form matches the specification byte for byte',
    requirement:
      'Exact encodings, so that two independent implementations agree byte for byte (HANDSHAKE.md, applied to the envelope as written in docs/protocol/envelope-v1.md).',
    source: SPEC,
    level: 'must',
    profiles: BOTH,
  },
  {
    id: 'ENV-027',
    title: 'the rc-* metadata is read strictly: exact fields, lengths and spellings',
    requirement: `${METADATA} All binary fields are base64url without padding.`,
    source: ENVELOPE,
    level: 'must',
    profiles: BOTH,
  },
]);
