// ENV-002: a 50 MB body streams through a SealStream and an OpenStream and comes out with the
// same SHA-256, in chunks of an awkward size. In: generated chunks. Out: tap results.
import { createHash } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { kase } from '../lib/case';
import { SEALED_SEGMENT_BYTES, sealedLength } from '../../relay/src/protocol/envelope';
import { createOpenStream, createSealStream } from '../../relay/src/protocol/envelope-stream';
import { openParams, sampleBody, sealParams } from '../fuzz/targets/envelope';

const TOTAL = 50_000_000;
const CHUNK = 65_521; // prime: chunks never line up with segments

void kase('ENV-002', async (t) => {
  const sent = createHash('sha256');
  let k = 0;
  let produced = 0;
  const source = new Readable({
    read() {
      if (produced >= TOTAL) {
        this.push(null);
        return;
      }
      const chunk = sampleBody(Math.min(CHUNK, TOTAL - produced), k++);
      produced += chunk.length;
      sent.update(chunk);
      this.push(chunk);
    },
  });
  const { metadata, stream: seal } = createSealStream(sealParams());
  const open = createOpenStream(openParams(), metadata);
  let sealedBytes = 0;
  seal.on('data', (c: Buffer) => (sealedBytes += c.length));
  const received = createHash('sha256');
  let receivedBytes = 0;
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      receivedBytes += chunk.length;
      received.update(chunk);
      callback();
    },
  });
  await pipeline(source, seal, open, sink);
  t.equal(receivedBytes, TOTAL, 'every byte of the body comes out of the opening stream');
  t.equal(received.digest('hex'), sent.digest('hex'), 'the opened body has the same SHA-256');
  t.equal(sealedBytes, sealedLength(TOTAL), 'the sealed body has the specified length');
  t.ok(
    seal.peakBufferedBytes <= 2 * SEALED_SEGMENT_BYTES,
    'the sealing stream held at most two segments',
  );
  t.ok(
    open.peakBufferedBytes <= 3 * SEALED_SEGMENT_BYTES,
    'the opening stream held at most three segments',
  );
});
