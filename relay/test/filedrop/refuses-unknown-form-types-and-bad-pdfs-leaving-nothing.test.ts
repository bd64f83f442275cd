// Permanent refusals write nothing: an unknown form type (named, clipped, in the message), a body
// that is not a whole PDF (no %PDF header, no %%EOF trailer, over maxFileBytes: the content
// module's RELAY_E_CONTENT_PDF), a bad key or a body of the wrong type. Neither a file nor a
// temporary name is left; a stream body is destroyed; the settlement is dead-letter.
import { join } from 'node:path';
import { Readable } from 'node:stream';
import t from 'tap';
import { pdfOfSize } from '../helpers/pdf-bytes';
import { isRelayContentError } from '../../src/work/content';
import {
  createFileDrop,
  fileDropSettlementOf,
  isFileDropError,
  type DropInput,
} from '../../src/work/filedrop';
import { dropEvents, listing, minimalPdf, rejection, tempRoot } from './lib/fixture';

void t.test('an unknown form type is refused by name and nothing is created', async (t) => {
  const root = await tempRoot(t);
  const drop = createFileDrop({ folders: { 'council-tax': join(root, 'ct') } });
  const events = dropEvents(t);
  const long = `no-such-form-${'x'.repeat(300)}`;
  for (const formType of ['business-rates', long, '__proto__', 'constructor', '../ct']) {
    const e = await rejection(drop.drop({ formType, key: 'k', body: minimalPdf() }));
    t.ok(isFileDropError(e, 'RELAY_E_FILEDROP_FORM_TYPE'), `${formType.slice(0, 20)}: refused`);
    t.match(e, { http: 404, message: formType.slice(0, 12) }, 'the message names it');
    t.ok((e as Error).message.length < 140, 'a long form type is clipped');
    t.same(fileDropSettlementOf(e), {
      action: 'dead-letter',
      reason: 'RELAY_E_FILEDROP_FORM_TYPE',
      description: (e as Error).message,
    });
  }
  t.same(await listing(root), [], 'no folder was created');
  t.ok(
    events.every((e) => e.outcome === 'refused' && e.formType.length <= 70 && e.name === ''),
    'refused events, form type clipped, no name',
  );
});

const MAX = 4096;

function overLimit(): Buffer {
  return pdfOfSize(MAX + 16);
}

const BAD: readonly (readonly [string, string, () => Buffer])[] = [
  ['an HTML page', 'magic', () => Buffer.from('<html><body>%%EOF</body></html>\n')],
  [
    'a ZIP renamed .pdf',
    'magic',
    () => Buffer.concat([Buffer.from('PK\u0003\u0004'), minimalPdf()]),
  ],
  ['a truncated PDF', 'trailer', () => minimalPdf().subarray(0, 40)],
  [
    'a PDF with a script appended',
    'trailer',
    () => Buffer.concat([minimalPdf(), Buffer.from('<script>')]),
  ],
  ['a PDF over maxFileBytes', 'size', overLimit],
];

void t.test('a body that is not a whole PDF is refused with RELAY_E_CONTENT_PDF', async (t) => {
  const root = await tempRoot(t);
  const folder = join(root, 'evidence');
  const drop = createFileDrop({ folders: { evidence: folder }, maxFileBytes: MAX });
  const events = dropEvents(t);
  for (const [what, rule, make] of BAD) {
    for (const shape of ['bytes', 'stream'] as const) {
      const body = make();
      const source =
        shape === 'bytes'
          ? body
          : Readable.from([body.subarray(0, 7), body.subarray(7)], { objectMode: false });
      const e = await rejection(
        drop.drop({ formType: 'evidence', key: `${what}-${shape}`, body: source }),
      );
      t.ok(isRelayContentError(e), `${what} (${shape}): a content refusal`);
      t.match(e, { code: 'RELAY_E_CONTENT_PDF', details: { rule } }, `${what}: rule ${rule}`);
      t.equal(fileDropSettlementOf(e).action, 'dead-letter', 'dead-lettered');
      if (source instanceof Readable) t.ok(source.destroyed, 'the stream body is destroyed');
      t.same(await listing(folder), [], `${what} (${shape}): no file and no temporary name`);
    }
  }
  t.ok(
    events.every((e) => e.outcome === 'refused' && e.code === 'RELAY_E_CONTENT_PDF'),
    'every drop published refused with the content code',
  );
  t.equal(events.length, BAD.length * 2);
});

void t.test('the pdf option can only lower the size limit', async (t) => {
  const root = await tempRoot(t);
  const small = createFileDrop({ folders: { a: root }, pdf: { maxBytes: 64 } });
  t.equal(small.config.pdf.maxBytes, 64);
  const e = await rejection(small.drop({ formType: 'a', key: 'k', body: minimalPdf() }));
  t.match(e, { code: 'RELAY_E_CONTENT_PDF', details: { rule: 'size', limit: 64 } });
  const capped = createFileDrop({
    folders: { a: root },
    maxFileBytes: 1000,
    pdf: { maxBytes: 5000 },
  });
  t.equal(capped.config.pdf.maxBytes, 1000, 'maxFileBytes caps the PDF check');
  t.same(await listing(root), []);
});

void t.test(
  'a bad key or a body of the wrong type is refused before anything is written',
  async (t) => {
    const root = await tempRoot(t);
    const folder = join(root, 'f');
    const drop = createFileDrop({ folders: { f: folder } });
    const bad: [string, Partial<DropInput>][] = [
      ['an empty key', { key: '' }],
      ['a key of 201 characters', { key: 'k'.repeat(201) }],
      ['a key with a line feed', { key: 'a\nb' }],
      ['a key with a non-ASCII character', { key: 'café' }],
      ['a key that is not a string', { key: 42 as unknown as string }],
      ['a string body', { body: '%PDF-1.7 %%EOF' as unknown as Buffer }],
      ['no body', { body: undefined }],
    ];
    for (const [what, change] of bad) {
      const input = { formType: 'f', key: 'ok', body: minimalPdf(), ...change };
      const e = await rejection(drop.drop(input));
      t.ok(isFileDropError(e, 'RELAY_E_FILEDROP_REQUEST'), `${what}: RELAY_E_FILEDROP_REQUEST`);
      t.equal(fileDropSettlementOf(e).action, 'dead-letter');
    }
    t.ok(
      isFileDropError(
        await rejection(drop.drop(null as unknown as DropInput)),
        'RELAY_E_FILEDROP_FORM_TYPE',
      ),
      'no input at all is a typed refusal',
    );
    t.same(await listing(folder), []);
  },
);
