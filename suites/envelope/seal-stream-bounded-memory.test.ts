// ENV-022: the sealing stream holds at most one segment plus the chunk being written, stops
// taking input while its reader is full, and still seals a single huge write one segment at a
// time as the reader asks. In: a 16 MiB body in chunks and in one write. Out: tap results.
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { kase } from '../lib/case';
import {
  openBody,
  SEALED_SEGMENT_BYTES,
  SEGMENT_BYTES,
  sealBody,
  sealedLength,
} from '../../relay/src/protocol/envelope';
import { createSealStream } from '../../relay/src/protocol/envelope-stream';
import {
  chunked,
  counterRandom,
  fixedClock,
  openParams,
  sampleBody,
  sealParams,
} from '../fuzz/targets/envelope';

void kase('ENV-022', async (t) => {
  const { stream: seal } = createSealStream(sealParams());
  let maxReadable = 0;
  let sealedBytes = 0;
  const body = sampleBody(1024 * 1024);
  const chunks = function* () {
    for (let i = 0; i < 16; i++) yield* chunked(body, [30_000]);
  };
  await pipeline(
    Readable.from(chunks()),
    seal,
    new Writable({
      highWaterMark: 1024,
      write(chunk: Buffer, _encoding, callback) {
        sealedBytes += chunk.length;
        maxReadable = Math.max(maxReadable, seal.readableLength);
        setImmediate(callback);
      },
    }),
  );
  t.equal(sealedBytes, sealedLength(16 * 1024 * 1024), 'the whole body was sealed');
  t.ok(
    seal.peakBufferedBytes <= SEGMENT_BYTES + 30_000,
    `the sealer held at most one segment and one chunk (${seal.peakBufferedBytes} bytes)`,
  );
  t.ok(
    maxReadable <= seal.readableHighWaterMark + SEALED_SEGMENT_BYTES,
    'at most one sealed segment waited beyond the reader high-water mark',
  );

  // One 4 MiB write: the reader pulls segments one by one, the write completes only then.
  const big = sampleBody(4 * 1024 * 1024);
  const deps = () => ({ clock: fixedClock(), random: counterRandom('big') });
  const { metadata, stream } = createSealStream(sealParams({ deps: deps() }));
  let writeDone = false;
  stream.write(big, () => (writeDone = true));
  stream.end();
  const first = stream.read() as Buffer | null;
  t.ok(first !== null, 'sealed bytes are readable at once');
  t.ok(
    stream.readableLength <= stream.readableHighWaterMark + SEALED_SEGMENT_BYTES,
    'a single huge write is not sealed ahead of the reader',
  );
  t.notOk(writeDone, 'the huge write is not acknowledged before the reader has taken it');
  const parts: Buffer[] = first === null ? [] : [first];
  for await (const part of stream) parts.push(part as Buffer);
  t.ok(writeDone, 'the huge write is acknowledged once sealed');
  const sealed = Buffer.concat(parts);
  t.ok(sealed.equals(sealBody(sealParams({ deps: deps() }), big).sealed), 'it matches sealBody');
  t.ok(openBody(openParams(), metadata, sealed).equals(big), 'and it opens');
});
