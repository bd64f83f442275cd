// Transient failures mid-write leave nothing under any name: a stream body that errors half way
// (RELAY_E_FILEDROP_BODY, with its errno) and a signal that fires during the write or before it
// (RELAY_E_FILEDROP_ABORTED) remove the temporary file; the settlement is abandon, and the same
// key succeeds afterwards as a first write.
import { join } from 'node:path';
import { Readable } from 'node:stream';
import t from 'tap';
import { createFileDrop, fileDropSettlementOf, isFileDropError } from '../../src/work/filedrop';
import { pdfChunks } from '../helpers/pdf-bytes';
import { dropEvents, listing, minimalPdf, rejection, tempRoot } from './lib/fixture';

const CHUNK = 16 * 1024;

/** Chunk i of a valid PDF of `chunks` chunks of CHUNK bytes (header first, %%EOF at the end). */
function pdfChunk(i: number, chunks: number): Buffer {
  const all = [...pdfChunks(chunks * CHUNK, CHUNK)];
  const chunk = all[i];
  if (chunk === undefined) throw new RangeError(`no chunk ${i} of ${chunks}`);
  return chunk;
}

void t.test(
  'a stream body that errors half way leaves neither file nor temporary name',
  async (t) => {
    const root = await tempRoot(t);
    const folder = join(root, 'uploads');
    const drop = createFileDrop({ folders: { 'parking-appeal': folder } });
    const events = dropEvents(t);
    let sent = 0;
    let sawTemp = false;
    const body = new Readable({
      read() {
        if (sent === 4) {
          void listing(folder).then((names) => {
            sawTemp = names.some((n) => n.endsWith('.tmp'));
            this.destroy(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }));
          });
          return;
        }
        this.push(pdfChunk(sent, 8));
        sent += 1;
      },
    });
    const e = await rejection(drop.drop({ formType: 'parking-appeal', key: 'k-reset', body }));
    t.ok(sawTemp, 'the write was under way under a temporary name');
    t.ok(isFileDropError(e, 'RELAY_E_FILEDROP_BODY'), 'RELAY_E_FILEDROP_BODY');
    t.match(e, { http: 503, details: { errno: 'ECONNRESET', formType: 'parking-appeal' } });
    t.same(fileDropSettlementOf(e), { action: 'abandon', code: 'RELAY_E_FILEDROP_BODY' });
    t.same(await listing(folder), [], 'nothing left');
    t.match(events, [{ outcome: 'failed', code: 'RELAY_E_FILEDROP_BODY', replayed: false }]);

    const whole = Buffer.concat(Array.from({ length: 8 }, (_, i) => pdfChunk(i, 8)));
    const retry = await drop.drop({ formType: 'parking-appeal', key: 'k-reset', body: whole });
    t.equal(retry.replayed, false, 'the retry is a first write');
    t.same(await listing(folder), [retry.name]);
  },
);

void t.test('a signal fired during the write removes the temporary file', async (t) => {
  const root = await tempRoot(t);
  const drop = createFileDrop({ folders: { 'noise-complaint': root } });
  const events = dropEvents(t);
  const controller = new AbortController();
  let sawTemp = false;
  async function* body(): AsyncGenerator<Buffer> {
    yield pdfChunk(0, 8);
    yield pdfChunk(1, 8);
    sawTemp = (await listing(root)).some((n) => n.endsWith('.tmp'));
    controller.abort();
    yield pdfChunk(2, 8);
    for (let i = 3; i < 8; i++) yield pdfChunk(i, 8);
  }
  const stream = Readable.from(body(), { objectMode: false });
  const e = await rejection(
    drop.drop({
      formType: 'noise-complaint',
      key: 'k-abort',
      body: stream,
      signal: controller.signal,
    }),
  );
  t.ok(sawTemp, 'the write was under way');
  t.ok(isFileDropError(e, 'RELAY_E_FILEDROP_ABORTED'), 'RELAY_E_FILEDROP_ABORTED');
  t.same(fileDropSettlementOf(e), { action: 'abandon', code: 'RELAY_E_FILEDROP_ABORTED' });
  t.ok(stream.destroyed, 'the body stream is destroyed');
  t.same(await listing(root), [], 'nothing left');
  t.match(events, [{ outcome: 'failed', code: 'RELAY_E_FILEDROP_ABORTED' }]);
});

void t.test('a signal aborted before the drop writes nothing, not even the folder', async (t) => {
  const root = await tempRoot(t);
  const folder = join(root, 'late');
  const drop = createFileDrop({ folders: { 'street-lighting': folder } });
  const stream = Readable.from([minimalPdf()], { objectMode: false });
  for (const body of [minimalPdf(), stream]) {
    const e = await rejection(
      drop.drop({ formType: 'street-lighting', key: 'k', body, signal: AbortSignal.abort() }),
    );
    t.ok(isFileDropError(e, 'RELAY_E_FILEDROP_ABORTED'));
  }
  t.ok(stream.destroyed, 'a stream body is destroyed');
  t.same(await listing(root), [], 'no folder, no file');
});
