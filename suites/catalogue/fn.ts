// Catalogue of the FN area (issue 10, security conformance): hostile file names declared in the
// metadata of dropped files. The relay never uses a declared name as a path (it names files
// itself: ROUTE-008), but it validates the name, refuses a hostile one with RELAY_E_CONTENT_NAME
// and its rule, writes nothing, and logs the name only clipped and escaped. In: nothing. Out:
// the area's cases, in id order.
import { defineCases } from './types';

const ISSUE = 'issue 10 (security conformance), "File names"';
const OWASP = 'OWASP Path Traversal; Microsoft "Naming Files, Paths, and Namespaces"';
const BOTH = ['default', 'min-spec'] as const;

export const FN_CASES = defineCases('fn', [
  {
    id: 'FN-001',
    title: 'refuses traversal in a declared file name, however it is encoded',
    requirement:
      'A declared name with a "." or ".." segment (/ or \\), percent-encoded once, twice or more, in %u form or as overlong UTF-8, is dead-lettered with RELAY_E_CONTENT_NAME (traversal) and nothing is written anywhere.',
    source: `${ISSUE}; ${OWASP}`,
    level: 'must',
    profiles: [...BOTH],
  },
  {
    id: 'FN-002',
    title: 'refuses absolute paths, drive letters and UNC paths',
    requirement:
      'A declared name that is an absolute path (/, \\, file:), names a drive (C:) or a UNC share (\\\\server\\share, //server) is dead-lettered with RELAY_E_CONTENT_NAME (absolute, drive, unc); nothing is written.',
    source: `${ISSUE}; ${OWASP}`,
    level: 'must',
    profiles: [...BOTH],
  },
  {
    id: 'FN-003',
    title:
      'refuses Windows reserved names, reserved characters, trailing dots and spaces, and alternate data streams',
    requirement:
      'CON, PRN, AUX, NUL, COM1-9, LPT1-9 (any case, any extension, superscript digits), the characters <>:"|?*, a trailing dot or space and a ":stream" suffix are dead-lettered with RELAY_E_CONTENT_NAME (reserved, reserved-char, trailing, stream).',
    source: `${ISSUE}; Microsoft "Naming Files, Paths, and Namespaces"`,
    level: 'must',
    profiles: [...BOTH],
  },
  {
    id: 'FN-004',
    title: 'refuses NUL and control characters and right-to-left overrides',
    requirement:
      'A declared name holding NUL, another C0/C1 control or DEL, or a bidirectional control (RLO, LRO, RLE, LRE, PDF, isolates) or invisible joiner, raw or percent-encoded, is dead-lettered with RELAY_E_CONTENT_NAME (control, bidi); the relay never shows such a character unescaped.',
    source: `${ISSUE}; Unicode TR36 (spoofing)`,
    level: 'must',
    profiles: [...BOTH],
  },
  {
    id: 'FN-005',
    title: 'refuses double extensions and extensions the policy does not allow',
    requirement:
      'A name whose last extension is not one the route allows (default pdf), or that hides an executable extension beside it (bill.exe.pdf, bill.pdf.exe), is dead-lettered with RELAY_E_CONTENT_NAME (extension, double-extension).',
    source: `${ISSUE}; MITRE ATT&CK T1036.007 (double file extension)`,
    level: 'must',
    profiles: [...BOTH],
  },
  {
    id: 'FN-006',
    title: 'refuses names over 255 bytes and names that are not valid UTF-8',
    requirement:
      'A declared name longer than 255 UTF-8 bytes, empty, or that decodes to bytes that are not UTF-8 (lone surrogates, noncharacters) is dead-lettered with RELAY_E_CONTENT_NAME (length, encoding).',
    source: `${ISSUE}; NTFS and ext4 name limits`,
    level: 'must',
    profiles: [...BOTH],
  },
  {
    id: 'FN-007',
    title: 'a declared name that collides never overwrites a file',
    requirement:
      'Two drops declaring the same name, and a name equal to a file already in the folder, are all written under relay-made names; each file holds its own bytes and the file already there is untouched.',
    source: `${ISSUE} ("collisions with existing files")`,
    level: 'must',
    profiles: [...BOTH],
  },
  {
    id: 'FN-008',
    title: 'accepts and logs ordinary council file names, never using them as the file name',
    requirement:
      'Ordinary names (spaces, brackets, Welsh and accented letters, an upper-case .PDF) over Service Bus and in a Content-Disposition filename* over the Hybrid Connection are accepted; the receipt and the relay report the declared name; the file keeps the relay-made name.',
    source: `${ISSUE}; RFC 6266 / RFC 8187`,
    level: 'must',
    profiles: [...BOTH],
  },
  {
    id: 'FN-009',
    title: 'refuses a hostile or malformed Content-Disposition over the Hybrid Connection',
    requirement:
      'Over the Hybrid Connection a hostile filename or filename* (traversal, bidi override, UNC) or a Content-Disposition that does not parse is answered 422 with RELAY_E_CONTENT_NAME and its rule; nothing is written.',
    source: `${ISSUE}; RFC 6266`,
    level: 'must',
    profiles: [...BOTH],
  },
]);
