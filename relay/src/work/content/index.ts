// The relay's content checks: what a body must pass before it reaches a back-office system.
// In: XML or PDF bodies, whole (Service Bus) or streamed (Hybrid Connections), and per-route
// limits. Out: a summary, or one typed RelayContentError naming the broken rule.
export {
  RELAY_CONTENT_ERRORS,
  RelayContentError,
  isRelayContentError,
  type RelayContentErrorCode,
} from './errors';
export { CONTENT_CHANNELS, type ContentEvent } from './events';
export {
  checkXml,
  createXmlCheck,
  parseXmlCheckOptions,
  type XmlCheck,
  type XmlCheckInput,
  type XmlCheckOptions,
  type XmlSummary,
} from './xml';
export {
  PDF_TRAILER_WINDOW,
  checkPdf,
  createPdfCheck,
  parsePdfCheckOptions,
  type PdfCheck,
  type PdfCheckInput,
  type PdfCheckOptions,
  type PdfSummary,
} from './pdf';
export { PDF_FINDINGS, PDF_NAMES, type PdfFinding, type PdfPolicyChoice } from './pdf-rules';
export { ContentCheckStream, pdfCheckStream, xmlCheckStream } from './streams';
