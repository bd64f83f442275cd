// Catalogue of the PDF area (issue 10, security conformance): hostile PDFs dropped into the
// council's file shares. The relay's PDF check (relay/src/work/content/pdf*.ts) refuses them with
// RELAY_E_CONTENT_PDF and the broken rule before anything is published, or flags them where the
// route's policy says so. In: nothing. Out: the area's cases, in id order.
import { defineCases } from './types';

const ISSUE = 'issue 10 (security conformance), "PDF"';
const ISO = 'ISO 32000-1 (PDF 1.7)';
const BOTH = ['default', 'min-spec'] as const;

export const PDF_CASES = defineCases('pdf', [
  {
    id: 'PDF-001',
    title: 'refuses PDFs with JavaScript, OpenAction and Launch actions',
    requirement:
      'Under the default policy a PDF whose catalogue opens a JavaScript action or launches a program is dead-lettered with RELAY_E_CONTENT_PDF (actions) and nothing is written.',
    source: `${ISSUE}; ${ISO} 12.6 (actions)`,
    level: 'must',
    profiles: [...BOTH],
  },
  {
    id: 'PDF-002',
    title: 'finds actions hidden in compressed object streams and behind hex-escaped names',
    requirement:
      'A /JavaScript action inside a Flate object stream (PDF 1.5+) and a name spelt /J#61vaScript are found and refused like plain ones (actions).',
    source: `${ISSUE}; ${ISO} 7.3.5 (names), 7.5.7 (object streams)`,
    level: 'must',
    profiles: [...BOTH],
  },
  {
    id: 'PDF-003',
    title: 'refuses PDFs with embedded files',
    requirement:
      'Under the default policy a PDF carrying an /EmbeddedFile (an attachment that could be anything) is dead-lettered with RELAY_E_CONTENT_PDF (embedded).',
    source: `${ISSUE}; ${ISO} 7.11.4 (embedded file streams)`,
    level: 'must',
    profiles: [...BOTH],
  },
  {
    id: 'PDF-004',
    title: 'flags actions and embedded files instead when the route says so',
    requirement:
      'On a route whose policy is actions: flag and embeddedFiles: flag, the same PDFs are written whole and the receipt names what was found (javascript, open-action, launch, embedded-file).',
    source: `${ISSUE} ("refused or flagged per policy, stated in config")`,
    level: 'must',
    profiles: [...BOTH],
  },
  {
    id: 'PDF-005',
    title: 'refuses an encrypted PDF that cannot be scanned',
    requirement:
      'A PDF with an /Encrypt dictionary is dead-lettered with RELAY_E_CONTENT_PDF (encrypted): neither the relay nor the antivirus can see inside it.',
    source: `${ISSUE}; ${ISO} 7.6 (encryption)`,
    level: 'must',
    profiles: [...BOTH],
  },
  {
    id: 'PDF-006',
    title: 'refuses Flate bombs with bounded work and memory',
    requirement:
      'Flate streams that inflate to 1 GiB and 8 GiB are refused (inflate) after at most the per-stream bound of inflated bytes; the relay does not inflate them whole and its peak memory grows by less than 256 MiB.',
    source: `${ISSUE} ("a Flate stream that decompresses to gigabytes (bounded work)")`,
    level: 'must',
    profiles: [...BOTH],
  },
  {
    id: 'PDF-007',
    title: 'refuses a missing %%EOF, a broken or missing startxref and a truncated PDF',
    requirement:
      'A PDF without %%EOF at its end, whose startxref points at no cross-reference section, that has no startxref, or that was cut short is refused (trailer, xref).',
    source: `${ISSUE}; ${ISO} 7.5.5 (file trailer)`,
    level: 'must',
    profiles: [...BOTH],
  },
  {
    id: 'PDF-008',
    title: 'refuses files that are not PDFs: HTML, an executable, EICAR and a ZIP named .pdf',
    requirement:
      'An HTML page, a Windows executable (MZ), the EICAR test file and a ZIP holding it, each sent as a PDF, are refused on their first bytes (magic) and nothing is written.',
    source: `${ISSUE} ("wrong magic number", "EICAR named .pdf", "EICAR inside a ZIP inside a PDF")`,
    level: 'must',
    profiles: [...BOTH],
  },
  {
    id: 'PDF-009',
    title: 'refuses a zero-byte PDF',
    requirement: 'An empty body sent as a PDF is refused (magic) and no empty file is written.',
    source: ISSUE,
    level: 'must',
    profiles: [...BOTH],
  },
  {
    id: 'PDF-010',
    title: 'refuses a PDF over the route size limit without reading it whole',
    requirement:
      'A PDF one byte over the route limit, and one sixteen times over it, are refused (size) and nothing is written.',
    source: ISSUE,
    level: 'must',
    profiles: [...BOTH],
  },
  {
    id: 'PDF-011',
    title: 'keeps writing good PDFs of every shape after hostile ones',
    requirement:
      'After every refusal above, valid PDFs (xref tables, Flate content, object and xref streams, incremental updates, PDF 1.4, CR LF line ends, 200 KiB) are written.',
    source: `${ISSUE} ("keep serving")`,
    level: 'must',
    profiles: [...BOTH],
  },
]);
