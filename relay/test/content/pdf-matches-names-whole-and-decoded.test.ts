// Names are matched as a viewer reads them: decoded (#xx), whole, case-sensitive, wherever a
// viewer could parse them, and nowhere else. In: one-page PDFs with /JavaScript and friends
// spelled and placed in many ways — escaped, prefixed, in strings, comments, hex strings, raw and
// compressed stream data, split across chunks; objects of an object stream whose strings are
// left open; object headers hidden in strings, comments and stream data (a viewer following the
// xref would parse them); streams whose /Length is wrong or indirect with a false `endstream`.
// Out: 'actions' where a viewer would see the name, accepted where it would not.
import { deflateSync } from 'node:zlib';
import t from 'tap';
import { createPdfCheck } from '../../src/work/content';
import { chunksOf, verdictOf } from './lib/chunks';
import { buildPdf, noise, type PdfObject } from './lib/pdf-hostile';

const latin1 = (s: string): Buffer => Buffer.from(s, 'latin1');

/** Catalog, pages, page, then `more` as objects 4, 5, … */
function pdfWith(more: readonly PdfObject[], catalog = ''): Buffer {
  return buildPdf({
    objects: [
      { body: `<< /Type /Catalog /Pages 2 0 R${catalog} >>` },
      { body: '<< /Type /Pages /Kids [3 0 R] /Count 1 >>' },
      { body: '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>' },
      ...more,
    ],
    trailer: '/Root 1 0 R',
  });
}

const rule = (pdf: Buffer, chunk = pdf.length || 1): unknown => {
  const v = verdictOf(createPdfCheck(), chunksOf(pdf, chunk));
  return v.ok === true ? 'accepted' : v.ok === false ? v.rule : v.error;
};

void t.test('escaped, whole, case-sensitive names', (t) => {
  const cases: [string, string, string][] = [
    ['plain', '<< /S /JavaScript >>', 'actions'],
    ['#61 for a', '<< /S /J#61vaScript >>', 'actions'],
    ['every byte escaped', '<< /#4A#53 (x) >>', 'actions'],
    ['lower-case hex', '<< /#6a#61#76#61 (x) /J#53 (y) >>', 'actions'],
    ['followed by a delimiter', '<< /JS(app.alert\\(1\\))>>', 'actions'],
    ['followed by a name', '<</S/Launch/F(x)>>', 'actions'],
    ['a longer name', '<< /JavaScripts 1 /JSON 2 /Launcher 3 >>', 'accepted'],
    ['another case', '<< /javascript 1 /js 2 /LAUNCH 3 >>', 'accepted'],
    ['a broken escape', '<< /J#6 1 /J#G1vaScript 2 >>', 'accepted'],
    ['in a string', '<< /Title (see /JavaScript and /JS here) >>', 'accepted'],
    ['in a nested string', '<< /Title (a (b /JS) c \\) /JS) >>', 'accepted'],
    ['in a hex string', '<< /Title <2F4A53202F4A617661536372697074> >>', 'accepted'],
    ['a broken hex string ends where it breaks', '<< /Title <4A /JS> >>', 'actions'],
    ['in a comment', '<< /Title (x) % /JavaScript /Launch\n>>', 'accepted'],
    ['/URI is only flagged', '<< /S /URI /URI (https://example.test) >>', 'accepted'],
    ['/AA is only flagged', '<< /AA << /O << /S /GoTo /D [3 0 R /Fit] >> >> >>', 'accepted'],
  ];
  for (const [name, body, want] of cases) {
    const pdf = pdfWith([{ body }]);
    t.equal(rule(pdf), want, name);
    t.equal(rule(pdf, 1), want, `${name}, byte by byte`);
  }
  t.end();
});

void t.test('stream data is never read as names, unless it holds an object header', (t) => {
  const binary = Buffer.concat([
    noise(3000, 'img'),
    latin1(' /JavaScript /JS /Launch '),
    noise(3000, 'img2'),
  ]);
  t.equal(
    rule(pdfWith([{ body: '<< /Type /XObject /Subtype /Image >>', stream: binary }])),
    'accepted',
    'names in raw image data',
  );
  t.equal(
    rule(
      pdfWith([
        { body: '<< /Filter /FlateDecode >>', stream: deflateSync(latin1('/JS 1 Tf (x) Tj')) },
      ]),
    ),
    'accepted',
    'names in an inflated page content stream',
  );
  const hidden = latin1('junk\n7 0 obj\n<< /S /JavaScript /JS (app.alert\\(1\\)) >>\nendobj\nmore');
  const inData = pdfWith([{ body: '<< >>', stream: hidden }]);
  t.equal(rule(inData), 'actions', 'an object hidden in stream data');
  t.equal(rule(inData, 3), 'actions', 'the same, in 3-byte chunks');
  t.same(verdictOf(createPdfCheck({ actions: 'flag' }), [inData]), {
    ok: true,
    summary: { version: '1.7', bytes: inData.length, findings: ['hidden-object', 'javascript'] },
  });
  const spaced = latin1('x 7 %c\n 0 %d\r obj<</S/Launch>>');
  t.equal(rule(pdfWith([{ body: '<< >>', stream: spaced }])), 'actions', 'with comments between');
  t.end();
});

void t.test('object headers hidden in strings and comments are parsed as a viewer would', (t) => {
  const inString = pdfWith([{ body: '<< /Title (x\n7 0 obj << /S /JavaScript >> endobj) >>' }]);
  t.equal(rule(inString), 'actions', 'in a string');
  const open = pdfWith([
    { body: '<< /Title (never closed >>' },
    { body: '<< /S /JavaScript /JS (x) >>' },
  ]);
  t.equal(rule(open), 'actions', 'after a string left open in the object before');
  const comment = pdfWith([{ body: '<< /Title (x) >> % 7 0 obj << /S /Launch >>' }]);
  t.equal(rule(comment), 'actions', 'in a comment');
  t.end();
});

void t.test('each object of an object stream is read from its own offset', (t) => {
  const objStm = (objects: readonly string[]): Buffer => {
    let off = 0;
    const header = objects
      .map((o, i) => {
        const pair = `${10 + i} ${off}`;
        off += o.length;
        return pair;
      })
      .join(' ');
    const content = latin1(`${header}\n${objects.join('')}`);
    return pdfWith([
      {
        body: `<< /Type /ObjStm /N ${objects.length} /First ${header.length + 1} /Filter /FlateDecode >>`,
        stream: deflateSync(content),
      },
    ]);
  };
  t.equal(rule(objStm(['<< /S /GoTo >> ', '<< /Title (x) >> '])), 'accepted', 'harmless');
  t.equal(rule(objStm(['<< /S /GoTo >> ', '<< /S /J#61vaScript >> '])), 'actions', 'escaped');
  t.equal(
    rule(objStm(['(left open ', '<< /S /JavaScript /JS (x) >> '])),
    'actions',
    'a string left open in one object does not hide the next',
  );
  t.equal(
    rule(
      pdfWith([
        {
          body: '<< /N 1 /First 4 /Filter /FlateDecode >>',
          stream: deflateSync(latin1('9 0 << /S /Launch >>')),
        },
      ]),
    ),
    'actions',
    'an object stream without /Type /ObjStm is still one (it has /First)',
  );
  t.end();
});

void t.test('a wrong or indirect /Length cannot hide what follows a stream', (t) => {
  const objects = (lengthValue: string, data: string, after: string): Buffer => {
    const head = '%PDF-1.7\n';
    const obj4 = `4 0 obj\n<< /Length ${lengthValue} >>\nstream\n${data}\nendstream\nendobj\n`;
    const body = `${head}1 0 obj\n<< /Type /Catalog >>\nendobj\n${obj4}${after}`;
    return latin1(
      `${body}xref\n0 1\n0000000000 65535 f \ntrailer\n<< /Size 1 >>\nstartxref\n${body.length}\n%%EOF\n`,
    );
  };
  const next = '5 0 obj\n<< /S /JavaScript >>\nendobj\n';
  t.equal(rule(objects('3', 'abc', next)), 'actions', 'a right /Length');
  t.equal(rule(objects('1', 'abc', next)), 'actions', 'a /Length too short');
  t.equal(rule(objects('90', 'abc', next)), 'actions', 'a /Length that swallows the next object');
  t.equal(
    rule(objects('6 0 R', 'abc endstream ( ', next)),
    'actions',
    'an indirect /Length and a false endstream opening a string',
  );
  t.equal(rule(objects('6 0 R', 'abc', '')), 'accepted', 'an indirect /Length alone is fine');
  t.end();
});
