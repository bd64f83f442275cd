// Hostile samples built at run time around the EICAR anti-virus test string. In: sizes and
// options. Out: Buffers: the 68-byte EICAR file, EICAR amid random bytes, a ZIP holding eicar.com
// (stored or deflated), a minimal well-formed PDF whose page content carries EICAR (plain or
// FlateDecode), a PDF whose /EmbeddedFiles name tree holds that ZIP, and a clean PDF. The EICAR
// string is assembled here from pieces: it never appears whole in any file of the repository.
// Lives under relay/test (relay/test may not import suites/); suites/lib/hostile/eicar.ts
// re-exports it.
import { randomBytes } from 'node:crypto';
import { crc32, deflateRawSync, deflateSync } from 'node:zlib';

/** The pieces of the EICAR string, in order (never joined in source). */
const PIECES = [
  'X5O!P',
  '%@AP[4',
  '\\PZX54(P^)7CC)7}$',
  'EICAR-STANDARD',
  '-ANTIVIRUS-TEST',
  '-FILE!$H+H*',
] as const;

/** The 68 bytes of the EICAR test file (a fresh copy each call). */
export function eicar(): Buffer {
  const b = Buffer.from(PIECES.join(''), 'latin1');
  if (b.length !== 68) throw new Error(`the EICAR string is ${b.length} bytes, not 68`);
  return b;
}

/** `size` random bytes with EICAR in the middle (size ≥ 68). */
export function eicarInMiddleOf(size: number): Buffer {
  const e = eicar();
  if (!Number.isSafeInteger(size) || size < e.length) {
    throw new RangeError(`eicarInMiddleOf: size must be a whole number ≥ ${e.length}`);
  }
  const b = randomBytes(size);
  e.copy(b, Math.floor((size - e.length) / 2));
  return b;
}

interface ZipEntry {
  readonly name: string;
  readonly data: Buffer;
  readonly deflate: boolean;
}

/** A ZIP archive (PKWARE APPNOTE 6.3: local headers, central directory, end record), by hand. */
export function zip(entries: readonly ZipEntry[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  // 1980-01-01 00:00:00 in MS-DOS time and date.
  const dosTime = 0;
  const dosDate = (0 << 9) | (1 << 5) | 1;
  for (const entry of entries) {
    const name = Buffer.from(entry.name, 'utf8');
    const packed = entry.deflate ? deflateRawSync(entry.data) : entry.data;
    const method = entry.deflate ? 8 : 0;
    const crc = crc32(entry.data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4); // version needed: 2.0
    local.writeUInt16LE(0, 6); // flags
    local.writeUInt16LE(method, 8);
    local.writeUInt16LE(dosTime, 10);
    local.writeUInt16LE(dosDate, 12);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(packed.length, 18);
    local.writeUInt32LE(entry.data.length, 22);
    local.writeUInt16LE(name.length, 26);
    local.writeUInt16LE(0, 28); // extra length
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4); // version made by
    central.writeUInt16LE(20, 6); // version needed
    central.writeUInt16LE(0, 8);
    central.writeUInt16LE(method, 10);
    central.writeUInt16LE(dosTime, 12);
    central.writeUInt16LE(dosDate, 14);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(packed.length, 20);
    central.writeUInt32LE(entry.data.length, 24);
    central.writeUInt16LE(name.length, 28);
    // extra, comment, disk number, internal and external attributes: 0
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, packed);
    centrals.push(central, name);
    offset += local.length + name.length + packed.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}

/** A ZIP archive holding `eicar.com`, stored (method 0) or deflated (method 8). */
export function eicarZip(opts: { readonly deflate: boolean }): Buffer {
  return zip([{ name: 'eicar.com', data: eicar(), deflate: opts.deflate }]);
}

/** A PDF object: its dictionary and, for a stream object, its bytes. */
export interface PdfObject {
  readonly dict: string;
  readonly stream?: Buffer;
}

/**
 * A well-formed PDF 1.7 file: objects 1..n as given (object 1 is the catalog), a classic xref
 * table with the exact byte offset of each, the trailer, startxref and %%EOF.
 */
export function pdf(objects: readonly PdfObject[]): Buffer {
  const parts: Buffer[] = [Buffer.from('%PDF-1.7\n%\xe2\xe3\xcf\xd3\n', 'latin1')];
  let at = parts[0]?.length ?? 0;
  const offsets: number[] = [];
  const push = (b: Buffer): void => {
    parts.push(b);
    at += b.length;
  };
  objects.forEach((o, i) => {
    offsets.push(at);
    if (o.stream === undefined) {
      push(Buffer.from(`${i + 1} 0 obj\n${o.dict}\nendobj\n`, 'latin1'));
    } else {
      const dict = o.dict.replace(/>>\s*$/, ` /Length ${o.stream.length} >>`);
      push(Buffer.from(`${i + 1} 0 obj\n${dict}\nstream\n`, 'latin1'));
      push(o.stream);
      push(Buffer.from('\nendstream\nendobj\n', 'latin1'));
    }
  });
  const xref = at;
  const rows = offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`).join('');
  push(
    Buffer.from(
      `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n${rows}` +
        `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`,
      'latin1',
    ),
  );
  return Buffer.concat(parts);
}

/** Catalog, pages and one page whose content stream is object 4 (its dictionary given). */
function onePage(content: PdfObject, catalogExtra = '', more: readonly PdfObject[] = []): Buffer {
  return pdf([
    { dict: `<< /Type /Catalog /Pages 2 0 R${catalogExtra} >>` },
    { dict: '<< /Type /Pages /Kids [3 0 R] /Count 1 >>' },
    {
      dict: '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>',
    },
    content,
    { dict: '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>' },
    ...more,
  ]);
}

/** A page content stream that shows `text` (bytes, written as a hex string). */
function showText(text: Buffer): Buffer {
  return Buffer.concat([
    Buffer.from('BT /F1 12 Tf 72 720 Td <', 'latin1'),
    Buffer.from(text.toString('hex'), 'latin1'),
    Buffer.from('> Tj ET\n% ', 'latin1'),
    text,
    Buffer.from('\n', 'latin1'),
  ]);
}

/** A minimal, well-formed one-page PDF that says hello: nothing in it is hostile. */
export function cleanPdf(): Buffer {
  return onePage({ dict: '<< >>', stream: showText(Buffer.from('Hello, council', 'latin1')) });
}

/**
 * A minimal, well-formed one-page PDF whose page content stream carries EICAR (shown as text
 * and in a comment), plain or compressed with /FlateDecode.
 */
export function eicarPdf(opts: { readonly flate: boolean }): Buffer {
  const content = showText(eicar());
  return onePage(
    opts.flate
      ? { dict: '<< /Filter /FlateDecode >>', stream: deflateSync(content) }
      : { dict: '<< >>', stream: content },
  );
}

/**
 * A well-formed one-page PDF with an /EmbeddedFiles name tree holding the EICAR ZIP (deflated
 * inside) as an /EmbeddedFile stream (itself /FlateDecode) named eicar.zip.
 */
export function pdfWithEmbeddedZip(): Buffer {
  const archive = eicarZip({ deflate: true });
  return onePage(
    { dict: '<< >>', stream: showText(Buffer.from('See the attachment', 'latin1')) },
    ' /Names << /EmbeddedFiles 6 0 R >>',
    [
      { dict: '<< /Names [(eicar.zip) 7 0 R] >>' },
      { dict: '<< /Type /Filespec /F (eicar.zip) /UF (eicar.zip) /EF << /F 8 0 R >> >>' },
      {
        dict: `<< /Type /EmbeddedFile /Subtype /application#2Fzip /Params << /Size ${archive.length} >> /Filter /FlateDecode >>`,
        stream: deflateSync(archive),
      },
    ],
  );
}
