// Work the SEC cases send, made at run time. In: a tag that makes each sample unique. Out: a
// one-page PDF with a classic cross-reference table (pdf-lib, no object streams), as a
// council's form service would produce, so the relay's PDF check has nothing to object to.
import { PDFDocument } from 'pdf-lib';

/** A small, well-formed one-page PDF carrying `tag` in its text and its title. */
export async function evidencePdf(tag: string): Promise<Buffer> {
  const doc = await PDFDocument.create({ updateMetadata: false });
  doc.setTitle(`Evidence ${tag}`);
  const page = doc.addPage([595, 842]);
  page.drawText(`Evidence for a council form: ${tag}`, { x: 50, y: 780, size: 12 });
  return Buffer.from(await doc.save({ useObjectStreams: false }));
}
