// Unit tests of the envelope streams (relay/src/protocol/envelope-stream.ts): edge sizes and
// chunkings, chunk types, failure handling, and the plain pass-through. In: fixed keys,
// clocks and randomness. Out: tap results.
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import t from 'tap';
import {
  EnvelopeError,
  openBody,
  sealBody,
  SEGMENT_BYTES,
  type EnvelopeParams,
  type OpenParams,
} from '../src/protocol/envelope';
import {
  createOpenStream,
  createSealStream,
  type OpenStream,
  type SealStream,
} from '../src/protocol/envelope-stream';

const K = createHash('sha256').update('unit K').digest();

function params(label = 'r'): EnvelopeParams {
  let i = 0;
  return {
    key: K,
    kid: 'k1',
    tenant: 'council-7',
    messageId: 'id-1',
    route: 'documents/post',
    direction: 'r2c',
    deps: {
      clock: { now: () => 1_700_000_000_000 },
      random: (n) =>
        createHash('sha256')
          .update(`${label}${String(i++)}`)
          .digest()
          .subarray(0, n),
    },
  };
}

function opening(requireSealed = true): OpenParams {
  return { ...params(), policy: { requireSealed, ttlMs: 60_000 } };
}

async function drain(
  stream: SealStream | OpenStream,
  chunks: readonly (Buffer | Uint8Array | string)[],
): Promise<{ out: Buffer; error: unknown }> {
  const out: Buffer[] = [];
  stream.on('data', (c: Buffer) => out.push(c));
  const ended = new Promise<unknown>((resolve) => {
    stream.on('end', () => {
      resolve(undefined);
    });
    stream.on('error', resolve);
  });
  for (const c of chunks) stream.write(c);
  stream.end();
  const error = await ended;
  return { out: Buffer.concat(out), error };
}

void t.test('an empty body streams to one 16-byte segment and back to nothing', async (t) => {
  const { metadata, stream } = createSealStream(params());
  const sealed = await drain(stream, []);
  t.equal(sealed.out.length, 16, 'one empty final segment');
  t.ok(sealed.out.equals(sealBody(params(), Buffer.alloc(0)).sealed), 'as sealBody gives');
  const opened = await drain(createOpenStream(opening(), metadata), [sealed.out]);
  t.equal(opened.error, undefined);
  t.equal(opened.out.length, 0, 'opens to an empty body');
});

void t.test(
  'one-byte chunks, Uint8Array chunks and string chunks seal like sealBody',
  async (t) => {
    const body = Buffer.from('x'.repeat(300));
    const expected = sealBody(params(), body).sealed;
    const bytes = [...body].map((b) => Buffer.from([b]));
    t.ok((await drain(createSealStream(params()).stream, bytes)).out.equals(expected), 'bytes');
    const views = [new Uint8Array(body.subarray(0, 100)), new Uint8Array(body.subarray(100))];
    t.ok((await drain(createSealStream(params()).stream, views)).out.equals(expected), 'views');
    const text = ['x'.repeat(150), 'x'.repeat(150)];
    t.ok((await drain(createSealStream(params()).stream, text)).out.equals(expected), 'strings');
  },
);

void t.test('a failing opening stream emits an EnvelopeError and never ends', async (t) => {
  const body = Buffer.alloc(2 * SEGMENT_BYTES + 10, 7);
  const { metadata, sealed } = sealBody(params(), body);
  sealed[SEGMENT_BYTES + 3] = (sealed[SEGMENT_BYTES + 3] ?? 0) ^ 4;
  const stream = createOpenStream(opening(), metadata);
  let ended = false;
  stream.on('end', () => (ended = true));
  const run = await drain(stream, [sealed]);
  t.ok(run.error instanceof EnvelopeError, 'the error is typed');
  t.equal((run.error as EnvelopeError).code, 'ENV_E_AUTH');
  t.equal((run.error as EnvelopeError).details.segment, 0, 'it names the failing segment');
  t.equal(run.out.length, 0, 'nothing was emitted');
  t.notOk(ended, 'the stream did not end normally');
  t.ok(stream.destroyed, 'the stream is destroyed');
  t.equal(stream.bufferedBytes, 0, 'its buffers were released');
});

void t.test('invalid parameters are refused when the stream is created', (t) => {
  t.throws(
    () => createSealStream({ ...params(), tenant: 'X' }),
    { code: 'ENV_E_BINDING' },
    'a bad tenant',
  );
  t.throws(() => createOpenStream(opening(), undefined), { code: 'ENV_E_PLAIN' }, 'a plain body');
  t.end();
});

void t.test('a plain stream under development passes bytes through and says so', async (t) => {
  const stream = createOpenStream(opening(false), undefined);
  t.equal(stream.sealed, false);
  const body = Buffer.alloc(3 * SEGMENT_BYTES + 1, 3);
  const run = await drain(stream, [body.subarray(0, 1000), body.subarray(1000)]);
  t.ok(run.out.equals(body), 'unchanged');
});

void t.test('a sealed stream reports that it is sealed and round-trips', async (t) => {
  const body = Buffer.alloc(SEGMENT_BYTES * 2, 9);
  const { metadata, stream } = createSealStream(params());
  const sealed = await drain(stream, [body]);
  const open = createOpenStream(opening(), metadata);
  t.equal(open.sealed, true);
  const run = await drain(open, [sealed.out]);
  t.ok(run.out.equals(body));
  t.ok(openBody(opening(), metadata, sealed.out).equals(body), 'the single-shot opener agrees');
  t.ok(open.peakBufferedBytes > 0, 'the high-water counter moved');
});

void t.test('a reader that destroys the opening stream half-way causes no error', async (t) => {
  const body = Buffer.alloc(4 * SEGMENT_BYTES, 1);
  const { metadata, sealed } = sealBody(params(), body);
  const open = createOpenStream(opening(), metadata);
  open.write(sealed);
  const first = open.read() as Buffer | null;
  t.ok(first !== null, 'something was readable');
  open.destroy();
  await once(open, 'close');
  t.equal(open.bufferedBytes, 0, 'its buffers were released');
});
