// ENV-021: the opening stream emits segment 0's plaintext as soon as segment 0 and one byte
// after it have been written, long before the body ends, and holds at most a few segments
// whatever the body size, when its reader is slow. In: 1 MiB and 16 MiB sealed bodies.
// Out: tap results.
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { kase } from '../lib/case';
import { SEALED_SEGMENT_BYTES, SEGMENT_BYTES, sealBody } from '../../relay/src/protocol/envelope';
import { createOpenStream, createSealStream } from '../../relay/src/protocol/envelope-stream';
import { chunked, openParams, sampleBody, sealParams } from '../fuzz/targets/envelope';

/** A reader that takes one chunk per turn of the event loop and records the opener's state. */
function slowReader(observe: () => void): Writable {
  return new Writable({
    highWaterMark: 1024,
    write(_chunk: Buffer, _encoding, callback) {
      observe();
      setImmediate(callback);
    },
  });
}

/** `mib` MiB of body in 50 000-byte chunks, made one MiB at a time. */
function* bodyChunks(mib: number): Generator<Buffer> {
  for (let i = 0; i < mib; i++) yield* chunked(sampleBody(1024 * 1024, i), [50_000]);
}

void kase('ENV-021', async (t) => {
  const body = sampleBody(3 * SEGMENT_BYTES + 5);
  const { metadata, sealed } = sealBody(sealParams(), body);
  const early = createOpenStream(openParams(), metadata);
  early.write(sealed.subarray(0, SEALED_SEGMENT_BYTES));
  t.equal(early.read(), null, 'nothing is emitted while segment 0 may still be the last');
  early.write(sealed.subarray(SEALED_SEGMENT_BYTES, SEALED_SEGMENT_BYTES + 1));
  const first = early.read(SEGMENT_BYTES) as Buffer | null;
  t.ok(first?.equals(body.subarray(0, SEGMENT_BYTES)), 'segment 0 is emitted before the body ends');
  early.destroy();

  for (const mib of [1, 16]) {
    // The sealed body comes from a sealing stream, so no whole body is ever held.
    const { metadata: m, stream: seal } = createSealStream(sealParams());
    const open = createOpenStream(openParams(), m);
    let maxReadable = 0;
    let maxWritable = 0;
    await pipeline(
      Readable.from(bodyChunks(mib)),
      seal,
      open,
      slowReader(() => {
        maxReadable = Math.max(maxReadable, open.readableLength);
        maxWritable = Math.max(maxWritable, open.writableLength);
      }),
    );
    t.ok(
      open.peakBufferedBytes <= 3 * SEALED_SEGMENT_BYTES,
      `with a ${mib} MiB body the opener held at most three segments (${open.peakBufferedBytes} bytes)`,
    );
    t.ok(
      maxReadable <= open.readableHighWaterMark + SEGMENT_BYTES,
      `with a ${mib} MiB body at most one segment waited beyond the reader's high-water mark`,
    );
    t.ok(
      maxWritable <= open.writableHighWaterMark + SEALED_SEGMENT_BYTES,
      `with a ${mib} MiB body the writer was held back`,
    );
  }
});
