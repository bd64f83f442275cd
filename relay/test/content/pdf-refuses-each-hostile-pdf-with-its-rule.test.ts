// Every hostile PDF of issue 10 (but EICAR, the antivirus's) is refused with its rule. In: the
// generated HOSTILE_PDFS, whole, in 997-byte chunks and through pdfCheckStream, under the default
// policy and under { actions: 'flag', embeddedFiles: 'flag' }. Out: RELAY_E_CONTENT_PDF (422)
// with the row's details.rule; under the flag policies the actions and embedded files come back
// as the summary's findings instead, and everything else is still refused with the same rule.
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import t from 'tap';
import { checkPdf, createPdfCheck, pdfCheckStream } from '../../src/work/content';
import { chunksOf, verdictOf } from './lib/chunks';
import {
  DEFAULT_MAX_BYTES,
  HOSTILE_PDFS,
  embeddedFile,
  encrypted,
  hexEscapedName,
  hiddenInObjectStream,
  javascriptOpenAction,
  launchAction,
  oversize,
} from './lib/pdf-hostile';

const FLAG = { actions: 'flag', embeddedFiles: 'flag' } as const;

void t.test('each hostile PDF is refused with its rule, however it arrives', async (t) => {
  for (const row of HOSTILE_PDFS) {
    if (row.large === true) continue;
    const pdf = row.make();
    const want = { ok: false, code: 'RELAY_E_CONTENT_PDF', rule: row.rule };
    t.same(verdictOf(createPdfCheck(), [pdf]), want, `${row.name}: whole`);
    t.same(verdictOf(createPdfCheck(), chunksOf(pdf, 997)), want, `${row.name}: chunked`);
    const stream = pdfCheckStream();
    const error = await pipeline(
      Readable.from(chunksOf(pdf, 4096)),
      stream,
      new Writable({
        write(_c: Buffer, _e, done) {
          done();
        },
      }),
    ).then(
      () => undefined,
      (e: unknown) => e,
    );
    t.match(
      error,
      { code: 'RELAY_E_CONTENT_PDF', http: 422, details: { rule: row.rule } },
      `${row.name}: through the check stream`,
    );
  }
});

void t.test('under the flag policies, actions and embedded files become findings', (t) => {
  for (const row of HOSTILE_PDFS) {
    if (row.large === true) continue;
    const pdf = row.make();
    const v = verdictOf(createPdfCheck(FLAG), chunksOf(pdf, 1500));
    if (row.findings === undefined) {
      t.same(
        v,
        { ok: false, code: 'RELAY_E_CONTENT_PDF', rule: row.rule },
        `${row.name}: still refused`,
      );
    } else {
      t.same(
        v,
        { ok: true, summary: { version: '1.7', bytes: pdf.length, findings: row.findings } },
        `${row.name}: accepted with its findings`,
      );
    }
  }
  t.end();
});

void t.test('the refusal names what it found and where, never the body', (t) => {
  const refusal = (pdf: Buffer): unknown => {
    try {
      checkPdf(pdf);
    } catch (e) {
      return e;
    }
    return undefined;
  };
  const js = javascriptOpenAction();
  t.match(refusal(js), {
    code: 'RELAY_E_CONTENT_PDF',
    message: /^PDF refused \(actions\): .*\/JavaScript/,
    details: { rule: 'actions', finding: 'javascript', offset: js.indexOf('/JavaScript') },
  });
  t.match(refusal(launchAction()), { details: { rule: 'actions', finding: 'launch' } });
  const hex = hexEscapedName();
  t.match(
    refusal(hex),
    { details: { rule: 'actions', finding: 'javascript', offset: hex.indexOf('/J#61vaScript') } },
    'the escaped name is reported at its own offset',
  );
  const hidden = hiddenInObjectStream();
  t.notOk(/JavaScript|OpenAction|\/JS\b/.test(hidden.toString('latin1')), 'nothing in the clear');
  t.match(
    refusal(hidden),
    { details: { rule: 'actions', finding: 'javascript' } },
    'found inside the object stream',
  );
  t.match(refusal(embeddedFile()), { details: { rule: 'embedded', finding: 'embedded-file' } });
  const enc = refusal(encrypted());
  t.match(enc, {
    details: { rule: 'encrypted' },
    message: 'PDF refused (encrypted): an encrypted PDF cannot be scanned',
  });
  t.end();
});

void t.test('an encrypted PDF is refused whatever the policy, also with an xref stream', (t) => {
  t.equal(
    verdictOf(createPdfCheck(FLAG), [encrypted()]).ok,
    false,
    'flag policies do not let it through',
  );
  t.end();
});

void t.test('a PDF one byte over the default 64 MiB limit is refused by size', (t) => {
  const pdf = oversize(DEFAULT_MAX_BYTES);
  t.equal(pdf.length, DEFAULT_MAX_BYTES + 1);
  t.same(verdictOf(createPdfCheck(), chunksOf(pdf, 1024 * 1024)), {
    ok: false,
    code: 'RELAY_E_CONTENT_PDF',
    rule: 'size',
  });
  const atLimit = oversize(DEFAULT_MAX_BYTES - 1);
  t.equal(atLimit.length, DEFAULT_MAX_BYTES);
  t.same(verdictOf(createPdfCheck(), chunksOf(atLimit, 1024 * 1024)), {
    ok: true,
    summary: { version: '1.7', bytes: DEFAULT_MAX_BYTES, findings: [] },
  });
  t.end();
});
