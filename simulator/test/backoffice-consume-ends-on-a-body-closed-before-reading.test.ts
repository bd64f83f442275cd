// A back-office service may start reading a body only after a fault delay; the client may have
// gone by then. In: a stream destroyed (and its 'close' already emitted) before consume()
// starts, and a stream that ended normally. Out: the first rejects with the aborted error
// instead of waiting for a 'close' that will never come again; the second resolves.
import { Readable } from 'node:stream';
import t from 'tap';
import { consume } from '../src/backoffice/service';

void t.test('a body destroyed before reading starts rejects at once', async (t) => {
  const body = new Readable({
    read() {
      // nothing to give: the body is destroyed before it is read
    },
  });
  body.destroy();
  await new Promise<void>((resolve) => body.once('close', resolve));
  const seen: Buffer[] = [];
  await t.rejects(
    consume(body, (c) => {
      seen.push(c);
    }),
    { code: 'ECONNRESET' },
  );
  t.equal(seen.length, 0, 'no chunk was fed');
});

void t.test('a body read to its end resolves with every chunk fed', async (t) => {
  const body = Readable.from([Buffer.from('a'), Buffer.from('b')]);
  const seen: string[] = [];
  await consume(body, (c) => {
    seen.push(c.toString());
  });
  t.same(seen, ['a', 'b']);
});
