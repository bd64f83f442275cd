// Good PDFs pass the structural check with no findings. In: hand-built PDFs of several shapes
// (xref table or stream, object streams, Flate content, an incremental update, CR LF line ends,
// padding of binary data) and real PDFs made by pdf-lib with and without object streams (text,
// several pages, an embedded PNG image, form fields), whole and in chunks. Out: a summary with
// the version, the size and findings []; only the data of streams to inflate is held. A GoTo
// /OpenAction and a link are accepted and flagged ('open-action', 'uri').
import { deflateSync } from 'node:zlib';
import { PDFDocument, PDFName, PDFString, StandardFonts } from 'pdf-lib';
import t from 'tap';
import { createPdfCheck, PDF_TRAILER_WINDOW } from '../../src/work/content';
import { chunksOf, verdictOf } from './lib/chunks';
import { GOOD_PDFS, goodPdf, noise } from './lib/pdf-hostile';

/** A small greyscale PNG (8x8 pixels), built here. */
function png(): Buffer {
  const crc = (b: Buffer): number => {
    let c = ~0;
    for (const byte of b) {
      c ^= byte;
      for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
    }
    return ~c >>> 0;
  };
  const chunk = (type: string, data: Buffer): Buffer => {
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const out = Buffer.alloc(12 + data.length);
    out.writeUInt32BE(data.length, 0);
    body.copy(out, 4);
    out.writeUInt32BE(crc(body), 8 + data.length);
    return out;
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(8, 0);
  ihdr.writeUInt32BE(8, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 0; // greyscale
  const rows = Buffer.concat(
    Array.from({ length: 8 }, (_, y) =>
      Buffer.from([0, ...Array.from({ length: 8 }, (_, x) => (x * y * 4) & 0xff)]),
    ),
  );
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(rows)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

async function pdfLib(useObjectStreams: boolean, pages = 3): Promise<Buffer> {
  const doc = await PDFDocument.create();
  const font = await doc.embedFont(StandardFonts.Helvetica);
  const image = await doc.embedPng(png());
  const form = doc.getForm();
  for (let i = 0; i < pages; i++) {
    const page = doc.addPage();
    page.drawText(`Council Tax bill 2024/25, page ${i + 1} — account 12345678`, {
      x: 50,
      y: 700,
      font,
      size: 12,
    });
    page.drawImage(image, { x: 50, y: 500, width: 64, height: 64 });
    form
      .createTextField(`reference.${i}`)
      .addToPage(page, { x: 50, y: 400, width: 200, height: 20 });
  }
  doc.setTitle('Council Tax bill');
  return Buffer.from(await doc.save({ useObjectStreams }));
}

const accepted = (pdf: Buffer, findings: readonly string[] = []) => ({
  ok: true,
  summary: { version: pdf.toString('latin1', 5, 8), bytes: pdf.length, findings },
});

void t.test('hand-built good PDFs pass with no findings, whole and chunked', (t) => {
  for (const { name, make } of GOOD_PDFS) {
    const pdf = make();
    t.same(verdictOf(createPdfCheck(), [pdf]), accepted(pdf), `${name}: whole`);
    t.same(verdictOf(createPdfCheck(), chunksOf(pdf, 61)), accepted(pdf), `${name}: chunked`);
  }
  t.end();
});

void t.test('real PDFs made by pdf-lib pass, with and without object streams', async (t) => {
  for (const useObjectStreams of [true, false]) {
    const pdf = await pdfLib(useObjectStreams);
    const text = pdf.toString('latin1');
    t.equal(text.includes('/ObjStm'), useObjectStreams, `object streams: ${useObjectStreams}`);
    t.same(
      verdictOf(createPdfCheck(), [pdf]),
      accepted(pdf),
      `useObjectStreams ${useObjectStreams}`,
    );
    t.same(
      verdictOf(createPdfCheck(), chunksOf(pdf, 100)),
      accepted(pdf),
      `useObjectStreams ${useObjectStreams}, chunked`,
    );
  }
});

void t.test(
  'a pdf-lib attachment is an embedded file: refused, or flagged by policy',
  async (t) => {
    for (const useObjectStreams of [true, false]) {
      const doc = await PDFDocument.create();
      doc.addPage().drawText('See the attachment');
      await doc.attach(Buffer.from('Name,Account\n'), 'evidence.csv', { mimeType: 'text/csv' });
      const pdf = Buffer.from(await doc.save({ useObjectStreams }));
      t.same(verdictOf(createPdfCheck(), [pdf]), {
        ok: false,
        code: 'RELAY_E_CONTENT_PDF',
        rule: 'embedded',
      });
      t.same(
        verdictOf(createPdfCheck({ embeddedFiles: 'flag' }), [pdf]),
        accepted(pdf, ['embedded-file']),
      );
    }
  },
);

void t.test('a GoTo open action and a link pass, flagged', async (t) => {
  const goTo = goodPdf(0, { openGoTo: true });
  t.same(verdictOf(createPdfCheck(), [goTo]), accepted(goTo, ['open-action']), 'GoTo open action');
  const doc = await PDFDocument.create();
  const page = doc.addPage();
  const link = doc.context.register(
    doc.context.obj({
      Type: 'Annot',
      Subtype: 'Link',
      Rect: [50, 50, 200, 70],
      A: { Type: 'Action', S: 'URI', URI: PDFString.of('https://www.council.example/pay') },
    }),
  );
  page.node.set(PDFName.of('Annots'), doc.context.obj([link]));
  for (const useObjectStreams of [true, false]) {
    const pdf = Buffer.from(await doc.save({ useObjectStreams }));
    t.same(
      verdictOf(createPdfCheck(), [pdf]),
      accepted(pdf, ['uri']),
      `link (${useObjectStreams})`,
    );
  }
});

void t.test('a large PDF streams through holding only what a rule needs', (t) => {
  // 8 MiB of binary data in an unfiltered stream: never held.
  const plain = goodPdf(8 * 1024 * 1024);
  const check = createPdfCheck();
  t.same(verdictOf(check, chunksOf(plain, 64 * 1024)), accepted(plain));
  t.ok(
    check.peakBufferedBytes <= 8 + PDF_TRAILER_WINDOW,
    `unfiltered: held at most ${check.peakBufferedBytes} bytes`,
  );
  // A 4 MiB Flate stream of binary data: its compressed data is held to be inflated.
  const data = noise(4 * 1024 * 1024, 'flate-large');
  const z = deflateSync(data, { level: 1 });
  const pdf = goodPdf(0, { flate: true });
  const text = pdf.toString('latin1');
  const at = text.indexOf('xref\n');
  const obj = Buffer.concat([
    Buffer.from(`6 0 obj\n<< /Filter /FlateDecode /Length ${z.length} >>\nstream\n`, 'latin1'),
    z,
    Buffer.from('\nendstream\nendobj\n', 'latin1'),
  ]);
  const tail = text.slice(at).replace(/startxref\n\d+/, `startxref\n${at + obj.length}`);
  const big = Buffer.concat([pdf.subarray(0, at), obj, Buffer.from(tail, 'latin1')]);
  const flate = createPdfCheck();
  t.same(verdictOf(flate, chunksOf(big, 64 * 1024)), accepted(big));
  t.ok(
    flate.peakBufferedBytes <= 8 + PDF_TRAILER_WINDOW + z.length + 8,
    `Flate: held at most ${flate.peakBufferedBytes} bytes (the stream is ${z.length})`,
  );
  t.ok(flate.peakBufferedBytes >= z.length, 'the compressed stream was held');
  t.ok(flate.inflatedBytes >= data.length, `inflated ${flate.inflatedBytes} bytes`);
  t.end();
});
