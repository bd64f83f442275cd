// The listener's own RFC 6455 frame reader (ws-frames.ts), as properties: any split of a valid
// stream of server frames into chunks gives the same messages (text whole, binary joined from
// its pieces, pings, pongs, the close), however fragmented and with control frames between
// fragments; pausing keeps the bytes and their order; malformed input of any kind gives at
// most one typed RELAY_E_HC_FRAME error naming the close code (1002, 1007 or 1009), never a
// throw, and nothing after it. Also the client's masked frames decode to what was sent.
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import t from 'tap';
import { HcError, isHcError } from '../../src/transports/errors';
import {
  FrameReader,
  OPCODE,
  closePayload,
  maskedFrame,
  maskedTextFrame,
  type FrameSink,
} from '../../src/transports/ws-frames';
import { checkProperty } from '../helpers/property';

// ---------------------------------------------------------------------------------------
// A server-side frame writer (unmasked), for building streams

function frame(opcode: number, payload: Uint8Array, fin = true, rsv = 0): Buffer {
  const n = payload.length;
  const ext = n < 126 ? 0 : n < 0x10000 ? 2 : 8;
  const head = Buffer.alloc(2 + ext);
  head[0] = (fin ? 0x80 : 0) | (rsv << 4) | opcode;
  if (ext === 0) head[1] = n;
  else if (ext === 2) {
    head[1] = 126;
    head.writeUInt16BE(n, 2);
  } else {
    head[1] = 127;
    head.writeUInt32BE(Math.floor(n / 0x100000000), 2);
    head.writeUInt32BE(n >>> 0, 6);
  }
  return Buffer.concat([head, payload]);
}

type DataMessage =
  | { readonly kind: 'text'; readonly text: string; readonly cuts: readonly number[] }
  | { readonly kind: 'binary'; readonly data: Buffer; readonly cuts: readonly number[] };
interface ControlMessage {
  readonly kind: 'ping' | 'pong';
  readonly data: Buffer;
}
type Message = DataMessage | ControlMessage;

function isControl(m: Message): m is ControlMessage {
  return m.kind === 'ping' || m.kind === 'pong';
}

/** A data message's payload cut at `cuts` (fractions): at least one fragment. */
function fragmentsOf(payload: Buffer, cuts: readonly number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => Math.floor(c * payload.length)))]
    .filter((p) => p > 0 && p < payload.length)
    .sort((x, y) => x - y);
  const edges = [0, ...points, payload.length];
  const out: Buffer[] = [];
  for (let i = 0; i + 1 < edges.length; i++) out.push(payload.subarray(edges[i], edges[i + 1]));
  return out;
}

function payloadOf(m: DataMessage): Buffer {
  return m.kind === 'text' ? Buffer.from(m.text, 'utf8') : m.data;
}

/** Frames for `m`: a data message in fragments, with a ping between them when asked. */
function framesOf(m: Message, pingBetween: boolean): Buffer[] {
  if (isControl(m)) return [frame(m.kind === 'ping' ? OPCODE.ping : OPCODE.pong, m.data)];
  const frags = fragmentsOf(payloadOf(m), m.cuts);
  const out: Buffer[] = [];
  frags.forEach((f, i) => {
    const fin = i === frags.length - 1;
    out.push(frame(i === 0 ? (m.kind === 'text' ? OPCODE.text : OPCODE.binary) : 0, f, fin));
    if (!fin && pingBetween) out.push(frame(OPCODE.ping, PING));
  });
  return out;
}

const PING = Buffer.from('between');

/** What a reader hands over, as comparable strings (binary pieces joined per message). */
function collect(): { sink: FrameSink; events: string[]; errors: HcError[] } {
  const events: string[] = [];
  const errors: HcError[] = [];
  let parts: Buffer[] = [];
  const sink: FrameSink = {
    text: (text) => events.push(`text ${text}`),
    binary: (data, fin) => {
      parts.push(Buffer.from(data));
      if (fin) {
        const whole = Buffer.concat(parts);
        parts = [];
        events.push(`binary ${whole.length} ${createHash('sha1').update(whole).digest('hex')}`);
      }
    },
    ping: (data) => events.push(`ping ${data.toString('hex')}`),
    pong: (data) => events.push(`pong ${data.toString('hex')}`),
    close: (code, reason) => events.push(`close ${code} ${reason}`),
    error: (e) => {
      errors.push(e);
      events.push(`error ${String(e.details.closeCode)}`);
    },
  };
  return { sink, events, errors };
}

function expected(
  messages: readonly Message[],
  pingBetween: boolean,
  close: readonly [number, string] | undefined,
): string[] {
  const out: string[] = [];
  for (const m of messages) {
    if (isControl(m)) {
      out.push(`${m.kind} ${m.data.toString('hex')}`);
      continue;
    }
    const frags = fragmentsOf(payloadOf(m), m.cuts).length;
    if (pingBetween) for (let i = 1; i < frags; i++) out.push(`ping ${PING.toString('hex')}`);
    if (m.kind === 'text') out.push(`text ${Buffer.from(m.text, 'utf8').toString('utf8')}`);
    else out.push(`binary ${m.data.length} ${createHash('sha1').update(m.data).digest('hex')}`);
  }
  if (close !== undefined) out.push(`close ${close[0]} ${close[1]}`);
  return out;
}

/** Splits `bytes` at the given fractions. */
function split(bytes: Buffer, cuts: readonly number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => Math.floor(c * bytes.length)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let at = 0;
  for (const p of points) {
    if (p <= at) continue;
    out.push(bytes.subarray(at, p));
    at = p;
  }
  out.push(bytes.subarray(at));
  return out;
}

const cutsArb = fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 5 });
/** Sizes that exercise the 7-bit, 16-bit and 64-bit length forms. */
const sizeArb = fc.oneof(
  fc.integer({ min: 0, max: 125 }),
  fc.integer({ min: 126, max: 70_000 }),
  fc.constantFrom(125, 126, 65_535, 65_536),
);
const messageArb: fc.Arbitrary<Message> = fc.oneof(
  fc.record({
    kind: fc.constant('text' as const),
    text: fc.string({ unit: 'grapheme', maxLength: 200 }),
    cuts: cutsArb,
  }),
  fc.record({ size: sizeArb, seed: fc.integer(), cuts: cutsArb }).map(({ size, seed, cuts }) => ({
    kind: 'binary' as const,
    data: bytesOf(size, seed),
    cuts,
  })),
  fc.record({
    kind: fc.constantFrom('ping' as const, 'pong' as const),
    data: fc.uint8Array({ maxLength: 125 }).map((a) => Buffer.from(a)),
  }),
);

function bytesOf(size: number, seed: number): Buffer {
  const out = Buffer.alloc(size);
  let x = seed | 1;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

const LIMITS = { maxTextBytes: 1024 * 1024 };

void t.test('any split of a valid frame stream gives the same messages', (t) => {
  checkProperty(
    t,
    fc.property(
      fc.array(messageArb, { maxLength: 8 }),
      fc.boolean(),
      fc.option(
        fc.tuple(
          fc.constantFrom(1000, 1001, 1008, 1011, 4000),
          fc.string({ unit: 'grapheme-ascii', maxLength: 30 }),
        ),
        { nil: undefined },
      ),
      fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 40 }),
      (messages, pingBetween, close, chunkCuts) => {
        const frames = messages.flatMap((m) => framesOf(m, pingBetween));
        if (close !== undefined) frames.push(frame(OPCODE.close, closePayload(close[0], close[1])));
        const stream = Buffer.concat(frames);
        const whole = collect();
        new FrameReader(LIMITS, whole.sink).push(stream);
        const pieces = collect();
        const reader = new FrameReader(LIMITS, pieces.sink);
        for (const chunk of split(stream, chunkCuts)) reader.push(chunk);
        const want = expected(messages, pingBetween, close);
        return (
          JSON.stringify(pieces.events) === JSON.stringify(whole.events) &&
          JSON.stringify(whole.events) === JSON.stringify(want) &&
          reader.bufferedBytes === 0
        );
      },
    ),
    300,
  );
  t.end();
});

void t.test('pausing keeps the bytes and hands them over in order on resume', (t) => {
  checkProperty(
    t,
    fc.property(
      fc.array(messageArb, { minLength: 1, maxLength: 6 }),
      fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 20 }),
      fc.integer({ min: 1, max: 5 }),
      (messages, chunkCuts, every) => {
        const stream = Buffer.concat(messages.flatMap((m) => framesOf(m, false)));
        const straight = collect();
        new FrameReader(LIMITS, straight.sink).push(stream);
        // Pause after every `every`-th unit handed over; resume after each push.
        const events: string[] = [];
        const base = collect();
        let count = 0;
        const reader: FrameReader = new FrameReader(LIMITS, {
          ...base.sink,
          text: (x) => {
            base.sink.text(x);
            if (++count % every === 0) reader.pause();
          },
          binary: (d, fin) => {
            base.sink.binary(d, fin);
            if (++count % every === 0) reader.pause();
          },
        });
        for (const chunk of split(stream, chunkCuts)) {
          reader.push(chunk);
          for (let guard = 0; reader.paused && guard < 100_000; guard++) reader.resume();
        }
        events.push(...base.events);
        return JSON.stringify(events) === JSON.stringify(straight.events);
      },
    ),
    300,
  );
  t.end();
});

void t.test('malformed input never throws and gives at most one typed error, last', (t) => {
  checkProperty(
    t,
    fc.property(
      fc.array(messageArb, { maxLength: 4 }),
      fc.array(fc.record({ at: fc.nat(), xor: fc.integer({ min: 1, max: 255 }) }), {
        minLength: 1,
        maxLength: 4,
      }),
      fc.uint8Array({ maxLength: 64 }),
      cutsArb,
      (messages, flips, tail, chunkCuts) => {
        const stream = Buffer.concat([
          ...messages.flatMap((m) => framesOf(m, false)),
          Buffer.from(tail),
        ]);
        for (const f of flips) {
          if (stream.length > 0) {
            const i = f.at % stream.length;
            stream[i] = (stream[i] ?? 0) ^ f.xor;
          }
        }
        const c = collect();
        const reader = new FrameReader({ maxTextBytes: 4096, maxBinaryBytes: 100_000 }, c.sink);
        try {
          for (const chunk of split(stream, chunkCuts)) reader.push(chunk);
        } catch {
          return false;
        }
        if (c.errors.length > 1) return false;
        const e = c.errors[0];
        if (e === undefined) return true;
        return (
          isHcError(e, 'RELAY_E_HC_FRAME') &&
          [1002, 1007, 1009].includes(Number(e.details.closeCode)) &&
          c.events[c.events.length - 1] === `error ${String(e.details.closeCode)}` &&
          reader.done
        );
      },
    ),
    1000,
  );
  t.end();
});

void t.test('each kind of malformed frame names its close code', (t) => {
  const cases: [string, Buffer, number][] = [
    ['a masked server frame', Buffer.from([0x82, 0x81, 1, 2, 3, 4, 5]), 1002],
    ['reserved bits set', frame(OPCODE.binary, Buffer.from('x'), true, 4), 1002],
    ['an unknown data opcode', frame(0x3, Buffer.from('x')), 1002],
    ['an unknown control opcode', frame(0xb, Buffer.from('x')), 1002],
    ['a fragmented control frame', frame(OPCODE.ping, Buffer.from('x'), false), 1002],
    ['a control frame over 125 bytes', frame(OPCODE.ping, Buffer.alloc(126)), 1002],
    ['a continuation with nothing to continue', frame(0, Buffer.from('x')), 1002],
    [
      'a new message inside a fragmented one',
      Buffer.concat([
        frame(OPCODE.binary, Buffer.from('a'), false),
        frame(OPCODE.text, Buffer.from('b')),
      ]),
      1002,
    ],
    ['text that is not UTF-8', frame(OPCODE.text, Buffer.from([0xc3, 0x28])), 1007],
    ['a close frame of one byte', frame(OPCODE.close, Buffer.from([3])), 1002],
    ['a close code nobody may send', frame(OPCODE.close, Buffer.from([0x03, 0xed])), 1002],
    [
      'a close reason that is not UTF-8',
      frame(OPCODE.close, Buffer.from([0x03, 0xe8, 0xff])),
      1007,
    ],
    ['a text message over the limit', frame(OPCODE.text, Buffer.alloc(2000, 0x61)), 1009],
    ['a length beyond 2^53', Buffer.from([0x82, 127, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0]), 1009],
  ];
  for (const [what, bytes, code] of cases) {
    const c = collect();
    const reader = new FrameReader({ maxTextBytes: 1024 }, c.sink);
    reader.push(bytes);
    reader.push(frame(OPCODE.text, Buffer.from('after')));
    t.equal(c.errors.length, 1, `${what}: one error`);
    t.equal(c.errors[0]?.code, 'RELAY_E_HC_FRAME', `${what}: typed`);
    t.equal(c.errors[0]?.details.closeCode, code, `${what}: close ${code}`);
    t.notOk(c.events.includes('text after'), `${what}: nothing after it`);
  }
  t.end();
});

void t.test('a close frame without a code reads as 1005 and ends the stream', (t) => {
  const c = collect();
  const reader = new FrameReader(LIMITS, c.sink);
  reader.push(
    Buffer.concat([frame(OPCODE.close, Buffer.alloc(0)), frame(OPCODE.text, Buffer.from('x'))]),
  );
  t.same(c.events, ['close 1005 ']);
  t.ok(reader.done);
  t.end();
});

/** Unmasks one client frame: opcode, fin, the mask and the payload. */
function decodeClientFrame(f: Buffer): {
  opcode: number;
  fin: boolean;
  masked: boolean;
  mask: Buffer;
  payload: Buffer;
} {
  const b1 = f[1] ?? 0;
  const len7 = b1 & 0x7f;
  const ext = len7 === 126 ? 2 : len7 === 127 ? 8 : 0;
  const length =
    ext === 0
      ? len7
      : ext === 2
        ? f.readUInt16BE(2)
        : f.readUInt32BE(6) + f.readUInt32BE(2) * 2 ** 32;
  const mask = Buffer.from(f.subarray(2 + ext, 6 + ext));
  const payload = Buffer.from(f.subarray(6 + ext, 6 + ext + length));
  for (let i = 0; i < payload.length; i++) payload[i] = (payload[i] ?? 0) ^ (mask[i & 3] ?? 0);
  return {
    opcode: (f[0] ?? 0) & 0x0f,
    fin: ((f[0] ?? 0) & 0x80) !== 0,
    masked: (b1 & 0x80) !== 0,
    mask,
    payload: f.length === 6 + ext + length ? payload : Buffer.alloc(0),
  };
}

void t.test('client frames are masked and decode to what was sent', (t) => {
  checkProperty(
    t,
    fc.property(
      fc.constantFrom(OPCODE.text, OPCODE.binary, OPCODE.ping, 0),
      sizeArb,
      fc.integer(),
      fc.boolean(),
      fc.uint8Array({ minLength: 4, maxLength: 4 }),
      fc.integer({ min: 0, max: 3 }),
      fc.option(fc.integer({ min: 0, max: 80_000 }), { nil: undefined }),
      (opcode, size, seed, fin, mask, misalign, spareSize) => {
        // Payloads at every alignment, built in a spare buffer or a new one.
        const payload = bytesOf(size + misalign, seed).subarray(misalign);
        const before = Buffer.from(payload);
        const spare = spareSize === undefined ? undefined : Buffer.alloc(spareSize);
        const d = decodeClientFrame(maskedFrame(opcode, payload, fin, mask, spare));
        return (
          d.opcode === opcode &&
          d.fin === fin &&
          d.masked &&
          d.payload.equals(payload) &&
          payload.equals(before) &&
          d.mask.equals(Buffer.from(mask))
        );
      },
    ),
    300,
  );
  t.end();
});

void t.test('a text frame is encoded and masked in place', (t) => {
  checkProperty(
    t,
    fc.property(
      fc.oneof(
        fc.string({ unit: 'grapheme', maxLength: 300 }),
        fc.string({ unit: 'grapheme-ascii', minLength: 100, maxLength: 70_000 }),
      ),
      fc.uint8Array({ minLength: 4, maxLength: 4 }),
      (text, mask) => {
        const d = decodeClientFrame(maskedTextFrame(text, mask));
        return (
          d.opcode === OPCODE.text &&
          d.fin &&
          d.masked &&
          d.payload.toString('utf8') === Buffer.from(text, 'utf8').toString('utf8')
        );
      },
    ),
    300,
  );
  t.end();
});
