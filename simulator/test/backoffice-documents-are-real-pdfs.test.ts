// The document service's PDFs. In: requests for bills, letters and payment schedules, plain
// and padded to a size, and one of 50 MiB. Out: real PDFs (pdf-lib loads them; every xref
// offset points at its object; the padding is an embedded file named in the catalogue),
// fixed metadata dates, exactly the size asked for, a 404 XML error for an unknown
// reference, a 400 for a bad size, and a 50 MiB answer streamed in small chunks.
import { request } from 'node:http';
import type { Readable } from 'node:stream';
import t from 'tap';
import { PDFDict, PDFDocument, PDFName, PDFArray, PDFStream } from 'pdf-lib';
import {
  DOCUMENT_KINDS,
  Rng,
  generateDataSets,
  rawRequest,
  renderDocument,
  startBackOffice,
} from '../src/backoffice';

const data = generateDataSets({
  seed: 'pdf',
  asOf: '2025-10-15',
  councilTaxAccounts: 5,
  businessRatesProperties: 5,
  benefitsClaims: 5,
});
const options = { seed: 'pdf', asOf: '2025-10-15', data };

async function bytesOf(doc: { open(): Readable }): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of doc.open()) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

/** Every "offset gen n" entry of every xref section points at "<num> <gen> obj". */
function checkXrefs(t: tap.Test, pdf: Buffer): void {
  const text = pdf.toString('latin1');
  let sections = 0;
  for (const m of text.matchAll(/xref\n((?:\d+ \d+\n(?:\d{10} \d{5} [nf] \n)+)+)\n?trailer/g)) {
    sections++;
    let num = 0;
    for (const line of (m[1] ?? '').split('\n')) {
      const head = /^(\d+) \d+$/.exec(line);
      if (head !== null) {
        num = Number(head[1]);
        continue;
      }
      const entry = /^(\d{10}) (\d{5}) ([nf]) $/.exec(line);
      if (entry === null) continue;
      if (entry[3] === 'n') {
        const at = Number(entry[1]);
        t.equal(
          text.slice(at, at + String(num).length + 6),
          `${String(num)} 0 obj`,
          `object ${String(num)}`,
        );
      }
      num++;
    }
  }
  const last = /startxref\n(\d+)\n%%EOF\n?$/.exec(text);
  t.ok(
    last !== null && text.startsWith('xref', Number(last[1])),
    'startxref points at the last xref',
  );
  t.ok(sections >= 1, 'at least one xref section');
}

void t.test('every kind of document is a PDF pdf-lib can load, with fixed metadata', async (t) => {
  const refs = {
    'council-tax': data.councilTax.references[0] ?? '',
    'business-rates': data.businessRates.references[0] ?? '',
    benefits: data.benefits.references[0] ?? '',
  };
  for (const [service, kinds] of Object.entries(DOCUMENT_KINDS)) {
    for (const kind of kinds) {
      const reference = refs[service as keyof typeof refs];
      const doc = await renderDocument(
        { service: service as keyof typeof refs, reference, kind },
        options,
        undefined,
      );
      const pdf = await bytesOf(doc);
      t.equal(pdf.length, doc.length, `${service} ${kind}: the length is announced exactly`);
      t.ok(
        pdf.length > 1000 && pdf.length < 64 * 1024,
        `${service} ${kind}: a few KB (${String(pdf.length)})`,
      );
      t.equal(pdf.subarray(0, 5).toString(), '%PDF-');
      checkXrefs(t, pdf);
      const loaded = await PDFDocument.load(pdf, { updateMetadata: false });
      t.ok(loaded.getPageCount() >= 1);
      t.match(loaded.getTitle(), reference);
      t.equal(loaded.getCreationDate()?.toISOString(), '2025-10-15T09:00:00.000Z');
      t.equal(loaded.getModificationDate()?.toISOString(), '2025-10-15T09:00:00.000Z');
      t.notMatch(pdf.toString('latin1'), /\/ID\s*\[/, 'no random file identifier');
    }
  }
});

void t.test(
  'a padded document is exactly the size asked for and carries a CSV attachment',
  async (t) => {
    const reference = data.councilTax.references[1] ?? '';
    const plain = await renderDocument(
      { service: 'council-tax', reference, kind: 'bill' },
      options,
      undefined,
    );
    for (const size of [
      plain.length + 1024,
      plain.length + 1025,
      9_999,
      10_000,
      65_536,
      1_000_001,
    ]) {
      const doc = await renderDocument(
        { service: 'council-tax', reference, kind: 'bill' },
        options,
        size,
      );
      const pdf = await bytesOf(doc);
      t.equal(pdf.length, size, `exactly ${String(size)} bytes`);
      t.equal(doc.length, size);
      checkXrefs(t, pdf);
      const loaded = await PDFDocument.load(pdf, { updateMetadata: false });
      const names = loaded.catalog.lookup(PDFName.of('Names'), PDFDict);
      const files = names
        .lookup(PDFName.of('EmbeddedFiles'), PDFDict)
        .lookup(PDFName.of('Names'), PDFArray);
      const spec = files.lookup(1, PDFDict);
      const stream = spec.lookup(PDFName.of('EF'), PDFDict).lookup(PDFName.of('F'), PDFStream);
      const csv = Buffer.from(stream.getContents()).toString('latin1');
      t.ok(
        csv.startsWith('Date,Transaction,Reference,Amount (GBP),Balance (GBP)\n'),
        'the attachment is the CSV',
      );
      t.ok(csv.endsWith('\n'));
      t.equal(
        loaded.getPageCount(),
        (await PDFDocument.load(await bytesOf(plain))).getPageCount(),
        'the letter is unchanged',
      );
    }
    const small = await renderDocument(
      { service: 'council-tax', reference, kind: 'bill' },
      options,
      100,
    );
    t.equal(small.length, plain.length, 'a size below the letter gives the letter alone');
  },
);

void t.test('over HTTP: an unknown reference is a 404 XML error, a bad size a 400', async (t) => {
  const bo = await startBackOffice({
    seed: 'pdf',
    control: { enabled: false },
    documents: { maxBytes: 1_000_000 },
  });
  t.teardown(() => bo.close());
  const ref = bo.data.councilTax.references[0] ?? '';
  const ok = await rawRequest(
    `${bo.url('documents')}/documents/council-tax/${ref}/bill.pdf?size=20K`,
  );
  t.equal(ok.status, 200);
  t.equal(ok.headers['content-type'], 'application/pdf');
  t.equal(ok.body.length, 20 * 1024);
  const rng = new Rng('another');
  let missing = bo.data.councilTax.scheme.make(rng);
  while (bo.data.councilTax.has(missing)) missing = bo.data.councilTax.scheme.make(rng);
  const unknown = await rawRequest(
    `${bo.url('documents')}/documents/council-tax/${missing}/bill.pdf`,
  );
  t.equal(unknown.status, 404);
  t.match(unknown.body.toString(), /<Code>SIM_E_BO_NOT_FOUND<\/Code>/);
  for (const size of ['-1', '1.5', 'lots', '2M']) {
    const r = await rawRequest(
      `${bo.url('documents')}/documents/council-tax/${ref}/bill.pdf?size=${size}`,
    );
    t.equal(r.status, 400, `size=${size}`);
    t.match(r.body.toString(), /<Code>SIM_E_BO_ARGUMENT<\/Code>/);
  }
  const wrongKind = await rawRequest(`${bo.url('documents')}/documents/benefits/${ref}/bill.pdf`);
  t.equal(wrongKind.status, 404, 'benefits has no bills');
  t.match(wrongKind.body.toString(), /SIM_E_BO_ROUTE/);
});

void t.test(
  'a 50 MiB document streams in chunks of at most 64 KiB and arrives whole',
  async (t) => {
    const size = 50 * 1024 * 1024;
    const reference = data.councilTax.references[2] ?? '';
    const doc = await renderDocument(
      { service: 'council-tax', reference, kind: 'bill' },
      options,
      size,
    );
    t.equal(doc.length, size, 'the length is known before a byte is made');
    let largest = 0;
    let total = 0;
    for await (const c of doc.open()) {
      const b = c as Buffer;
      largest = Math.max(largest, b.length);
      total += b.length;
    }
    t.equal(total, size);
    t.ok(
      largest <= 64 * 1024 + 8 * 1024,
      `no chunk is larger than 64 KiB plus the letter (${String(largest)})`,
    );

    const bo = await startBackOffice({ seed: 'pdf', control: { enabled: false } });
    t.teardown(() => bo.close());
    const ref = bo.data.councilTax.references[0] ?? '';
    const seen = await new Promise<{
      count: number;
      head: string;
      tail: string;
      length: string | undefined;
    }>((resolve, reject) => {
      const req = request(
        `${bo.url('documents')}/documents/council-tax/${ref}/bill.pdf?size=50M`,
        (res) => {
          let count = 0;
          let head = '';
          let tail = Buffer.alloc(0);
          res.on('data', (c: Buffer) => {
            if (count === 0) head = c.subarray(0, 5).toString('latin1');
            count += c.length;
            tail = Buffer.concat([tail, c]).subarray(-16);
          });
          res.on('end', () => {
            resolve({
              count,
              head,
              tail: tail.toString('latin1'),
              length: res.headers['content-length'],
            });
          });
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end();
    });
    t.equal(seen.count, size, 'every byte arrived');
    t.equal(seen.length, String(size));
    t.equal(seen.head, '%PDF-');
    t.match(seen.tail, /%%EOF\n$/);
    t.equal(
      bo.journal.find({ service: 'documents' })?.responseBytes,
      size,
      'the journal counts the bytes sent',
    );
  },
);
