// Catalogue of the ROUTE area (CASES.md): the eight uses of the guide, end to end through the
// simulated cloud, the reference relay (a child process) and the mock back office, checked at
// the far end (journal, intake store, file shares) and at the tenant (the sealed answer opens
// and matches). In: nothing. Out: the area's cases, in id order.
import { defineCases } from './types';

const GUIDE = 'integration-proxy-service-guide, "What the integration proxy does"';
const ISSUE = 'issue 7 (reference relay, part 2)';
const BOTH = ['default', 'min-spec'] as const;

export const ROUTE_CASES = defineCases('route', [
  {
    id: 'ROUTE-001',
    title: 'retrieves council tax data through the Hybrid Connection',
    requirement:
      'A sealed GET of a council tax account through the Hybrid Connection reaches the council tax service at that path and the tenant opens the XML the service gave, byte for byte.',
    source: `${GUIDE} ("Retrieve Council Tax data")`,
    level: 'must',
    profiles: [...BOTH],
    external: true,
    azure: true,
  },
  {
    id: 'ROUTE-002',
    title: 'retrieves business rates data through the Hybrid Connection',
    requirement:
      'A sealed GET of a business rates property reaches the business rates service and the tenant opens the same XML the service gave.',
    source: `${GUIDE} ("Retrieve Business Rates data")`,
    level: 'must',
    profiles: [...BOTH],
    external: true,
    azure: true,
  },
  {
    id: 'ROUTE-003',
    title: 'retrieves benefits data through the Hybrid Connection',
    requirement:
      'A sealed GET of a benefits claim reaches the benefits service and the tenant opens the same XML the service gave; an unknown claim is answered with the service own 404.',
    source: `${GUIDE} ("Retrieve Benefits data")`,
    level: 'must',
    profiles: [...BOTH],
    external: true,
    azure: true,
  },
  {
    id: 'ROUTE-004',
    title: 'retrieves bills, letters and payment schedules as PDFs, streamed',
    requirement:
      'Bills, letters and payment schedules come back through the Hybrid Connection as the same PDF bytes (SHA-256) the document service made, from a few KB to several MB, streamed by the relay (never buffered whole).',
    source: `${GUIDE} ("Retrieve bills, letters, payment schedules")`,
    level: 'must',
    profiles: [...BOTH],
    external: true,
    azure: true,
  },
  {
    id: 'ROUTE-005',
    title: 'posts XML into council tax and benefits',
    requirement:
      'A sealed XML change of circumstances sent on the requests queue reaches the council tax & benefits intake once, byte for byte, with the message id as Idempotency-Key; the receipt comes back sealed on the replies queue.',
    source: `${GUIDE} ("Post XML to Council Tax & Benefits system")`,
    level: 'must',
    profiles: [...BOTH],
    external: true,
    azure: true,
  },
  {
    id: 'ROUTE-006',
    title: 'posts XML into environmental health',
    requirement:
      'A sealed environmental health case reaches the environmental health intake once, byte for byte, and its receipt comes back sealed.',
    source: `${GUIDE} ("Post XML to Environmental Health system")`,
    level: 'must',
    profiles: [...BOTH],
    external: true,
    azure: true,
  },
  {
    id: 'ROUTE-007',
    title: 'posts XML into licensing',
    requirement:
      'A sealed licence application reaches the licensing intake once, byte for byte, and its receipt comes back sealed.',
    source: `${GUIDE} ("Post XML to Licensing system")`,
    level: 'must',
    profiles: [...BOTH],
    external: true,
    azure: true,
  },
  {
    id: 'ROUTE-008',
    title: 'drops PDFs and evidence for every form type into its own folder',
    requirement:
      'For each of at least 120 online form types a sealed PDF lands in that form type own folder, whole (SHA-256), under a name the relay made (never one from the message), with no temporary file left; the receipt comes back sealed.',
    source: `${GUIDE} ("Post PDFs/Evidence for >100 online forms into different file locations")`,
    level: 'must',
    profiles: [...BOTH],
    external: true,
    azure: true,
  },
  {
    id: 'ROUTE-009',
    azure: true,
    title: 'an unknown route is refused with a reason the tenant sees',
    requirement:
      'Work for a route not in the route table never reaches a back office: over Service Bus it is dead-lettered with reason RELAY_E_WORK_ROUTE and a description naming the route; over the Hybrid Connection it is answered 404 with that code.',
    source: ISSUE,
    level: 'must',
    profiles: [...BOTH],
  },
  {
    id: 'ROUTE-010',
    azure: true,
    title: 'content that fails its check never reaches a back office',
    requirement:
      'XML with a DOCTYPE (an entity bomb), the wrong root or over the limits, and a file that is not a PDF, are dead-lettered with RELAY_E_CONTENT_XML or RELAY_E_CONTENT_PDF and a readable description; the intake services and file shares record nothing of them.',
    source: `${ISSUE}; CASES.md XML, PDF`,
    level: 'must',
    profiles: [...BOTH],
  },
]);
