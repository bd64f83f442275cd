// The typed refusals of the Azure IP range code (relay/src/egress/). In: a code from the
// `ranges` family, a message and safe details (line, column, path, value). Out: a
// RangesError, the only exception the parsers, the selection and the containment checks
// raise on purpose. Anything else escaping from this folder is a bug (see IP-015).
import { defineErrors, familyError } from '../protocol/errors';

export const RANGES_ERRORS = defineErrors('ranges', {
  IP_E_SOURCE: {
    summary: 'The IP range source file cannot be read (missing, a directory, no access).',
  },
  IP_E_SIZE: { summary: 'The IP range source is larger than the configured limit.' },
  IP_E_ENCODING: { summary: 'The IP range source is not valid UTF-8 text.' },
  IP_E_FORMAT: {
    summary: 'The source is neither ServiceTags JSON nor the legacy AzurePublicIpAddresses XML.',
  },
  IP_E_JSON: { summary: 'The ServiceTags JSON is not well-formed JSON.' },
  IP_E_XML: { summary: 'The legacy XML is not well-formed XML.' },
  IP_E_DOCTYPE: {
    summary: 'The XML has a DOCTYPE (so possibly entity declarations); it is refused unread.',
  },
  IP_E_ENTITY: { summary: 'The XML refers to an entity that XML does not predefine.' },
  IP_E_CHARACTER: {
    summary:
      'A look-alike character (e.g. U+00A0 NO-BREAK SPACE from a copied document) sits where XML allows only plain whitespace or quotes.',
  },
  IP_E_SCHEMA: {
    summary:
      'The source is well-formed but not shaped like a ServiceTags file, tag or legacy list.',
  },
  IP_E_CIDR: {
    summary: 'An address prefix is not a valid canonical CIDR (host bits must be zero).',
  },
  IP_E_ADDRESS: { summary: 'An IP address to check is not a valid IPv4 or IPv6 address.' },
  IP_E_OPTION: { summary: 'A selection option is malformed (no regions, an empty name, ...).' },
  IP_E_REGION: { summary: 'A requested region does not appear in the source.' },
  IP_E_TAG: {
    summary: 'A requested service tag family does not appear in (or cannot come from) the source.',
  },
  IP_E_EMPTY: { summary: 'The selection matched no address prefix at all.' },
});

export type RangesErrorCode = (typeof RANGES_ERRORS.codes)[number];

/** A typed refusal from the IP range code. `details` carries line/column/path/value where known. */
export class RangesError extends familyError(RANGES_ERRORS) {}

/** True when `e` is a RangesError (optionally with the given code). */
export function isRangesError(e: unknown, code?: RangesErrorCode): e is RangesError {
  return e instanceof RangesError && (code === undefined || e.code === code);
}
