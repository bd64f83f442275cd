// Hostile and good PDFs, generated at run time (never committed). In: nothing (or a size).
// Out: Buffers built by hand, each a well-formed minimal PDF with exact xref offsets unless the
// case is about breaking it: JavaScript / Launch open actions, JavaScript hidden in a Flate
// object stream behind an xref stream, a hex-escaped name, an embedded file, an encrypted PDF,
// Flate bombs of N GiB (built in milliseconds from repeated byte-aligned deflate blocks, never
// by compressing gigabytes), a missing %%EOF, a broken or missing startxref, a truncated PDF,
// HTML and an executable named .pdf, zero bytes, an oversize PDF; and good PDFs of several
// shapes. HOSTILE_PDFS lists them with the rule the relay's PDF check refuses each with (default
// policy) and the findings it reports under the 'flag' policies. suites/lib/hostile/pdf.ts is
// the door for suites (relay/ never imports suites/).
import { createCipheriv, createHash, randomBytes } from 'node:crypto';
import { constants, deflateSync } from 'node:zlib';

const GIB = 1024 * 1024 * 1024;
const MIB = 1024 * 1024;

/** One indirect object: its dictionary (or other value) and, for a stream, its data. */
export interface PdfObject {
  readonly body: string;
  /** Stream data: /Length is added to the dictionary. */
  readonly stream?: Buffer;
}

export interface PdfLayout {
  /** Objects 1..n, in order. */
  readonly objects: readonly PdfObject[];
  /** Extra trailer entries (the table's trailer or the xref stream's dictionary). */
  readonly trailer: string;
  /** A classic xref table (default) or an xref stream. */
  readonly xref?: 'table' | 'stream';
  /** Object numbers (1-based, no streams) to put into one Flate object stream (xref stream). */
  readonly inObjectStream?: readonly number[];
  readonly version?: string;
}

const latin1 = (s: string): Buffer => Buffer.from(s, 'latin1');

/** Deterministic bytes that look random (AES-256-CTR over zeros, keyed by `label`). */
export function noise(n: number, label = 'pdf'): Buffer {
  const key = createHash('sha256').update(label).digest();
  return createCipheriv('aes-256-ctr', key, Buffer.alloc(16)).update(Buffer.alloc(n));
}

function withLength(dict: string, length: number): string {
  return dict.replace(/>>\s*$/, ` /Length ${length} >>`);
}

/** A well-formed PDF: exact offsets, trailer or xref stream, startxref and %%EOF. */
export function buildPdf(layout: PdfLayout): Buffer {
  const version = layout.version ?? '1.7';
  const parts: Buffer[] = [latin1(`%PDF-${version}\n%\xe2\xe3\xcf\xd3\n`)];
  let at = parts[0]?.length ?? 0;
  const push = (b: Buffer): void => {
    parts.push(b);
    at += b.length;
  };
  const n = layout.objects.length;
  const packed = new Set(layout.inObjectStream ?? []);
  const offsets = new Map<number, number>();
  const writeObject = (num: number, o: PdfObject): void => {
    offsets.set(num, at);
    if (o.stream === undefined) {
      push(latin1(`${num} 0 obj\n${o.body}\nendobj\n`));
    } else {
      push(latin1(`${num} 0 obj\n${withLength(o.body, o.stream.length)}\nstream\n`));
      push(o.stream);
      push(latin1('\nendstream\nendobj\n'));
    }
  };
  layout.objects.forEach((o, i) => {
    if (!packed.has(i + 1)) writeObject(i + 1, o);
  });
  if ((layout.xref ?? 'table') === 'table') {
    if (packed.size > 0) throw new Error('an object stream needs an xref stream');
    const xref = at;
    const rows = Array.from(
      { length: n },
      (_, i) => `${String(offsets.get(i + 1) ?? 0).padStart(10, '0')} 00000 n \n`,
    ).join('');
    push(
      latin1(
        `xref\n0 ${n + 1}\n0000000000 65535 f \n${rows}` +
          `trailer\n<< /Size ${n + 1} ${layout.trailer} >>\nstartxref\n${xref}\n%%EOF\n`,
      ),
    );
    return Buffer.concat(parts);
  }
  // Object stream (object n+1) then the xref stream (object n+2).
  const inStream = [...packed].sort((a, b) => a - b);
  const index = new Map<number, number>();
  let size = n + 1;
  if (inStream.length > 0) {
    const texts = inStream.map((num) => {
      const o = layout.objects[num - 1];
      if (o === undefined || o.stream !== undefined)
        throw new Error(`object ${num} cannot be packed`);
      return `${o.body}\n`;
    });
    let off = 0;
    const header = inStream
      .map((num, i) => {
        index.set(num, i);
        const pair = `${num} ${off}`;
        off += texts[i]?.length ?? 0;
        return pair;
      })
      .join(' ');
    const content = latin1(`${header}\n${texts.join('')}`);
    const first = header.length + 1;
    writeObject(size, {
      body: `<< /Type /ObjStm /N ${inStream.length} /First ${first} /Filter /FlateDecode >>`,
      stream: deflateSync(content),
    });
    size += 1;
  }
  const objStmNum = n + 1;
  const xrefNum = size;
  size += 1;
  offsets.set(xrefNum, at);
  const rows = Buffer.alloc(size * 7);
  for (let num = 0; num < size; num++) {
    const row = rows.subarray(num * 7, num * 7 + 7);
    if (num === 0) {
      row.writeUInt8(0, 0);
      row.writeUInt32BE(0, 1);
      row.writeUInt16BE(65535, 5);
    } else if (packed.has(num)) {
      row.writeUInt8(2, 0);
      row.writeUInt32BE(objStmNum, 1);
      row.writeUInt16BE(index.get(num) ?? 0, 5);
    } else {
      row.writeUInt8(1, 0);
      row.writeUInt32BE(num === xrefNum ? at : (offsets.get(num) ?? 0), 1);
      row.writeUInt16BE(0, 5);
    }
  }
  const xref = at;
  const data = deflateSync(rows);
  push(
    latin1(
      `${xrefNum} 0 obj\n<< /Type /XRef /Size ${size} /W [1 4 2] /Index [0 ${size}] ` +
        `/Filter /FlateDecode ${layout.trailer} /Length ${data.length} >>\nstream\n`,
    ),
  );
  push(data);
  push(latin1(`\nendstream\nendobj\nstartxref\n${xref}\n%%EOF\n`));
  return Buffer.concat(parts);
}

const FONT: PdfObject = { body: '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>' };

function textContent(lines: readonly string[]): Buffer {
  const shown = lines.map((l, i) => `BT /F1 12 Tf 72 ${720 - 14 * (i % 48)} Td (${l}) Tj ET`);
  return latin1(`${shown.join('\n')}\n`);
}

/** Catalog (1), pages (2), one page (3) with content (4) and font (5), then `more` (6…). */
function onePage(
  opts: {
    readonly catalog?: string;
    readonly page?: string;
    readonly content?: PdfObject;
    readonly more?: readonly PdfObject[];
    readonly trailer?: string;
    readonly xref?: 'table' | 'stream';
    readonly inObjectStream?: readonly number[];
  } = {},
): Buffer {
  return buildPdf({
    objects: [
      { body: `<< /Type /Catalog /Pages 2 0 R${opts.catalog ?? ''} >>` },
      { body: '<< /Type /Pages /Kids [3 0 R] /Count 1 >>' },
      {
        body:
          '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R ' +
          `/Resources << /Font << /F1 5 0 R >>${opts.page ?? ''} >> >>`,
      },
      opts.content ?? { body: '<< >>', stream: textContent(['Council Tax bill 2024/25']) },
      FONT,
      ...(opts.more ?? []),
    ],
    trailer: `/Root 1 0 R${opts.trailer ?? ''}`,
    ...(opts.xref === undefined ? {} : { xref: opts.xref }),
    ...(opts.inObjectStream === undefined ? {} : { inObjectStream: opts.inObjectStream }),
  });
}

export interface GoodPdfOptions {
  /** Page content compressed with FlateDecode. */
  readonly flate?: boolean;
  /** An xref stream, with catalog, pages, page and font in a Flate object stream. */
  readonly objectStreams?: boolean;
  /** A /OpenAction that goes to the first page (harmless: flagged 'open-action'). */
  readonly openGoTo?: boolean;
}

/**
 * A valid one-page PDF with text, of at least `size` bytes (exactly `size` when that is larger
 * than the PDF itself: padded with an unreferenced, unfiltered stream of binary-looking bytes).
 */
export function goodPdf(size = 0, options: GoodPdfOptions = {}): Buffer {
  const lines = Array.from(
    { length: 12 },
    (_, i) =>
      `Account 1234${String(i).padStart(4, '0')}: balance due 31 March, band ${'ABCDEFGH'[i % 8] ?? 'A'}`,
  );
  const text = textContent(lines);
  const content: PdfObject = options.flate
    ? { body: '<< /Filter /FlateDecode >>', stream: deflateSync(text) }
    : { body: '<< >>', stream: text };
  const make = (pad: number): Buffer =>
    onePage({
      content,
      ...(options.openGoTo ? { catalog: ' /OpenAction [3 0 R /Fit]' } : {}),
      more: pad > 0 ? [{ body: '<< >>', stream: noise(pad, 'good-pad') }] : [],
      ...(options.objectStreams ? { xref: 'stream', inObjectStream: [1, 2, 3, 5] } : {}),
    });
  let pdf = make(0);
  if (pdf.length >= size) return pdf;
  let pad = size - pdf.length;
  for (let tries = 0; tries < 8; tries++) {
    pdf = make(pad);
    if (pdf.length === size) return pdf;
    pad = Math.max(1, pad + size - pdf.length);
  }
  return pdf;
}

/** /OpenAction running JavaScript. */
export function javascriptOpenAction(): Buffer {
  return onePage({
    catalog: ' /OpenAction 6 0 R',
    more: [
      { body: "<< /Type /Action /S /JavaScript /JS (app.alert\\('Your account is locked'\\);) >>" },
    ],
  });
}

/** /OpenAction launching a program. */
export function launchAction(): Buffer {
  return onePage({
    catalog: ' /OpenAction 6 0 R',
    more: [
      {
        body: '<< /Type /Action /S /Launch /F (cmd.exe) /Win << /F (cmd.exe) /P (/c calc.exe) >> >>',
      },
    ],
  });
}

/**
 * The JavaScript open action inside a Flate object stream, found through an xref stream: the
 * body itself shows no /JavaScript, /JS or /OpenAction in the clear.
 */
export function hiddenInObjectStream(): Buffer {
  return onePage({
    catalog: ' /OpenAction 6 0 R',
    more: [
      { body: "<< /Type /Action /S /JavaScript /JS (app.launchURL\\('http://x.test'\\);) >>" },
    ],
    xref: 'stream',
    inObjectStream: [1, 2, 3, 5, 6],
  });
}

/** /JavaScript and /JS spelled with `#xx` escapes. */
export function hexEscapedName(): Buffer {
  return onePage({
    catalog: ' /Open#41ction 6 0 R',
    more: [{ body: '<< /Type /Action /S /J#61vaScript /J#53 (app.alert\\(1\\);) >>' }],
  });
}

/** An /EmbeddedFiles name tree holding an /EmbeddedFile stream (Flate), attached to nothing. */
export function embeddedFile(): Buffer {
  const file = latin1('Name,Account\r\nA. Resident,12345678\r\n');
  return onePage({
    catalog: ' /Names << /EmbeddedFiles 6 0 R >>',
    more: [
      { body: '<< /Names [(evidence.csv) 7 0 R] >>' },
      { body: '<< /Type /Filespec /F (evidence.csv) /UF (evidence.csv) /EF << /F 8 0 R >> >>' },
      {
        body: `<< /Type /EmbeddedFile /Subtype /text#2Fcsv /Params << /Size ${file.length} >> /Filter /FlateDecode >>`,
        stream: deflateSync(file),
      },
    ],
  });
}

/**
 * An encrypted PDF: a standard security handler /Encrypt dictionary (RC4 128, random /O and
 * /U), a random /ID, and page content that is random bytes (as encrypted data looks).
 */
export function encrypted(): Buffer {
  const hex = (n: number): string => randomBytes(n).toString('hex');
  const data = randomBytes(512);
  data[0] = 0x00; // never a zlib header: encrypted data does not inflate
  return onePage({
    content: { body: '<< /Filter /FlateDecode >>', stream: data },
    more: [
      {
        body: `<< /Filter /Standard /V 2 /R 3 /Length 128 /P -1028 /O <${hex(32)}> /U <${hex(32)}> >>`,
      },
    ],
    trailer: ` /Encrypt 6 0 R /ID [<${hex(16)}> <${hex(16)}>]`,
  });
}

let bombBlock: Buffer | undefined;

/** 1 MiB of zeros deflated into byte-aligned blocks that reset the window (Z_FULL_FLUSH). */
function oneMibBlock(): Buffer {
  if (bombBlock === undefined) {
    const flushed = deflateSync(Buffer.alloc(MIB), {
      level: 9,
      finishFlush: constants.Z_FULL_FLUSH,
    });
    // Drop the 2-byte zlib header: what is left is self-contained, byte-aligned and not final.
    bombBlock = flushed.subarray(2);
  }
  return bombBlock;
}

/**
 * zlib data that inflates to `gib` GiB of zeros (a multiple of 1/1024 GiB), valid to the end
 * (final block, Adler-32). Built by repeating the deflate of 1 MiB: about 1 KiB per MiB.
 */
export function flateBombData(gib: number): Buffer {
  const mibs = Math.round(gib * 1024);
  if (mibs < 1) throw new Error('a bomb of at least 1 MiB');
  const block = oneMibBlock();
  const total = mibs * MIB;
  const out = Buffer.alloc(2 + block.length * mibs + 2 + 4);
  out[0] = 0x78;
  out[1] = 0xda;
  for (let i = 0; i < mibs; i++) block.copy(out, 2 + i * block.length);
  let at = 2 + block.length * mibs;
  // An empty final block with fixed Huffman codes: BFINAL 1, BTYPE 01, end-of-block.
  out[at++] = 0x03;
  out[at++] = 0x00;
  // Adler-32 of `total` zero bytes: a = 1, b = total mod 65521.
  out.writeUInt32BE((((total % 65521) << 16) | 1) >>> 0, at);
  return out;
}

/** A one-page PDF whose image XObject is a Flate stream that inflates to `gib` GiB. */
export function flateBomb(gib: number): Buffer {
  const data = flateBombData(gib);
  const total = Math.round(gib * 1024) * MIB;
  const width = 1024;
  return onePage({
    page: ' /XObject << /Im1 6 0 R >>',
    content: {
      body: '<< >>',
      stream: latin1(`q ${width} 0 0 ${total / width} 0 0 cm /Im1 Do Q\n`),
    },
    more: [
      {
        body: `<< /Type /XObject /Subtype /Image /Width ${width} /Height ${total / width} /ColorSpace /DeviceGray /BitsPerComponent 8 /Filter /FlateDecode >>`,
        stream: data,
      },
    ],
  });
}

/** A good PDF whose last line, `%%EOF`, is missing. */
export function missingEof(): Buffer {
  const pdf = goodPdf();
  return pdf.subarray(0, pdf.lastIndexOf('%%EOF'));
}

/** A good PDF whose startxref points into the middle of an object. */
export function brokenXref(): Buffer {
  const pdf = goodPdf();
  const text = pdf.toString('latin1');
  const m = /startxref\n(\d+)\n%%EOF\n$/.exec(text);
  if (m?.[1] === undefined) throw new Error('no startxref');
  const wrong = text.indexOf('/Type /Pages');
  return latin1(`${text.slice(0, m.index)}startxref\n${wrong}\n%%EOF\n`);
}

/** A good PDF without its `startxref` line (the xref table and trailer are there). */
export function missingStartxref(): Buffer {
  const text = goodPdf().toString('latin1');
  return latin1(text.replace(/startxref\n\d+\n/, ''));
}

/** The first half of a good PDF. */
export function truncated(): Buffer {
  const pdf = goodPdf(4096);
  return pdf.subarray(0, pdf.length >> 1);
}

/** An HTML page (a phishing form) named .pdf, with PDF-looking text inside. */
export function htmlNamedPdf(): Buffer {
  return latin1(
    '<!DOCTYPE html>\n<html><head><title>Council Tax refund</title></head><body>' +
      '<form action="https://refund.example.test/claim"><input name="card"></form>' +
      '<!-- %PDF-1.7 --><script>document.forms[0].submit()</script></body></html>\n%%EOF\n',
  );
}

/** A Windows executable (MZ header, PE signature) named .pdf. */
export function executableNamedPdf(): Buffer {
  const dos = Buffer.alloc(128);
  dos.write('MZ', 0, 'latin1');
  dos.writeUInt32LE(0x80, 0x3c);
  dos.write('This program cannot be run in DOS mode.\r\r\n$', 0x4e, 'latin1');
  return Buffer.concat([dos, latin1('PE\0\0'), noise(4096, 'exe'), latin1('\n%%EOF\n')]);
}

export function zeroBytes(): Buffer {
  return Buffer.alloc(0);
}

/** A valid PDF of `bytes` + 1 bytes: one over a limit of `bytes`. */
export function oversize(bytes: number): Buffer {
  return goodPdf(bytes + 1);
}

/** The PDF check's default size limit (64 MiB). */
export const DEFAULT_MAX_BYTES = 64 * MIB;

export interface HostilePdf {
  readonly name: string;
  readonly make: () => Buffer;
  /** details.rule of the refusal under the default options. */
  readonly rule: string;
  /**
   * Under { actions: 'flag', embeddedFiles: 'flag' }: the summary's findings (the body is then
   * accepted). Absent when it is refused whatever the policy.
   */
  readonly findings?: readonly string[];
  /** Large (tens of MiB): make it only where that is affordable. */
  readonly large?: boolean;
}

/** Every hostile PDF of issue 10's PDF cases that is not about EICAR. */
export const HOSTILE_PDFS: readonly HostilePdf[] = Object.freeze([
  {
    name: 'JavaScript open action',
    make: javascriptOpenAction,
    rule: 'actions',
    findings: ['javascript', 'open-action'],
  },
  {
    name: 'Launch action',
    make: launchAction,
    rule: 'actions',
    findings: ['launch', 'open-action'],
  },
  {
    name: 'JavaScript hidden in a Flate object stream',
    make: hiddenInObjectStream,
    rule: 'actions',
    findings: ['javascript', 'open-action'],
  },
  {
    name: 'hex-escaped /JavaScript name',
    make: hexEscapedName,
    rule: 'actions',
    findings: ['javascript', 'open-action'],
  },
  { name: 'embedded file', make: embeddedFile, rule: 'embedded', findings: ['embedded-file'] },
  { name: 'encrypted PDF', make: encrypted, rule: 'encrypted' },
  { name: 'Flate bomb of 1 GiB', make: () => flateBomb(1), rule: 'inflate' },
  { name: 'Flate bomb of 8 GiB', make: () => flateBomb(8), rule: 'inflate' },
  { name: 'missing %%EOF', make: missingEof, rule: 'trailer' },
  { name: 'startxref pointing elsewhere', make: brokenXref, rule: 'xref' },
  { name: 'no startxref', make: missingStartxref, rule: 'xref' },
  { name: 'truncated PDF', make: truncated, rule: 'trailer' },
  { name: 'HTML named .pdf', make: htmlNamedPdf, rule: 'magic' },
  { name: 'executable named .pdf', make: executableNamedPdf, rule: 'magic' },
  { name: 'zero bytes', make: zeroBytes, rule: 'magic' },
  {
    name: 'over the size limit',
    make: () => oversize(DEFAULT_MAX_BYTES),
    rule: 'size',
    large: true,
  },
]);

/** `pdf` with an incremental update appended: a new /Info object, xref section and trailer. */
export function incrementalUpdate(pdf: Buffer): Buffer {
  const text = pdf.toString('latin1');
  const m = /startxref\s+(\d+)\s+%%EOF\s*$/.exec(text);
  const size = /\/Size (\d+)/.exec(text);
  if (m?.[1] === undefined || size?.[1] === undefined) throw new Error('not a PDF of buildPdf');
  const num = Number(size[1]);
  const objAt = pdf.length;
  const obj = `${num} 0 obj\n<< /Title (Council Tax bill, corrected) >>\nendobj\n`;
  const xrefAt = objAt + obj.length;
  return Buffer.concat([
    pdf,
    latin1(
      `${obj}xref\n0 1\n0000000000 65535 f \n${num} 1\n${String(objAt).padStart(10, '0')} 00000 n \n` +
        `trailer\n<< /Size ${num + 1} /Root 1 0 R /Info ${num} 0 R /Prev ${m[1]} >>\n` +
        `startxref\n${xrefAt}\n%%EOF\n`,
    ),
  ]);
}

/** Good PDFs of several shapes (none hostile: no findings). */
export const GOOD_PDFS: readonly { readonly name: string; readonly make: () => Buffer }[] =
  Object.freeze([
    { name: 'plain text page, xref table', make: () => goodPdf() },
    { name: 'Flate page content', make: () => goodPdf(0, { flate: true }) },
    { name: 'object stream and xref stream', make: () => goodPdf(0, { objectStreams: true }) },
    {
      name: 'Flate content, object stream, padded to 200 KiB',
      make: () => goodPdf(200 * 1024, { flate: true, objectStreams: true }),
    },
    {
      name: 'PDF 1.4 header',
      make: () => latin1(`%PDF-1.4${goodPdf().toString('latin1').slice(8)}`),
    },
    { name: 'incremental update', make: () => incrementalUpdate(goodPdf(0, { flate: true })) },
    {
      name: 'CR LF line ends and a dictionary over two lines',
      make: () =>
        latin1(
          buildPdf({
            objects: [
              { body: '<< /Type /Catalog\r\n/Pages 2 0 R >>' },
              { body: '<< /Type /Pages /Kids [3 0 R] /Count 1 >>' },
              { body: '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>' },
            ],
            trailer: '/Root 1 0 R',
          })
            .toString('latin1')
            .replace(/startxref\n(\d+)\n%%EOF\n$/, 'startxref\r\n$1\r\n%%EOF\r\n'),
        ),
    },
  ]);

export { GIB };
