// Hostile samples built at run time around the EICAR anti-virus test string, for the suites. In:
// sizes and options. Out: the EICAR file, EICAR amid random bytes, ZIPs and PDFs that carry it (see
// relay/test/antivirus/lib/eicar.ts, where they are built: relay/test may not import suites/).
export {
  cleanPdf,
  eicar,
  eicarInMiddleOf,
  eicarPdf,
  eicarZip,
  pdf,
  pdfWithEmbeddedZip,
  zip,
  type PdfObject,
} from '../../../relay/test/antivirus/lib/eicar';
