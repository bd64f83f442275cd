// The PDF check, on real PDFs made here with pdf-lib. In: whole, truncated, re-headed, padded
// and oversized PDFs, pushed whole or in chunks. Out: accepted with its version, or
// RELAY_E_CONTENT_PDF with rule 'magic' (on the first chunk that shows it), 'size' (on the chunk
// that passes the limit) or 'trailer' (at the end); a 20 MB PDF is checked holding at most the
// 8-byte header and the 1,024-byte tail window.
import { createHash, randomBytes } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { PDFDocument, StandardFonts } from 'pdf-lib';
import t from 'tap';
import {
  PDF_TRAILER_WINDOW,
  checkPdf,
  createPdfCheck,
  pdfCheckStream,
} from '../../src/work/content';
import { chunkHolding, chunksOf, pushUntilRefused, ruleOf } from './lib/chunks';

async function makePdf(attachment?: Uint8Array): Promise<Buffer> {
  const doc = await PDFDocument.create();
  const page = doc.addPage();
  const font = await doc.embedFont(StandardFonts.Helvetica);
  page.drawText('Council Tax bill 2024/25 — account 12345678', { x: 50, y: 700, font, size: 12 });
  if (attachment !== undefined) {
    await doc.attach(attachment, 'evidence.bin', { mimeType: 'application/octet-stream' });
  }
  return Buffer.from(await doc.save());
}

void t.test('a real PDF passes, whole or in chunks, with trailing line ends', async (t) => {
  const pdf = await makePdf();
  t.same(checkPdf(pdf), { version: '1.7', bytes: pdf.length, findings: [] }, 'whole');
  const check = createPdfCheck();
  t.equal(pushUntilRefused(check, chunksOf(pdf, 7)), undefined, 'no chunk refused');
  t.same(check.end(), { version: '1.7', bytes: pdf.length, findings: [] }, 'in 7-byte chunks');
  const padded = Buffer.concat([pdf, Buffer.from('\r\n\n \t\u0000')]);
  t.equal(checkPdf(padded).bytes, padded.length, 'white space after %%EOF is fine');
  const v2 = Buffer.from(pdf);
  v2.write('%PDF-2.0', 0, 'latin1');
  t.equal(checkPdf(v2).version, '2.0', 'a PDF 2.0 header');
});

void t.test('a truncated PDF, or one with data after %%EOF, is refused at the end', async (t) => {
  const pdf = await makePdf();
  const bad: Record<string, Buffer> = {
    'cut before %%EOF': pdf.subarray(0, pdf.length - 3),
    'cut in half': pdf.subarray(0, pdf.length >> 1),
    'a script appended': Buffer.concat([pdf, Buffer.from('\n<script>alert(1)</script>\n')]),
    'a second file appended': Buffer.concat([pdf, Buffer.from('PK\u0003\u0004zip')]),
    '%%EOF pushed out of the last 1,024 bytes': Buffer.concat([
      pdf,
      Buffer.alloc(PDF_TRAILER_WINDOW, 0x20),
    ]),
  };
  for (const [name, body] of Object.entries(bad)) {
    t.equal(
      ruleOf(() => checkPdf(body)),
      'trailer',
      name,
    );
    const check = createPdfCheck();
    t.equal(pushUntilRefused(check, chunksOf(body, 100)), undefined, `${name}: no chunk refused`);
    t.throws(() => check.end(), {
      code: 'RELAY_E_CONTENT_PDF',
      http: 422,
      details: { rule: 'trailer' },
    });
  }
});

void t.test(
  'a body without the %PDF header is refused by the first chunk that shows it',
  async (t) => {
    const pdf = await makePdf();
    const cases: [string, Buffer, number][] = [
      ['an HTML page', Buffer.from('<html><body>%%EOF</body></html>'), 0],
      ['a PDF with its first byte changed', Buffer.concat([Buffer.from('X'), pdf.subarray(1)]), 0],
      ['a leading space', Buffer.concat([Buffer.from(' '), pdf]), 0],
      ['version 1.8', Buffer.concat([Buffer.from('%PDF-1.8'), pdf.subarray(8)]), 7],
      ['version 2.1', Buffer.concat([Buffer.from('%PDF-2.1'), pdf.subarray(8)]), 7],
      ['version 3.0', Buffer.concat([Buffer.from('%PDF-3.0'), pdf.subarray(8)]), 5],
      ['a zip file', Buffer.concat([Buffer.from('PK\u0003\u0004'), pdf.subarray(4)]), 0],
    ];
    for (const [name, body, at] of cases) {
      t.equal(
        ruleOf(() => checkPdf(body)),
        'magic',
        `${name}: whole`,
      );
      const refused = pushUntilRefused(createPdfCheck(), chunksOf(body, 1));
      t.equal(refused?.at, at, `${name}: refused by byte ${at}`);
    }
    t.equal(
      ruleOf(() => checkPdf(Buffer.from('%PDF'))),
      'magic',
      'a body shorter than the header',
    );
    t.equal(
      ruleOf(() => checkPdf(Buffer.alloc(0))),
      'magic',
      'an empty body',
    );
  },
);

void t.test('a PDF over maxBytes is refused by the chunk that passes the limit', async (t) => {
  const pdf = await makePdf();
  t.ok(pdf.length > 500, `the PDF is ${pdf.length} bytes`);
  const refused = pushUntilRefused(createPdfCheck({ maxBytes: 500 }), chunksOf(pdf, 50));
  t.equal(refused?.at, chunkHolding(500, 50), 'the chunk holding byte 501');
  t.match(refused?.error, { code: 'RELAY_E_CONTENT_PDF', details: { rule: 'size', limit: 500 } });
  t.equal(
    ruleOf(() => checkPdf(pdf, { maxBytes: 500 })),
    'size',
    'whole body',
  );
  t.same(checkPdf(pdf, { maxBytes: pdf.length }).bytes, pdf.length, 'exactly the limit passes');
  t.throws(
    () => createPdfCheck({ maxBytes: 8 }),
    { code: 'RELAY_E_CONTENT_CONFIG' },
    'tiny limits are refused',
  );
});

void t.test('a 20 MB PDF streams through with bounded memory and unchanged bytes', async (t) => {
  // 20 MB of data in a stream object of its own (an attachment would be refused as embedded).
  const doc = await PDFDocument.create();
  doc.addPage();
  doc.context.register(doc.context.stream(randomBytes(20 * 1024 * 1024)));
  const pdf = Buffer.from(await doc.save());
  t.ok(pdf.length > 20 * 1024 * 1024, `the PDF is ${pdf.length} bytes`);
  const stream = pdfCheckStream();
  const hash = createHash('sha256');
  let passed = 0;
  await pipeline(
    Readable.from(chunksOf(pdf, 64 * 1024)),
    stream,
    new Writable({
      write(chunk: Buffer, _enc, done) {
        passed += chunk.length;
        hash.update(chunk);
        done();
      },
    }),
  );
  t.equal(passed, pdf.length, 'every byte passed on');
  t.equal(hash.digest('hex'), createHash('sha256').update(pdf).digest('hex'), 'unchanged');
  t.same(
    stream.summary,
    { version: '1.7', bytes: pdf.length, findings: [] },
    'summary after the end',
  );
  // The header, the trailer window and pdf-lib's small Flate streams (held to be inflated and
  // bounded); never the 20 MB stream.
  t.ok(
    stream.check.peakBufferedBytes < 64 * 1024,
    `held at most ${stream.check.peakBufferedBytes} bytes`,
  );
  t.ok(stream.check.peakBufferedBytes > 0, 'and the counter counts');
});
