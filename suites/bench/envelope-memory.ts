// Child process of `relaycheck bench crypto`: peak extra memory while a large body streams
// through the envelope (seal stream → open stream → SHA-256), with the body generated on
// the fly so that no copy of it is ever held. In: argv[2] = body size in bytes. Out: one
// JSON line on stdout. Run with --expose-gc: the live set is measured after a forced GC
// every 1 MiB; the peak without forcing (garbage included) is reported beside it.
import { createHash, randomBytes } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createOpenStream, createSealStream } from '../../relay/src/protocol/envelope-stream';

const total = Number(process.argv[2] ?? 50 * 1024 * 1024);
const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error('run with --expose-gc');

const used = (): number => {
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
};

async function main(): Promise<void> {
  const key = randomBytes(32);
  const binding = {
    key,
    kid: 'bench',
    tenant: 'council-42',
    messageId: 'm-1',
    route: 'pdf.bill',
    direction: 'c2r' as const,
  };
  const chunk = randomBytes(64 * 1024);
  const { metadata, stream: seal } = createSealStream(binding);
  const open = createOpenStream(
    { ...binding, policy: { requireSealed: true, ttlMs: Infinity } },
    metadata,
  );
  const hash = createHash('sha256');
  gc?.();
  gc?.();
  const base = used();
  const baseRss = process.memoryUsage().rss;
  let peakLive = 0;
  let peakRaw = 0;
  let peakRss = 0;
  let produced = 0;
  let seen = 0;
  let nextGc = 1024 * 1024;
  const source = new Readable({
    read() {
      if (produced >= total) {
        this.push(null);
        return;
      }
      const n = Math.min(chunk.length, total - produced);
      produced += n;
      this.push(n === chunk.length ? Buffer.from(chunk) : chunk.subarray(0, n));
    },
  });
  const sink = new Writable({
    write(c: Buffer, _enc, done) {
      hash.update(c);
      seen += c.length;
      peakRaw = Math.max(peakRaw, used() - base);
      peakRss = Math.max(peakRss, process.memoryUsage().rss - baseRss);
      if (seen >= nextGc) {
        nextGc += 1024 * 1024;
        gc?.();
        peakLive = Math.max(peakLive, used() - base);
      }
      done();
    },
  });
  await pipeline(source, seal, open, sink);
  process.stdout.write(
    JSON.stringify({
      bytes: seen,
      peakLiveBytes: peakLive,
      peakWithGarbageBytes: peakRaw,
      peakRssBytes: peakRss,
      sealPeakBuffered: seal.peakBufferedBytes,
      openPeakBuffered: open.peakBufferedBytes,
    }) + '\n',
  );
}

void main();
