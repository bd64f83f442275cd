// Hostile and good PDFs for the PDF cases and any suite that sends a PDF. In: nothing (or a
// size). Out: HOSTILE_PDFS — rows of { name, make(), rule, findings?, large? }: every PDF attack
// of issue 10 that is not about EICAR, each generated at run time (JavaScript, Launch, a script
// hidden in an object stream, a hex-escaped name, an embedded file, an encrypted PDF, Flate
// bombs of 1 and 8 GiB, missing %%EOF, broken or missing startxref, truncated, HTML and an
// executable named .pdf, zero bytes, over the size limit) with the rule the relay's PDF check
// refuses it with and the findings it reports under the 'flag' policies — GOOD_PDFS, and the
// generators themselves. The table lives beside the relay's own unit tests
// (relay/test/content/lib/pdf-hostile.ts), because relay/ is deployable alone and never imports
// suites/: this module is its one door for suites.
export {
  DEFAULT_MAX_BYTES,
  GOOD_PDFS,
  HOSTILE_PDFS,
  brokenXref,
  buildPdf,
  embeddedFile,
  encrypted,
  executableNamedPdf,
  flateBomb,
  flateBombData,
  goodPdf,
  hexEscapedName,
  hiddenInObjectStream,
  htmlNamedPdf,
  javascriptOpenAction,
  launchAction,
  missingEof,
  missingStartxref,
  noise,
  oversize,
  truncated,
  zeroBytes,
  type GoodPdfOptions,
  type HostilePdf,
  type PdfLayout,
  type PdfObject,
} from '../../../relay/test/content/lib/pdf-hostile';
