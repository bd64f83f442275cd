// Catalogue of the AV area (issue 10, security conformance): every PDF and evidence file is
// scanned by a real ClamAV (clamd, INSTREAM) before the relay drops it into a file share. The
// cases run against a private offline clamd with a signature database generated at run time for
// the EICAR test file; they are skipped, saying why, where clamd is not installed. In: nothing.
// Out: the area's cases, in id order.
import { defineCases } from './types';

const ISSUE = 'issue 10 (security conformance), "Antivirus (real ClamAV)"';
const CLAMD = 'ClamAV clamd INSTREAM (clamd(8))';
const BOTH = ['default', 'min-spec'] as const;

export const AV_CASES = defineCases('av', [
  {
    id: 'AV-001',
    title: 'an infected PDF is dead-lettered with the signature name and nothing is written',
    requirement:
      'A valid PDF carrying the EICAR test file in a page content stream is scanned before it is published and dead-lettered with RELAY_E_AV_INFECTED, the description naming the signature clamd reported; no file or temporary name is left.',
    source: `${ISSUE}; ${CLAMD}`,
    level: 'must',
    profiles: [...BOTH],
  },
  {
    id: 'AV-002',
    title: 'finds EICAR inside Flate streams and inside a ZIP embedded in a PDF',
    requirement:
      'EICAR in a Flate-compressed content stream, and in a ZIP attached to a PDF on a route whose policy lets embedded files through, is found by clamd (which unpacks both) and dead-lettered with RELAY_E_AV_INFECTED.',
    source: `${ISSUE} ("EICAR embedded inside a larger file is caught too"); ${CLAMD}`,
    level: 'must',
    profiles: [...BOTH],
  },
  {
    id: 'AV-003',
    title: 'a clean PDF is scanned and written, and says so',
    requirement:
      'A clean PDF is scanned (a relay:av clean verdict) and written whole; its receipt and the relay report it scanned clean.',
    source: ISSUE,
    level: 'must',
    profiles: [...BOTH],
  },
  {
    id: 'AV-004',
    title: 'over the Hybrid Connection an infected file is answered 422 naming the signature',
    requirement:
      'An infected PDF posted over the Hybrid Connection is answered 422 RELAY_E_AV_INFECTED with a message naming the signature; nothing is written.',
    source: ISSUE,
    level: 'must',
    profiles: [...BOTH],
  },
  {
    id: 'AV-005',
    title:
      'fail-closed: with clamd unavailable nothing is written, and the file is written once clamd is back',
    requirement:
      'Under the default policy (fail-closed), a drop that cannot be scanned is not written: the message is held and abandoned (RELAY_E_AV_UNAVAILABLE), a Hybrid Connections caller gets 503; once clamd answers again the message is redelivered, scanned and written exactly once.',
    source: `${ISSUE} ("scanner unavailable -> configurable fail-closed (default)")`,
    level: 'must',
    profiles: [...BOTH],
  },
  {
    id: 'AV-006',
    title: 'fail-open: with clamd unavailable the file is written and flagged unscanned',
    requirement:
      'A relay configured onUnavailable: fail-open writes a drop it could not scan, and its receipt and report say scan: unscanned with the finding unscanned.',
    source: `${ISSUE} ("or fail-open, stated in the report")`,
    level: 'must',
    profiles: [...BOTH],
  },
]);
