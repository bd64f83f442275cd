// The body must end `startxref <offset> %%EOF`, the offset at an xref section. In: good PDFs
// with an xref table, an xref stream, an incremental update and CR LF line ends, and the same
// with startxref moved onto white space before the section, into the keyword, onto another
// object, into a string, past the end; a comment between startxref and its offset; a body that
// ends inside a stream; more xref sections than the check remembers. Out: accepted, or
// RELAY_E_CONTENT_PDF rule 'xref' ("broken xref") with details.startxref when it points wrong.
import t from 'tap';
import { createPdfCheck } from '../../src/work/content';
import { chunksOf, verdictOf } from './lib/chunks';
import { buildPdf, goodPdf, incrementalUpdate } from './lib/pdf-hostile';

const latin1 = (s: string): Buffer => Buffer.from(s, 'latin1');

/** `pdf` with its last startxref offset replaced by what `to` makes of it. */
function moved(pdf: Buffer, to: (offset: number, text: string) => number | string): Buffer {
  const text = pdf.toString('latin1');
  const m = /startxref(\s+)(\d+)(\s+%%EOF\s*)$/.exec(text);
  if (m?.[2] === undefined) throw new Error('no startxref');
  const value = to(Number(m[2]), text);
  return latin1(`${text.slice(0, m.index)}startxref${m[1] ?? ''}${String(value)}${m[3] ?? ''}`);
}

const verdict = (pdf: Buffer): unknown => {
  const v = verdictOf(createPdfCheck(), chunksOf(pdf, 50));
  const w = verdictOf(createPdfCheck(), [pdf]);
  if (JSON.stringify(v) !== JSON.stringify(w)) return 'split-dependent';
  return v.ok === true ? 'accepted' : v.ok === false ? v.rule : v.error;
};

void t.test('startxref at an xref table or an xref stream is accepted', (t) => {
  t.equal(verdict(goodPdf()), 'accepted', 'xref table');
  t.equal(verdict(goodPdf(0, { objectStreams: true })), 'accepted', 'xref stream');
  t.equal(verdict(incrementalUpdate(goodPdf())), 'accepted', 'incremental update');
  t.equal(
    verdict(moved(goodPdf(), (o) => o - 1)),
    'accepted',
    'white space before the xref keyword',
  );
  t.equal(
    verdict(moved(goodPdf(0, { objectStreams: true }), (o) => o - 1)),
    'accepted',
    'white space before the xref stream header',
  );
  t.equal(
    verdict(
      latin1(
        goodPdf()
          .toString('latin1')
          .replace(/startxref\n(\d+)\n%%EOF\n$/, 'startxref \r\n $1 \r\n%%EOF \r\n\u0000'),
      ),
    ),
    'accepted',
    'white space of any kind around the offset and after %%EOF',
  );
  t.end();
});

void t.test('startxref that points elsewhere is refused as a broken xref', (t) => {
  const cases: [string, Buffer][] = [
    ['into the xref keyword', moved(goodPdf(), (o) => o + 1)],
    ['into the object before', moved(goodPdf(), (o) => o - 9)],
    ['at the catalog object', moved(goodPdf(), (_o, text) => text.indexOf('1 0 obj'))],
    [
      'at an object that is not an xref stream',
      moved(goodPdf(0, { objectStreams: true }), (_o, text) => text.indexOf('4 0 obj')),
    ],
    ['past the end', moved(goodPdf(), () => 99_999_999)],
    ['at offset 0', moved(goodPdf(), () => 0)],
    ['an offset too long to be one', moved(goodPdf(), () => '9'.repeat(40))],
    [
      'at the word xref in a string',
      (() => {
        const pdf = buildPdf({ objects: [{ body: '<< /Title (xref) >>' }], trailer: '' });
        return moved(pdf, (_o, text) => text.indexOf('xref)'));
      })(),
    ],
  ];
  for (const [name, pdf] of cases) t.equal(verdict(pdf), 'xref', name);
  const refused = verdictOf(createPdfCheck(), [moved(goodPdf(), (o) => o + 1)]);
  t.match(refused, { ok: false, rule: 'xref' });
  t.end();
});

void t.test('a body that does not end with startxref <offset> %%EOF is refused', (t) => {
  const text = goodPdf().toString('latin1');
  const cases: [string, string][] = [
    ['no startxref', text.replace(/startxref\n\d+\n/, '')],
    ['no offset', text.replace(/startxref\n\d+\n/, 'startxref\n')],
    ['a comment between startxref and its offset', text.replace(/startxref\n/, 'startxref\n% x\n')],
    ['a token between the offset and %%EOF', text.replace(/\n%%EOF\n$/, '\n0\n%%EOF\n')],
    ['a negative offset', text.replace(/startxref\n\d+/, 'startxref\n-5')],
    [
      'the body ends inside a stream',
      `${text.slice(0, text.indexOf('stream\n') + 7)}BT ET\nstartxref\n9\n%%EOF\n`,
    ],
    ['the body ends inside a string', text.replace(/startxref/, '(startxref')],
  ];
  for (const [name, body] of cases) t.equal(verdict(latin1(body)), 'xref', name);
  t.end();
});

void t.test('more xref sections than the check remembers are refused', (t) => {
  const text = goodPdf().toString('latin1');
  const at = text.indexOf('xref\n');
  const many = `${text.slice(0, at)}${'xref\n'.repeat(10_001)}${text.slice(at)}`;
  t.equal(verdict(latin1(many)), 'xref');
  t.end();
});
