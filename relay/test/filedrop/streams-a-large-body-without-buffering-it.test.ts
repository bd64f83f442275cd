// A streamed 20 MB PDF goes to disk as it arrives: before the generator hands over each chunk,
// the temporary file already holds all but a bounded tail of what was produced (backpressure
// through the PDF check into the file), so the body is never held whole. The bound is
// structural (stream buffers of 64 KiB), not timing. The result is the exact body.
import { createHash } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import t from 'tap';
import { TEMP_NAME, createFileDrop } from '../../src/work/filedrop';
import { pdfChunks } from '../helpers/pdf-bytes';
import { listing, tempRoot } from './lib/fixture';

const CHUNK = 64 * 1024;
const CHUNKS = 320; // 20 MiB
/** What may be in flight between the generator and the file: a few stream buffers. */
const MAX_LAG = 2 * 1024 * 1024;

void t.test('a 20 MB stream reaches the file incrementally, never buffered whole', async (t) => {
  const root = await tempRoot(t);
  const drop = createFileDrop({ folders: { 'land-charges': root } });
  const hash = createHash('sha256');
  let produced = 0;
  let maxLag = 0;
  let checks = 0;

  async function* body(): AsyncGenerator<Buffer> {
    const chunks = pdfChunks(CHUNK * CHUNKS, CHUNK);
    for (let i = 0; i < CHUNKS; i++) {
      if (i > 0) {
        const temp = (await listing(root)).find((n) => TEMP_NAME.test(n));
        if (temp === undefined) throw new Error('no temporary file while the body streams');
        const onDisk = (await stat(join(root, temp))).size;
        maxLag = Math.max(maxLag, produced - onDisk);
        checks += 1;
      }
      const next = chunks.next();
      if (next.done === true) throw new Error(`no chunk ${i}`);
      const chunk: Buffer = next.value;
      hash.update(chunk);
      produced += chunk.length;
      yield chunk;
    }
  }

  const receipt = await drop.drop({
    formType: 'land-charges',
    key: 'search-2024-77',
    body: Readable.from(body(), { objectMode: false, highWaterMark: CHUNK }),
  });
  t.equal(checks, CHUNKS - 1, 'the disk was looked at before every chunk but the first');
  t.ok(
    maxLag <= MAX_LAG,
    `at most ${MAX_LAG} bytes were ahead of the file (most: ${maxLag} of ${produced})`,
  );
  t.equal(receipt.size, CHUNK * CHUNKS, '20 MiB written');
  t.equal(receipt.sha256, hash.digest('hex'), 'the exact body');
  t.same(await listing(root), [receipt.name], 'no temporary file left');
});
