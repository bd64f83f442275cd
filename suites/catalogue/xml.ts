// Catalogue of the XML area (issue 10, security conformance): hostile XML bodies sent sealed to
// the relay's post-xml routes. In: nothing. Out: the area's cases, in id order. Every body is
// generated at run time (suites/lib/hostile/xml.ts, several forms per attack); each case sends
// every form of its attack through the reference relay (a child process) over Service Bus (the
// 100,000-deep forms, too big for a Standard message, over the Hybrid Connection) and reads the
// dead-letter queue, the relay's events, the back office and a canary HTTP server on loopback.
import { defineCases } from './types';

const ISSUE = 'issue 10 (security conformance)';
const XXE =
  'OWASP XML External Entity Prevention Cheat Sheet (disable DTDs entirely); CWE-611 (XXE)';
const SSRF = 'CWE-918 (server-side request forgery)';
const EXPANSION =
  'OWASP XML Security Cheat Sheet ("Denial of service"); CWE-776 (entity expansion)';
const LIMITS = 'OWASP XML Security Cheat Sheet ("Coercive parsing", "Jumbo payloads")';
const WELL_FORMED = 'XML 1.0 (Fifth Edition) §2.1, §2.2, §4.3.3; OWASP XML Security Cheat Sheet';
const BOTH = ['default', 'min-spec'] as const;
/** What every refusal case checks besides its own point. */
const REFUSED =
  'is dead-lettered with reason RELAY_E_CONTENT_XML and a description "XML refused (<rule>): ..." naming the rule; the back office records nothing (journal, intake stores, file shares) and no temporary file is left';

export const XML_CASES = defineCases('xml', [
  {
    id: 'XML-001',
    title: 'an external entity to a local file is refused',
    requirement: `A body that declares an external entity to a local file (file:///etc/passwd, a Windows path, a relative path, /proc/self/environ; SYSTEM or PUBLIC; used in text or in an attribute; behind a BOM or a comment) ${REFUSED}; rule doctype: no DTD is ever read, so no file is ever opened.`,
    source: `${ISSUE}; ${XXE}`,
    level: 'must',
    profiles: [...BOTH],
    azure: true,
  },
  {
    id: 'XML-002',
    title: 'an external entity to an internal URL is refused and never fetched',
    requirement: `A body that declares an external entity (SYSTEM, PUBLIC, used in text or an attribute, or an unparsed NDATA entity) pointing at an internal URL ${REFUSED}; rule doctype; a canary HTTP server at that URL on loopback records zero requests.`,
    source: `${ISSUE}; ${XXE}; ${SSRF}`,
    level: 'must',
    profiles: [...BOTH],
    azure: true,
  },
  {
    id: 'XML-003',
    title: 'a parameter entity loading a remote DTD is refused and never fetched',
    requirement: `A body whose DOCTYPE loads a remote DTD (a parameter entity, the out-of-band exfiltration pattern, an external subset by SYSTEM or PUBLIC identifier) ${REFUSED}; rule doctype; the canary server at the DTD's URL records zero requests.`,
    source: `${ISSUE}; ${XXE}; ${SSRF}`,
    level: 'must',
    profiles: [...BOTH],
    azure: true,
  },
  {
    id: 'XML-004',
    title: 'billion laughs is refused without expanding anything',
    requirement: `A body with nested entity definitions that expand exponentially (ten levels of ten, thirty levels of two, in text or in an attribute, with or without the XML declaration) ${REFUSED}; rule doctype, raised on the chunk that holds "<!DOCTYPE", before any entity is defined.`,
    source: `${ISSUE}; ${EXPANSION}`,
    level: 'must',
    profiles: [...BOTH],
    azure: true,
  },
  {
    id: 'XML-005',
    title: 'a quadratic blow-up is refused without expanding anything',
    requirement: `A body with one large entity referenced tens of thousands of times (gigabytes once expanded, within the route's size limit before) ${REFUSED}; rule doctype.`,
    source: `${ISSUE}; ${EXPANSION}`,
    level: 'must',
    profiles: [...BOTH],
    azure: true,
  },
  {
    id: 'XML-006',
    title: 'XInclude and xml:base are refused and never fetched',
    requirement: `A body with an element in an XInclude namespace (2001 or 2003, any prefix or the default namespace, anywhere in the document, with a fallback) or an xml:base attribute ${REFUSED}; rule xinclude; the canary server at the included URL records zero requests.`,
    source: `${ISSUE}; ${XXE} (XInclude); XML Inclusions (XInclude) 1.0 §4`,
    level: 'must',
    profiles: [...BOTH],
    azure: true,
  },
  {
    id: 'XML-007',
    title: '100,000-deep nesting is refused at the depth limit with bounded work',
    requirement:
      "A body of 100,000 nested elements (closed, or never closed), streamed over the Hybrid Connection (it is larger than a Standard Service Bus message), is refused by the relay with RELAY_E_CONTENT_XML rule depth after it read at most 64 KiB of it (its check's own count), and answered 422 with that code and rule (unless the sender front, which ends the sender's connection when the relay drops the rendezvous, closes the upload before the answer is read: noted, the relay's refusal stands); the back office records nothing. A body one level deeper than the route's limit sent over Service Bus is dead-lettered with rule depth.",
    source: `${ISSUE}; ${LIMITS}`,
    level: 'must',
    profiles: [...BOTH],
    azure: true,
  },
  {
    id: 'XML-008',
    title: "a body over the route's size limit is refused",
    requirement: `A body over the route's size limit (plain lines, two-byte Welsh text, comments after the root) ${REFUSED}; rule size, raised on the chunk that crosses the limit.`,
    source: `${ISSUE}; ${LIMITS}`,
    level: 'must',
    profiles: [...BOTH],
    azure: true,
  },
  {
    id: 'XML-009',
    title: 'an oversize attribute is refused',
    requirement: `A body with an attribute value one character over the limit (64 KiB by default; plain or made of escapes) or one attribute more than the limit on an element ${REFUSED}; rule attributes.`,
    source: `${ISSUE}; ${LIMITS}`,
    level: 'must',
    profiles: [...BOTH],
    azure: true,
  },
  {
    id: 'XML-010',
    title: 'an oversize name is refused',
    requirement: `A body with an element name, an attribute name or a prefixed name one character over the limit (256 by default) ${REFUSED}; rule name.`,
    source: `${ISSUE}; ${LIMITS}`,
    level: 'must',
    profiles: [...BOTH],
    azure: true,
  },
  {
    id: 'XML-011',
    title: 'a truncated document is refused',
    requirement: `A document cut short (before the root closes, inside a start tag, an attribute value, a comment, a CDATA section, an end tag or a two-byte character, after the XML declaration, or to nothing) ${REFUSED}; rule malformed (encoding for a cut character, root when no root element is left).`,
    source: `${ISSUE}; ${WELL_FORMED}`,
    level: 'must',
    profiles: [...BOTH],
    azure: true,
  },
  {
    id: 'XML-012',
    title: 'an encoding declaration that contradicts the BOM is refused',
    requirement: `A body whose byte order mark and encoding declaration disagree (a UTF-8 BOM with encoding UTF-16, ISO-8859-1 or UTF-32; a UTF-16LE, UTF-16BE or UTF-32LE BOM with encoding UTF-8, the body in either encoding) ${REFUSED}; rule encoding: the relay accepts UTF-8 only.`,
    source: `${ISSUE}; XML 1.0 (Fifth Edition) §4.3.3 and Appendix F`,
    level: 'must',
    profiles: [...BOTH],
    azure: true,
  },
  {
    id: 'XML-013',
    title: 'characters XML 1.0 forbids are refused',
    requirement: `A body with a character XML 1.0 forbids, raw or by reference (U+0000, U+0001, U+0008, U+000B, U+001F, U+FFFE, U+FFFF, a surrogate such as &#xD800;, beyond U+10FFFF) in text, an attribute, a comment or a CDATA section ${REFUSED}; rule malformed; bytes that are not UTF-8 (a surrogate's bytes, an overlong "<", FF) are refused with rule encoding.`,
    source: `${ISSUE}; ${WELL_FORMED}`,
    level: 'must',
    profiles: [...BOTH],
    azure: true,
  },
  {
    id: 'XML-014',
    title: 'a well-formed document with the wrong root for the route is refused',
    requirement: `A well-formed document whose root is not one the route accepts (another service's document, the root in another letter case, the expected root wrapped in an envelope or under another local name, a second root, text after the root) ${REFUSED}; rule root.`,
    source: `${ISSUE}; integration-proxy-service-guide ("Post XML to ... system")`,
    level: 'must',
    profiles: [...BOTH],
    azure: true,
  },
  {
    id: 'XML-015',
    title: 'the relay keeps serving good XML after the hostile bodies',
    requirement:
      'After every hostile body of XML-001..014, a well-formed document for each XML route still reaches its intake service once, byte for byte, and its sealed receipt comes back; the canary server has recorded zero requests over the whole run.',
    source: `${ISSUE} ("refuse ... and keep serving")`,
    level: 'must',
    profiles: [...BOTH],
    azure: true,
  },
]);
