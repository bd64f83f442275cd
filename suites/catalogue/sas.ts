// Catalogue of the SAS area (CASES.md). In: nothing. Out: the area's cases, in id order.
import { defineCases } from './types';

const SAS_DOC = 'Azure docs, "Service Bus access control with Shared Access Signatures"';
const BOTH = ['default', 'min-spec'] as const;

export const SAS_CASES = defineCases('sas', [
  {
    id: 'SAS-001',
    title: 'a valid token verifies',
    requirement:
      'A token signed with a configured key, for the requested resource, unexpired, within the lifetime policy and carrying the needed right must be accepted.',
    source: `PROTOCOLS.md §2; ${SAS_DOC}`,
    level: 'must',
    profiles: BOTH,
  },
  {
    id: 'SAS-002',
    title: 'a created token is byte for byte the token the Azure SDK builds',
    requirement:
      'createSasToken must produce exactly what @azure/core-amqp produces for the same resource, key name, key and expiry: sr and skn encodeURIComponent-ed, sig = encodeURIComponent(base64(HMAC-SHA256(utf8 key, sr + "\\n" + se))).',
    source: 'PROTOCOLS.md §2; @azure/core-amqp auth/tokenProvider createToken',
    level: 'must',
    profiles: BOTH,
  },
  {
    id: 'SAS-003',
    title: 'tokens verify whatever the scheme and default port of their resource',
    requirement:
      'sb, amqp, amqps, https, http, wss and ws URIs of one resource are the same resource, and ports 5671, 5672, 443 and 80 are dropped, so a token whose sr carries :5671 or :443 (as the SDK and hyco-https send) verifies against the bare resource.',
    source: 'PROTOCOLS.md §2 (the SDK signs the port; hyco-https keeps :443)',
    level: 'must',
    profiles: BOTH,
  },
  {
    id: 'SAS-004',
    title: 'a token is expired from the second of its expiry',
    requirement:
      'A token must be refused with SAS_E_EXPIRED when the time is at or after se, and accepted one second before.',
    source: `${SAS_DOC}; PROTOCOLS.md §4 (1008 on expiry)`,
    level: 'must',
    profiles: BOTH,
  },
  {
    id: 'SAS-005',
    title: 'any change to sig, sr, se or skn makes the token fail',
    requirement:
      'A token altered in its signature, resource, expiry or key name must never verify.',
    source: SAS_DOC,
    level: 'must',
    profiles: BOTH,
  },
  {
    id: 'SAS-006',
    title: 'a token for another resource is refused, on path-segment boundaries',
    requirement:
      'The token resource must be the requested resource or a parent of it on a segment boundary: sb://ns/queue1 grants sb://ns/queue1/$management but not sb://ns/queue10, a sibling or another namespace.',
    source: `PROTOCOLS.md §2; ${SAS_DOC}`,
    level: 'must',
    profiles: BOTH,
  },
  {
    id: 'SAS-007',
    title: 'a missing token is refused as missing',
    requirement: 'An absent, empty or blank token must be refused with SAS_E_MISSING (HTTP 401).',
    source: 'PROTOCOLS.md §4 (401 for a missing token)',
    level: 'must',
    profiles: BOTH,
  },
  {
    id: 'SAS-008',
    title: 'a token naming an unknown key is refused',
    requirement:
      'A token whose skn matches no configured authorization rule must be refused with SAS_E_KEYNAME.',
    source: SAS_DOC,
    level: 'must',
    profiles: BOTH,
  },
  {
    id: 'SAS-009',
    title: 'a Listen-only key cannot Send',
    requirement: 'A token signed with a key that has only Listen must be refused for Send (403).',
    source: `${SAS_DOC} (rights); PROTOCOLS.md §4`,
    level: 'must',
    profiles: BOTH,
  },
  {
    id: 'SAS-010',
    title: 'a Send-only key cannot Listen',
    requirement:
      'A token signed with a key that has only Send must be refused for Listen (403), as Hybrid Connections refuse a listener without Listen.',
    source: `${SAS_DOC} (rights); PROTOCOLS.md §4 (403 when the token lacks Listen)`,
    level: 'must',
    profiles: BOTH,
  },
  {
    id: 'SAS-011',
    title: 'a Manage key may also Listen and Send',
    requirement: 'The Manage right implies Listen and Send, as in Azure.',
    source: `${SAS_DOC} (rights)`,
    level: 'must',
    profiles: BOTH,
  },
  {
    id: 'SAS-012',
    title: 'a token that lives longer than the policy allows is refused',
    requirement:
      'A token whose expiry is more than the configured maximum lifetime after now must be refused with SAS_E_LIFETIME; exactly the maximum is accepted.',
    source: 'docs/protocol/sas.md (relaycheck policy); PROTOCOLS.md §2 (tokens live 1 hour)',
    level: 'must',
    profiles: BOTH,
  },
  {
    id: 'SAS-013',
    title: 'malformed tokens never cause an untyped error',
    requirement:
      'Any string, random or token-shaped, must yield a grant or a SasError with a catalogued code, never another exception.',
    source: 'CASES.md (malformed input never throws an untyped error)',
    level: 'must',
    profiles: BOTH,
  },
  {
    id: 'SAS-014',
    title: 'token fields may come in any order',
    requirement: 'The parser must not depend on the order of sr, sig, se and skn.',
    source: SAS_DOC,
    level: 'must',
    profiles: BOTH,
  },
  {
    id: 'SAS-015',
    title: 'duplicate, unknown and empty fields and a missing prefix are refused',
    requirement:
      'A token with a repeated, unknown, empty or missing field, or without the "SharedAccessSignature " prefix, must be refused with SAS_E_FORMAT.',
    source: 'ARCHITECTURE.md conventions (strict by default); PROTOCOLS.md §2',
    level: 'must',
    profiles: BOTH,
  },
  {
    id: 'SAS-016',
    title: 'a token over 4 KiB is refused before parsing',
    requirement:
      'A token longer than 4096 bytes must be refused with SAS_E_TOO_LONG whatever it contains.',
    source: 'docs/protocol/sas.md (relaycheck policy)',
    level: 'must',
    profiles: BOTH,
  },
  {
    id: 'SAS-017',
    title: 'an entity-level key cannot sign for another entity or the namespace',
    requirement:
      "A token signed with a rule scoped to one entity must be refused (SAS_E_RESOURCE) when its sr lies outside that entity, even when the requested resource lies inside the token's sr.",
    source: `${SAS_DOC} (namespace- and entity-level rules)`,
    level: 'must',
    profiles: BOTH,
  },
]);
