// The frame guard in front of rhea. In: byte streams of AMQP headers and frames, cut into
// chunks at random places. Out: a well-formed stream passes whole whatever the cuts; a frame
// over the limit, a frame under 8 bytes or a non-AMQP header is stopped before rhea can act on
// it (at most 3 bytes of an oversized frame's size prefix pass), whatever the cuts.
import { PassThrough } from 'node:stream';
import fc from 'fast-check';
import t from 'tap';
import { FrameGuard, type Violation } from '../src/cloud/servicebus/amqp/guard';
import { checkProperty } from '../../suites/lib/property';

const SASL = Buffer.from('AMQP\x03\x01\x00\x00', 'latin1');
const AMQP = Buffer.from('AMQP\x00\x01\x00\x00', 'latin1');

function frame(size: number): Buffer {
  const b = Buffer.alloc(size, 0xab);
  b.writeUInt32BE(size, 0);
  b[4] = 2;
  return b;
}

function feed(
  bytes: Buffer,
  cuts: number[],
  max = 1024,
): { passed: number; violation?: Violation } {
  const stream = new PassThrough();
  let violation: Violation | undefined;
  let passed = 0;
  const guard = new FrameGuard(stream, { maxFrameSize: max, maxSaslFrameSize: 512 }, (v) => {
    violation = v;
  });
  guard.on('data', (chunk) => {
    passed += (chunk as Buffer).length;
  });
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  let from = 0;
  for (const p of [...points, bytes.length]) {
    if (p > from) stream.emit('data', bytes.subarray(from, p));
    from = Math.max(from, p);
  }
  guard.destroy();
  return violation === undefined ? { passed } : { passed, violation };
}

const frames = fc.array(fc.integer({ min: 8, max: 1024 }), { maxLength: 8 });
const cuts = fc.array(fc.nat(), { maxLength: 12 });

void t.test('well-formed streams pass whole, however they are cut', (t) =>
  checkProperty(
    t,
    fc.property(frames, frames, fc.boolean(), cuts, (sasl, amqp, withSasl, c) => {
      const saslFrames = sasl.map((n) => frame(Math.min(n, 512)));
      const bytes = withSasl
        ? Buffer.concat([SASL, ...saslFrames, AMQP, ...amqp.map(frame)])
        : Buffer.concat([AMQP, ...amqp.map(frame)]);
      const r = feed(bytes, c);
      return r.violation === undefined && r.passed === bytes.length;
    }),
    300,
  ),
);

void t.test('an oversized frame is stopped before rhea sees it, however the stream is cut', (t) =>
  checkProperty(
    t,
    fc.property(frames, fc.integer({ min: 1025, max: 0xffffffff }), cuts, (before, size, c) => {
      const head = Buffer.concat([AMQP, ...before.map(frame)]);
      const big = Buffer.alloc(12);
      big.writeUInt32BE(size, 0);
      const r = feed(Buffer.concat([head, big]), c);
      // At most the first 3 bytes of its size prefix may pass (rhea waits for 4 and more).
      return (
        r.violation?.kind === 'frame-too-large' &&
        r.passed <= head.length + 3 &&
        r.violation.size === size
      );
    }),
    300,
  ),
);

void t.test('a frame under 8 bytes and a foreign header are refused', (t) => {
  const tiny = Buffer.alloc(8);
  tiny.writeUInt32BE(4, 0);
  t.equal(feed(Buffer.concat([AMQP, tiny]), []).violation?.kind, 'framing');
  t.equal(feed(Buffer.from('GET / HTTP/1.1\r\n\r\n'), [2]).violation?.kind, 'protocol-header');
  t.equal(
    feed(Buffer.from('AMQP\x01\x01\x00\x00', 'latin1'), []).violation?.kind,
    'protocol-header',
  );
  t.equal(
    feed(Buffer.concat([AMQP, AMQP]), []).violation?.kind,
    'framing',
    'no second AMQP header',
  );
  const saslTooBig = Buffer.alloc(8);
  saslTooBig.writeUInt32BE(600, 0);
  t.equal(
    feed(Buffer.concat([SASL, saslTooBig]), []).violation?.kind,
    'frame-too-large',
    'SASL frames are small',
  );
  t.end();
});
