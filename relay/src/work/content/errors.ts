// The typed refusals of the relay's content checks. In: a code of the `relay-content` family,
// the rule that was broken and a short reason. Out: a RelayContentError whose details.rule names
// the rule; the message quotes at most CLIP characters of the input, never a key or a whole body.
// Content refusals answer 422: the request itself was sound, its content is refused by policy.
import { defineErrors, familyError, type ErrorDetails } from '../../protocol/errors';

export const RELAY_CONTENT_ERRORS = defineErrors('relay-content', {
  RELAY_E_CONTENT_XML: {
    summary:
      'An XML body was refused before it reached a back-office system: not well-formed, not UTF-8, a DOCTYPE, a processing instruction, XInclude or xml:base, the wrong root or a limit broken (details.rule names which).',
    http: 422,
  },
  RELAY_E_CONTENT_PDF: {
    summary:
      'A PDF body was refused before it reached a back-office system or a file share: no %PDF-1.x / %PDF-2.0 header, no %%EOF at the end, a broken startxref / xref, encrypted (cannot be scanned), active content (JavaScript, Launch, …) or embedded files under a refuse policy, a stream that inflates past its bound, an unreadable object stream, or larger than the limit (details.rule names which).',
    http: 422,
  },
  RELAY_E_CONTENT_CONFIG: {
    summary:
      'The content check options are invalid (a limit out of range, an unknown field) or a check was used after it ended; the message names the field.',
  },
  RELAY_E_CONTENT_NAME: {
    summary:
      'The file name declared in the metadata was refused (it is never used as a path: the relay names files itself): traversal, an absolute, drive or UNC path, a reserved device name or character, a trailing dot or space, an alternate data stream, control or bidi characters, too long or empty, bad encoding, or an extension the policy does not allow (details.rule names which).',
    http: 422,
  },
});

export type RelayContentErrorCode = (typeof RELAY_CONTENT_ERRORS.codes)[number];

/** A refused body (XML or PDF) or bad content check options. */
export class RelayContentError extends familyError(RELAY_CONTENT_ERRORS) {}

/** True when `e` is a RelayContentError. */
export function isRelayContentError(e: unknown): e is RelayContentError {
  return e instanceof RelayContentError;
}

/** The most characters of the input a message or detail ever quotes. */
export const CLIP = 60;

/** `s` cut to CLIP characters, with anything outside printable ASCII shown as '?'. */
export function clip(s: string): string {
  const cut = s.length > CLIP ? `${s.slice(0, CLIP)}…` : s;
  return cut.replace(/[^\x20-\x7e…]/g, '?');
}

/** Raises the refusal of one body: `<kind> refused (<rule>): <why>`. */
export function refusal(
  code: 'RELAY_E_CONTENT_XML' | 'RELAY_E_CONTENT_PDF',
  rule: string,
  why: string,
  details: ErrorDetails = {},
): RelayContentError {
  const kind = code === 'RELAY_E_CONTENT_XML' ? 'XML' : 'PDF';
  return new RelayContentError(code, `${kind} refused (${rule}): ${why}`, { ...details, rule });
}
