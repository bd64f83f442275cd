// Flate streams are inflated with a hard bound, so a bomb costs at most the bound's work. In:
// PDFs whose image stream inflates to 1 GiB and 8 GiB (the bomb data checked to be what it says
// without inflating gigabytes), streams each under the per-stream bound but over the body's
// total, a bomb behind ASCII85 and behind a second Flate, compressed data over maxStreamBytes,
// and broken zlib data in a page and in an object stream. Out: rule 'inflate' with details
// limit, inflatedBytes (where zlib was stopped: never past the bound) and totalInflatedBytes;
// broken zlib in a page is accepted and flagged 'bad-stream'; in an object stream, 'structure'.
import { deflateSync, inflateRawSync, inflateSync } from 'node:zlib';
import t from 'tap';
import { createPdfCheck, isRelayContentError } from '../../src/work/content';
import { chunksOf, verdictOf } from './lib/chunks';
import { buildPdf, flateBomb, flateBombData, goodPdf, noise } from './lib/pdf-hostile';

const MIB = 1024 * 1024;
const GIB = 1024 * MIB;

function refusalOf(pdf: Buffer, options = {}, chunk = 64 * 1024): Record<string, unknown> {
  const check = createPdfCheck(options);
  try {
    for (const c of chunksOf(pdf, chunk)) check.push(c);
    check.end();
  } catch (e) {
    if (isRelayContentError(e)) return { ...e.details, checkInflated: check.inflatedBytes };
    throw e;
  }
  return { accepted: true };
}

/** A one-page PDF with these extra stream objects (6, 7, …). */
function withStreams(streams: readonly { dict: string; data: Buffer }[]): Buffer {
  return buildPdf({
    objects: [
      { body: '<< /Type /Catalog /Pages 2 0 R >>' },
      { body: '<< /Type /Pages /Kids [3 0 R] /Count 1 >>' },
      { body: '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>' },
      ...streams.map((s) => ({ body: s.dict, stream: s.data })),
    ],
    trailer: '/Root 1 0 R',
  });
}

void t.test('the bomb data inflates to what it claims, checked without inflating it', (t) => {
  const small = flateBombData(1 / 64);
  t.equal(
    inflateSync(small).length,
    16 * MIB,
    '1/64 GiB inflates to exactly 16 MiB (Adler-32 valid)',
  );
  const one = flateBombData(1);
  const eight = flateBombData(8);
  const block = (one.length - 8) / 1024;
  t.equal(block, Math.floor(block), 'the 1 GiB bomb is 1,024 equal blocks');
  t.equal(eight.length - 8, block * 8192, 'the 8 GiB bomb is 8,192 of the same blocks');
  const oneBlock = Buffer.concat([one.subarray(2, 2 + block), Buffer.from([0x03, 0x00])]);
  t.equal(inflateRawSync(oneBlock).length, MIB, 'each block inflates to 1 MiB');
  t.ok(
    one
      .subarray(2, one.length - 6)
      .equals(Buffer.concat(Array(1024).fill(one.subarray(2, 2 + block)))),
  );
  t.throws(
    () => inflateSync(eight, { maxOutputLength: 64 * MIB }),
    { code: 'ERR_BUFFER_TOO_LARGE' },
    'a bounded inflate of the 8 GiB bomb stops at its bound',
  );
  t.ok(
    one.length < 1.1 * MIB && eight.length < 8.5 * MIB,
    `${one.length} and ${eight.length} bytes`,
  );
  t.end();
});

void t.test('1 GiB and 8 GiB bombs are refused after at most the bound of work', (t) => {
  for (const gib of [1, 8]) {
    const pdf = flateBomb(gib);
    const d = refusalOf(pdf);
    t.match(d, { rule: 'inflate', limit: 32 * MIB }, `${gib} GiB: rule inflate`);
    t.ok(
      typeof d.inflatedBytes === 'number' && d.inflatedBytes <= 32 * MIB,
      `${gib} GiB: stopped at ${String(d.inflatedBytes)} bytes, not ${gib * GIB}`,
    );
    t.ok(
      typeof d.totalInflatedBytes === 'number' && d.totalInflatedBytes <= 256 * MIB,
      `${gib} GiB: ${String(d.totalInflatedBytes)} bytes in all`,
    );
    const tight = refusalOf(pdf, { maxInflatedBytes: MIB }, 7777);
    t.match(tight, { rule: 'inflate', limit: MIB, inflatedBytes: MIB }, `${gib} GiB, 1 MiB bound`);
  }
  t.end();
});

void t.test('streams each within the bound are refused once their total passes its bound', (t) => {
  const data = deflateSync(Buffer.alloc(3 * MIB, 0x20));
  const pdf = withStreams(
    Array.from({ length: 5 }, () => ({ dict: '<< /Filter /FlateDecode >>', data })),
  );
  t.match(refusalOf(pdf, { maxInflatedBytes: 4 * MIB, maxTotalInflatedBytes: 10 * MIB }), {
    rule: 'inflate',
    limit: 10 * MIB,
    inflatedBytes: MIB,
    totalInflatedBytes: 10 * MIB,
    checkInflated: 9 * MIB,
  });
  t.same(
    refusalOf(pdf, { maxInflatedBytes: 4 * MIB, maxTotalInflatedBytes: 16 * MIB }),
    { accepted: true },
    'within both bounds',
  );
  t.end();
});

void t.test('a bomb behind ASCII85 or behind a second Flate is refused too', (t) => {
  const bomb = flateBombData(1 / 16); // 64 MiB
  const a85 = (b: Buffer): Buffer => {
    let out = '';
    for (let i = 0; i < b.length; i += 4) {
      const chunk = Buffer.alloc(4);
      b.copy(chunk, 0, i, i + 4);
      let v = chunk.readUInt32BE(0);
      const n = Math.min(4, b.length - i);
      if (v === 0 && n === 4) {
        out += 'z';
        continue;
      }
      const digits: string[] = [];
      for (let k = 0; k < 5; k++) {
        digits.unshift(String.fromCharCode(0x21 + (v % 85)));
        v = Math.floor(v / 85);
      }
      out += digits.join('').slice(0, n + 1);
    }
    return Buffer.from(`${out}~>`, 'latin1');
  };
  const behindA85 = withStreams([
    { dict: '<< /Filter [/ASCII85Decode /FlateDecode] >>', data: a85(bomb) },
  ]);
  t.match(refusalOf(behindA85), { rule: 'inflate', limit: 32 * MIB });
  const twice = withStreams([
    { dict: '<< /Filter [/FlateDecode /FlateDecode] >>', data: deflateSync(bomb) },
  ]);
  t.match(refusalOf(twice), { rule: 'inflate', limit: 32 * MIB });
  const fine = withStreams([
    {
      dict: '<< /Filter [/ASCII85Decode /FlateDecode] >>',
      data: a85(deflateSync(Buffer.from('BT ET'))),
    },
  ]);
  t.same(verdictOf(createPdfCheck(), [fine]).ok, true, 'an ordinary ASCII85 + Flate stream passes');
  t.end();
});

void t.test('compressed data over maxStreamBytes is refused; the data held stays bounded', (t) => {
  const data = deflateSync(noise(300_000, 'incompressible'));
  t.ok(data.length > 64 * 1024, `${data.length} compressed bytes`);
  const pdf = withStreams([{ dict: '<< /Filter /FlateDecode >>', data }]);
  for (const chunk of [1000, 64 * 1024, pdf.length]) {
    const check = createPdfCheck({ maxStreamBytes: 64 * 1024 });
    t.same(verdictOf(check, chunksOf(pdf, chunk)), {
      ok: false,
      code: 'RELAY_E_CONTENT_PDF',
      rule: 'inflate',
    });
    t.ok(
      check.peakBufferedBytes <= 8 + 1024 + 64 * 1024 + 8,
      `chunks of ${chunk}: held at most ${check.peakBufferedBytes} bytes`,
    );
  }
  t.equal(verdictOf(createPdfCheck({ maxStreamBytes: 1024 * 1024 }), [pdf]).ok, true);
  t.end();
});

void t.test('broken zlib data: tolerated in a page (flagged), refused in an object stream', (t) => {
  const broken = deflateSync(Buffer.from('BT /F1 12 Tf (hello) Tj ET'.repeat(50)));
  broken[10] = (broken[10] ?? 0) ^ 0xff;
  broken[11] = (broken[11] ?? 0) ^ 0xff;
  const page = withStreams([{ dict: '<< /Filter /FlateDecode >>', data: broken }]);
  t.same(verdictOf(createPdfCheck(), [page]), {
    ok: true,
    summary: { version: '1.7', bytes: page.length, findings: ['bad-stream'] },
  });
  const truncated = deflateSync(Buffer.from('BT ET '.repeat(100))).subarray(0, 20);
  const cut = withStreams([{ dict: '<< /Filter /FlateDecode >>', data: truncated }]);
  t.same(
    verdictOf(createPdfCheck(), [cut]).ok,
    true,
    'truncated zlib data inflates as far as it goes',
  );
  const objStm = withStreams([
    { dict: '<< /Type /ObjStm /N 1 /First 4 /Filter /FlateDecode >>', data: broken },
  ]);
  t.same(verdictOf(createPdfCheck(), [objStm]), {
    ok: false,
    code: 'RELAY_E_CONTENT_PDF',
    rule: 'structure',
  });
  const lzw = withStreams([
    { dict: '<< /Type /ObjStm /N 1 /First 4 /Filter /LZWDecode >>', data: Buffer.from('x') },
  ]);
  t.same(verdictOf(createPdfCheck(), [lzw]).ok, false, 'an object stream the check cannot decode');
  const predictor = withStreams([
    {
      dict: '<< /Type /ObjStm /N 1 /First 4 /Filter /FlateDecode /DecodeParms << /Predictor 12 /Columns 4 >> >>',
      data: deflateSync(Buffer.from('1 0 << /S /GoTo >>')),
    },
  ]);
  t.same(verdictOf(createPdfCheck(), [predictor]).ok, false, 'nor one with a predictor');
  t.same(
    verdictOf(createPdfCheck(), [goodPdf(0, { flate: true, objectStreams: true })]).ok,
    true,
    'while a sound one passes',
  );
  t.end();
});
