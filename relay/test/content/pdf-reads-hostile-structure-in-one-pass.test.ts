// Structure built to make a checker work hard is read in one pass, its work linear in the body.
// In: stream data that is nothing but object headers, or `obj` near misses (each a candidate the
// header DFA must look at), across many streams; a string full of object headers; nesting a
// million brackets deep; an object stream of 100,000 objects; names of every length. Out: the
// usual verdicts ('hidden-object' flagged, names found, 'xref' for the unterminated ones), with
// no recursion, no quadratic step and no allocation per candidate beyond a bounded budget (the
// check's budget of header checks is MAX_HEADER_CHECKS per body; pdf-stream.ts).
import { deflateSync } from 'node:zlib';
import t from 'tap';
import { createPdfCheck } from '../../src/work/content';
import { chunksOf, verdictOf } from './lib/chunks';
import { buildPdf, type PdfObject } from './lib/pdf-hostile';

const latin1 = (s: string): Buffer => Buffer.from(s, 'latin1');
const pdfWith = (more: readonly PdfObject[]): Buffer =>
  buildPdf({ objects: [{ body: '<< /Type /Catalog >>' }, ...more], trailer: '/Root 1 0 R' });
const verdict = (pdf: Buffer, options = {}) =>
  verdictOf(createPdfCheck(options), chunksOf(pdf, 64 * 1024));

void t.test('stream data of object headers and near misses', (t) => {
  const headers = pdfWith([{ body: '<< >>', stream: latin1('1 0 obj '.repeat(256 * 1024)) }]);
  t.same(verdict(headers), {
    ok: true,
    summary: { version: '1.7', bytes: headers.length, findings: ['hidden-object'] },
  });
  const misses = pdfWith(
    Array.from({ length: 2000 }, () => ({ body: '<< >>', stream: latin1('xobj '.repeat(200)) })),
  );
  const v = verdict(misses);
  t.equal(v.ok, true, 'near misses in 2,000 streams');
  const withName = pdfWith([
    { body: '<< >>', stream: latin1(`${'xobj '.repeat(10_000)}\n7 0 obj << /S /Launch >>`) },
  ]);
  t.match(verdict(withName), { ok: false, rule: 'actions' }, 'a header after many near misses');
  t.end();
});

void t.test('a string of object headers, and deep nesting', (t) => {
  const str = latin1(
    `%PDF-1.7\n1 0 obj\n(${'1 0 obj '.repeat(64 * 1024)}<< /S /JavaScript >>)\nendobj\n%%EOF\n`,
  );
  t.match(verdict(str), { ok: false, rule: 'actions' });
  const deep = latin1(`%PDF-1.7\n1 0 obj\n${'['.repeat(1024 * 1024)}\nendobj\n%%EOF\n`);
  t.match(verdict(deep), { ok: false, rule: 'xref' });
  const dicts = latin1(`%PDF-1.7\n1 0 obj\n${'<< /A '.repeat(256 * 1024)}\nendobj\n%%EOF\n`);
  t.match(verdict(dicts), { ok: false, rule: 'xref' });
  t.end();
});

void t.test('an object stream of 100,000 objects, and names of every length', (t) => {
  const n = 100_000;
  const header = Array.from({ length: n }, (_, i) => `${i + 2} ${i * 5}`).join(' ');
  const content = latin1(`${header}\n${'<< >>'.repeat(n - 1)}<</S/URI>>`);
  const objStm = pdfWith([
    {
      body: `<< /Type /ObjStm /N ${n} /First ${header.length + 1} /Filter /FlateDecode >>`,
      stream: deflateSync(content),
    },
  ]);
  t.same(verdict(objStm), {
    ok: true,
    summary: { version: '1.7', bytes: objStm.length, findings: ['uri'] },
  });
  const names = Array.from({ length: 300 }, (_, i) => `/${'J'.repeat(i + 2)}S`).join(' ');
  const long = pdfWith([{ body: `<< /Title [${names}] >>` }]);
  t.same(verdict(long).ok, true, 'names of 3 to 302 bytes (past NAME_MAX too) made of J and S');
  t.end();
});
