// The EICAR samples the antivirus tests scan are what they claim: EICAR is the 68-byte test file
// (its well-known MD5), assembled at run time and found nowhere in the repository's files; the ZIPs
// are real archives (end record, central directory, local header, CRC-32 and sizes agree, the entry
// inflates back to EICAR); the PDFs are well-formed (every xref offset points at its object,
// startxref at the xref table, %%EOF last, pdf-lib loads them with one page) and the embedded one
// holds the ZIP in an /EmbeddedFiles name tree.
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { crc32, inflateRawSync, inflateSync } from 'node:zlib';
import { PDFDocument, PDFDict, PDFName, PDFRawStream, PDFArray } from 'pdf-lib';
import t from 'tap';
import {
  cleanPdf,
  eicar,
  eicarInMiddleOf,
  eicarPdf,
  eicarZip,
  pdfWithEmbeddedZip,
} from './lib/eicar';

const REPO = join(__dirname, '..', '..', '..');

void t.test('EICAR is the 68-byte test file', (t) => {
  const e = eicar();
  t.equal(e.length, 68);
  t.equal(createHash('md5').update(e).digest('hex'), '44d88612fea8a8f36de82e1278abb02f');
  t.not(eicar(), e, 'a fresh copy each call');
  const mid = eicarInMiddleOf(1024 * 1024);
  t.equal(mid.length, 1024 * 1024);
  t.equal(mid.indexOf(e), Math.floor((mid.length - 68) / 2), 'in the middle');
  t.end();
});

void t.test('EICAR appears in no file of the repository', (t) => {
  const e = eicar();
  const skip = new Set(['node_modules', '.git', 'dist', 'coverage', '.tap']);
  let files = 0;
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      if (skip.has(name) || join(dir, name) === join(REPO, 'reports', 'runs')) continue;
      const path = join(dir, name);
      const st = statSync(path, { throwIfNoEntry: false });
      if (st === undefined) continue;
      if (st.isDirectory()) walk(path);
      else if (st.isFile() && st.size < 64 * 1024 * 1024) {
        files += 1;
        if (readFileSync(path).includes(e)) t.fail(`EICAR is in ${path.slice(REPO.length + 1)}`);
      }
    }
  };
  walk(REPO);
  t.ok(files > 100, `looked at ${files} files`);
  t.end();
});

interface ZipEntryRead {
  readonly name: string;
  readonly method: number;
  readonly data: Buffer;
}

/** Reads a ZIP the way an unzipper does: from the end record through the central directory. */
function readZip(t: tap.Test, z: Buffer): ZipEntryRead[] {
  const end = z.length - 22;
  t.equal(z.readUInt32LE(end), 0x06054b50, 'end of central directory record last');
  const count = z.readUInt16LE(end + 10);
  const dirSize = z.readUInt32LE(end + 12);
  let at = z.readUInt32LE(end + 16);
  t.equal(at + dirSize, end, 'the central directory ends where the end record starts');
  const out: ZipEntryRead[] = [];
  for (let i = 0; i < count; i++) {
    t.equal(z.readUInt32LE(at), 0x02014b50, 'a central directory header');
    const method = z.readUInt16LE(at + 10);
    const crc = z.readUInt32LE(at + 16);
    const packed = z.readUInt32LE(at + 20);
    const size = z.readUInt32LE(at + 24);
    const nameLen = z.readUInt16LE(at + 28);
    const local = z.readUInt32LE(at + 42);
    const name = z.subarray(at + 46, at + 46 + nameLen).toString('utf8');
    t.equal(z.readUInt32LE(local), 0x04034b50, 'a local header where the directory says');
    t.equal(z.readUInt16LE(local + 8), method, 'same method in both headers');
    t.equal(z.readUInt32LE(local + 14), crc, 'same CRC-32 in both headers');
    const localName = z.readUInt16LE(local + 26);
    const start = local + 30 + localName + z.readUInt16LE(local + 28);
    const raw = z.subarray(start, start + packed);
    const data = method === 8 ? inflateRawSync(raw) : Buffer.from(raw);
    t.equal(data.length, size, 'the size agrees');
    t.equal(crc32(data), crc, 'the CRC-32 agrees');
    out.push({ name, method, data });
    at += 46 + nameLen;
  }
  return out;
}

void t.test('the ZIPs are real archives holding eicar.com', (t) => {
  for (const deflate of [false, true]) {
    const z = eicarZip({ deflate });
    const entries = readZip(t, z);
    t.same(
      entries.map((e) => [e.name, e.method]),
      [['eicar.com', deflate ? 8 : 0]],
    );
    t.ok(entries[0]?.data.equals(eicar()), 'the entry is EICAR');
    t.equal(z.includes(eicar()), !deflate, deflate ? 'not in the raw bytes' : 'stored as is');
  }
  t.end();
});

/** Checks the xref table, startxref and %%EOF of a classic-xref PDF. */
function checkXref(t: tap.Test, pdf: Buffer): void {
  const text = pdf.toString('latin1');
  t.ok(text.startsWith('%PDF-1.7\n'), 'the header');
  t.ok(text.endsWith('%%EOF\n'), '%%EOF last');
  const m = /startxref\n(\d+)\n%%EOF\n$/.exec(text);
  const xref = Number(m?.[1]);
  t.equal(text.slice(xref, xref + 5), 'xref\n', 'startxref points at the xref table');
  const head = /^xref\n0 (\d+)\n/.exec(text.slice(xref));
  const count = Number(head?.[1]);
  const rows = text
    .slice(xref + (head?.[0].length ?? 0))
    .split('\n')
    .slice(0, count);
  t.equal(rows[0], '0000000000 65535 f ', 'object 0 is free');
  for (let i = 1; i < count; i++) {
    const offset = Number(rows[i]?.slice(0, 10));
    t.match(rows[i], /^\d{10} 00000 n $/, `row ${i} is 20 bytes`);
    t.equal(text.slice(offset, offset + `${i} 0 obj`.length), `${i} 0 obj`, `object ${i} offset`);
  }
  t.match(text, new RegExp(`trailer\\n<< /Size ${count} /Root 1 0 R >>`), 'the trailer');
}

void t.test('the PDFs are well-formed', async (t) => {
  const samples = {
    clean: cleanPdf(),
    plain: eicarPdf({ flate: false }),
    flate: eicarPdf({ flate: true }),
    embedded: pdfWithEmbeddedZip(),
  };
  for (const [what, pdf] of Object.entries(samples)) {
    await t.test(what, async (t) => {
      checkXref(t, pdf);
      const doc = await PDFDocument.load(pdf, {
        throwOnInvalidObject: true,
        updateMetadata: false,
      });
      t.equal(doc.getPageCount(), 1, 'pdf-lib loads it: one page');
    });
  }

  const flate = samples.flate;
  t.notOk(flate.includes(eicar()), 'the Flate content stream hides EICAR');
  const doc = await PDFDocument.load(flate, { updateMetadata: false });
  const contents = doc.getPage(0).node.Contents();
  t.ok(contents instanceof PDFRawStream, 'the page has one content stream');
  if (contents instanceof PDFRawStream) {
    t.ok(inflateSync(contents.getContents()).includes(eicar()), 'it inflates to EICAR');
  }

  const embedded = await PDFDocument.load(samples.embedded, { updateMetadata: false });
  const names = embedded.catalog.lookup(PDFName.of('Names'), PDFDict);
  const tree = names.lookup(PDFName.of('EmbeddedFiles'), PDFDict);
  const list = tree.lookup(PDFName.of('Names'), PDFArray);
  const spec = list.lookup(1, PDFDict);
  const file = spec.lookup(PDFName.of('EF'), PDFDict).lookup(PDFName.of('F'));
  t.ok(file instanceof PDFRawStream, 'an /EmbeddedFile stream in the name tree');
  if (file instanceof PDFRawStream) {
    const zip = inflateSync(file.getContents());
    t.same(
      readZip(t, zip).map((e) => e.name),
      ['eicar.com'],
      'it is the EICAR ZIP',
    );
  }
  t.notOk(samples.embedded.includes(eicar()), 'EICAR is not in its raw bytes');
});
