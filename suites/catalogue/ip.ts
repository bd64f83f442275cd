// Catalogue of the IP area (CASES.md). In: nothing. Out: the area's cases, in id order.
import { defineCases } from './types';

const GUIDE = 'integration-proxy-service-guide, "Limiting the outbound connection to an IP range"';
const P5 = 'PROTOCOLS.md §5';

export const IP_CASES = defineCases('ip', [
  {
    id: 'IP-001',
    title: 'parses the legacy AzurePublicIpAddresses XML list region by region',
    requirement:
      'The legacy list (/AzurePublicIpAddresses/Region[@Name]/IpRange[@Subnet]) is read with a real XML parser and every IpRange of every Region is kept, in order.',
    source: `${GUIDE}; ${P5}`,
    level: 'must',
    profiles: ['default', 'min-spec'],
  },
  {
    id: 'IP-002',
    title: 'parses the current ServiceTags JSON with IPv4 and IPv6 prefixes',
    requirement:
      'ServiceTags_Public_*.json ({changeNumber, cloud, values[]}) is validated strictly and every tag keeps its region, changeNumber and prefixes, IPv4 and IPv6.',
    source: P5,
    level: 'must',
    profiles: ['default', 'min-spec'],
  },
  {
    id: 'IP-003',
    title: 'parses a single tag record exactly like the same tag in the combined file',
    requirement:
      'A tag record on its own ({name, id, properties}, e.g. ServiceBus.UKSouth.json) is accepted and gives the same ranges as that tag inside ServiceTags JSON.',
    source: P5,
    level: 'should',
    profiles: ['default', 'min-spec'],
  },
  {
    id: 'IP-004',
    title: "refuses the guide's copied list by default, naming line, column and character",
    requirement:
      'The list copied out of the guide has U+00A0 NO-BREAK SPACE inside its tags; by default it is refused with a typed error that names the line, the column and the character.',
    source: `${GUIDE}; ${P5}`,
    level: 'must',
    profiles: ['default', 'min-spec'],
  },
  {
    id: 'IP-005',
    title: "accepts the guide's copied list only when asked, giving exactly the clean list",
    requirement:
      'With the explicit tolerant option each U+00A0 between markup tokens becomes a space, the number replaced is reported, and the ranges equal those of the clean file exactly.',
    source: `${GUIDE}; ARCHITECTURE.md convention 4`,
    level: 'should',
    profiles: ['default', 'min-spec'],
  },
  {
    id: 'IP-006',
    title: 'selects the UK South and UK West ranges by region, case-insensitively',
    requirement:
      'Only the ranges of the named regions (uksouth, ukwest) are selected, whatever the case of the name and whichever format the source has.',
    source: `${GUIDE} ("only pull out the IP ranges specific to UK South and UK West")`,
    level: 'must',
    profiles: ['default', 'min-spec'],
  },
  {
    id: 'IP-007',
    title: 'selects ServiceBus.* or AzureCloud.* tags by family and region',
    requirement:
      'A tag family selects the tags <Family>.<Region> whose properties.region is requested (ServiceBus.UKSouth for uksouth); the legacy XML has no tags, so asking it for ServiceBus is a typed error.',
    source: P5,
    level: 'must',
    profiles: ['default', 'min-spec'],
  },
  {
    id: 'IP-008',
    title: 'Service Bus ranges lie inside the AzureCloud ranges of the same region',
    requirement:
      'Every ServiceBus.<Region> prefix is covered by AzureCloud.<region>, so allowing AzureCloud for UK South and West also allows Service Bus there.',
    source: `${P5}; ${GUIDE}`,
    level: 'should',
    profiles: ['default', 'min-spec'],
  },
  {
    id: 'IP-009',
    title: 'IPv4 containment agrees with a bit-by-bit reference',
    requirement:
      'For any IPv4 prefixes and address, contains() answers exactly as comparing the first prefix-length bits one by one.',
    source: 'CASES.md, IP area',
    level: 'must',
    profiles: ['default', 'min-spec'],
  },
  {
    id: 'IP-010',
    title: 'IPv6 containment agrees with a bit-by-bit reference',
    requirement:
      'For any IPv6 prefixes and address, contains() answers exactly as comparing the first prefix-length bits one by one.',
    source: 'CASES.md, IP area',
    level: 'must',
    profiles: ['default', 'min-spec'],
  },
  {
    id: 'IP-011',
    title: 'checks an IPv4-mapped IPv6 address as IPv4 and refuses malformed addresses',
    requirement:
      '::ffff:a.b.c.d meets the IPv4 prefixes of a.b.c.d; ambiguous or malformed addresses (127.1, 010.0.0.1, zone ids, ::a.b.c.d) are refused with IP_E_ADDRESS.',
    source: P5,
    level: 'must',
    profiles: ['default', 'min-spec'],
  },
  {
    id: 'IP-012',
    title: 'aggregation covers exactly the same addresses',
    requirement:
      'The aggregated list admits every address the selected prefixes admit and no other, for IPv4 and IPv6.',
    source: 'CASES.md, IP area',
    level: 'must',
    profiles: ['default', 'min-spec'],
  },
  {
    id: 'IP-013',
    title: 'aggregation is minimal and deterministic',
    requirement:
      'No two aggregated prefixes can merge and none contains another; the order is IPv4 first, then numeric, and aggregating again changes nothing.',
    source: 'CASES.md, IP area',
    level: 'should',
    profiles: ['default', 'min-spec'],
  },
  {
    id: 'IP-014',
    title: 'refuses a DOCTYPE, entity declarations and undefined entities before any expansion',
    requirement:
      'An XML source with <!DOCTYPE (billion laughs, external entities) is refused with IP_E_DOCTYPE before any entity is declared or expanded; &name; for any undeclared name is refused with IP_E_ENTITY.',
    source: 'CASES.md, XML hostile input; ARCHITECTURE.md convention 4',
    level: 'must',
    profiles: ['default', 'min-spec'],
  },
  {
    id: 'IP-015',
    title: 'malformed sources never throw an untyped error',
    requirement:
      'For any text, mutated JSON or mutated XML, the parsers and the selection return a result or throw a RangesError with a catalogued code.',
    source: 'CASES.md, hostile input',
    level: 'must',
    profiles: ['default', 'min-spec'],
  },
  {
    id: 'IP-016',
    title: 'refuses a prefix that is not a canonical CIDR, naming the value and its path',
    requirement:
      'Every prefix must be a valid CIDR with its host bits zero; otherwise IP_E_CIDR names the value and its JSON path or XML line.',
    source: P5,
    level: 'must',
    profiles: ['default', 'min-spec'],
  },
  {
    id: 'IP-017',
    title: 'reports the tag, region and changeNumber behind every selected prefix',
    requirement:
      'The selection says which tag and region each prefix came from and which changeNumber the source had, so a firewall change can be traced to the list it came from.',
    source: `${P5} ("Updated weekly")`,
    level: 'should',
    profiles: ['default', 'min-spec'],
  },
  {
    id: 'IP-018',
    title: 'refuses an unknown region, an unknown tag family and an empty selection',
    requirement:
      'A misspelt region (IP_E_REGION), a tag family absent from the source (IP_E_TAG) or a selection holding no prefix (IP_E_EMPTY) is a typed error, never an empty allow-list.',
    source: GUIDE,
    level: 'must',
    profiles: ['default', 'min-spec'],
  },
  {
    id: 'IP-019',
    title: 'refuses unknown XML elements, attributes and JSON fields unless told to be lenient',
    requirement:
      'Strict by default: anything outside the documented formats is refused with IP_E_SCHEMA; strict: false skips it and lists each skip as a warning.',
    source: 'ARCHITECTURE.md convention 4',
    level: 'should',
    profiles: ['default', 'min-spec'],
  },
  {
    id: 'IP-020',
    title: 'parses and selects a full-size ServiceTags file quickly',
    requirement:
      'A file the size of the real one (about 4 MB, about 3,000 tags) is parsed, selected and aggregated in well under two seconds.',
    source: P5,
    level: 'should',
    profiles: ['default'],
  },
  {
    id: 'IP-021',
    title: 'loads a source file, detects its format and refuses a missing or unknown file',
    requirement:
      'The loader tells ServiceTags JSON from legacy XML by content; a missing file (IP_E_SOURCE), an HTML download page or other text (IP_E_FORMAT) is a typed error.',
    source: GUIDE,
    level: 'must',
    profiles: ['default', 'min-spec'],
  },
  {
    id: 'IP-022',
    title: 'a DNS answer outside the allowed ranges is refused before dialling',
    requirement:
      'When the Service Bus host name answers an address outside the selected service-tag ranges (a poisoned or stale answer), the relay refuses the dial with RELAY_E_EGRESS_RANGE and an event before any packet is sent, diagnoses the port egress-refused, and never connects to that address.',
    source: `${GUIDE}; ARCHITECTURE.md (logical network)`,
    level: 'must',
    profiles: ['default', 'min-spec'],
  },
  {
    id: 'IP-023',
    title: 'an endpoint that moves to another allowed subnet keeps working',
    requirement:
      'When the namespace host names move to addresses in another allowed prefix and the old addresses go down (connections closed), the relay resolves again, dials the new logical addresses, handshakes and relays traffic over Service Bus and the Hybrid Connection.',
    source: GUIDE,
    level: 'must',
    profiles: ['default', 'min-spec'],
  },
]);
