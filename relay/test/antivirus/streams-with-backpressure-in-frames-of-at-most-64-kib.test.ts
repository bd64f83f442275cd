// Over loopback TCP (127.0.0.1 and localhost), the body goes to clamd as `zINSTREAM\0`, frames of
// at most 64 KiB (4-byte big-endian length, then the bytes) that add up to the body exactly, then
// a zero-length frame; clamd's answer ends the scan. A clamd that stops reading holds the body back
// (backpressure): an endless body is not read beyond what the socket buffers hold, and the scan
// ends RELAY_E_AV_UNAVAILABLE when clamd has taken nothing more for timeoutMs.
import { randomBytes } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import { Readable } from 'node:stream';
import t from 'tap';
import { CHUNK_BYTES, createScanner, isRelayAvError } from '../../src/work/antivirus';
import { rejection, streamOf } from './lib/fixture';

interface Received {
  readonly command: string;
  readonly frames: number[];
  readonly body: Buffer;
}

/** A clamd stand-in on 127.0.0.1:0 that parses INSTREAM and answers `stream: OK`. */
async function framingClamd(t: tap.Test): Promise<{ port: number; seen: Received[] }> {
  const seen: Received[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => undefined);
    let held = Buffer.alloc(0);
    s.on('data', (d: Buffer) => {
      held = Buffer.concat([held, d]);
      const nul = held.indexOf(0);
      if (nul < 0) return;
      const frames: number[] = [];
      const parts: Buffer[] = [];
      let at = nul + 1;
      for (;;) {
        if (held.length < at + 4) return;
        const n = held.readUInt32BE(at);
        if (held.length < at + 4 + n) return;
        frames.push(n);
        parts.push(held.subarray(at + 4, at + 4 + n));
        at += 4 + n;
        if (n === 0) break;
      }
      seen.push({
        command: held.subarray(0, nul).toString('latin1'),
        frames,
        body: Buffer.concat(parts),
      });
      s.end('stream: OK\0');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(
    () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => {
          resolve();
        });
      }),
  );
  const address = server.address();
  return { port: typeof address === 'object' && address !== null ? address.port : 0, seen };
}

void t.test('the body goes in frames of at most 64 KiB, then a zero frame', async (t) => {
  const { port, seen } = await framingClamd(t);
  t.equal(CHUNK_BYTES, 64 * 1024);
  for (const host of ['127.0.0.1', 'localhost']) {
    const scanner = createScanner({ clamd: { host, port } });
    const bodies: readonly (readonly [
      string,
      Buffer,
      (b: Buffer) => Parameters<typeof scanner.scan>[0],
    ])[] = [
      ['one buffer of 1 MiB + 7', randomBytes(1024 * 1024 + 7), (b) => b],
      ['a stream of 100,000-byte chunks', randomBytes(450_000), (b) => streamOf(b, 100_000)],
      ['a stream of 3-byte chunks', randomBytes(3000), (b) => streamOf(b, 3)],
      ['an empty body', Buffer.alloc(0), (b) => streamOf(b)],
    ];
    for (const [what, b, as] of bodies) {
      const outcome = await scanner.scan(as(b));
      t.match(outcome, { verdict: 'clean', bytes: b.length }, `${host}, ${what}: clean`);
      const got = seen.at(-1);
      t.equal(got?.command, 'zINSTREAM', `${what}: zINSTREAM`);
      t.equal(got?.frames.at(-1), 0, `${what}: ends with a zero-length frame`);
      t.ok(
        got?.frames.every((n) => n <= 64 * 1024),
        `${what}: every frame ≤ 64 KiB`,
      );
      t.equal(got?.frames.filter((n) => n === 0).length, 1, `${what}: one zero frame`);
      t.ok(got?.body.equals(b), `${what}: the frames add up to the body`);
    }
  }
});

void t.test('a clamd that stops reading holds an endless body back', async (t) => {
  const sockets = new Set<Socket>();
  let connected: () => void = () => undefined;
  const reading = new Promise<void>((resolve) => {
    connected = resolve;
  });
  const server = createServer((s) => {
    sockets.add(s);
    s.on('error', () => undefined);
    s.pause(); // never reads a byte
    connected();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(
    () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => {
          resolve();
        });
      }),
  );
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  let pulled = 0;
  const endless = new Readable({
    read() {
      pulled += 64 * 1024;
      this.push(Buffer.alloc(64 * 1024));
    },
  });
  const scanner = createScanner({
    clamd: { host: '127.0.0.1', port },
    timeoutMs: 300,
    maxBytes: 4096 * 1024 * 1024 - 1,
  });
  const e = await rejection(scanner.scan(endless));
  await reading;
  t.ok(isRelayAvError(e, 'RELAY_E_AV_UNAVAILABLE'), 'RELAY_E_AV_UNAVAILABLE');
  t.match((e as Error).message, /timed out during the stream/);
  t.ok(pulled < 64 * 1024 * 1024, `read ${pulled} bytes of an endless body, not more`);
  t.ok(endless.destroyed, 'the body was destroyed');
});

void t.test('nothing beyond maxBytes is sent', async (t) => {
  let received = Buffer.alloc(0);
  let closed: () => void = () => undefined;
  const ended = new Promise<void>((resolve) => {
    closed = resolve;
  });
  const server = createServer((s) => {
    s.on('error', () => undefined);
    s.on('data', (d: Buffer) => {
      received = Buffer.concat([received, d]);
    });
    s.on('close', () => {
      closed();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(
    () =>
      new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
      }),
  );
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  const scanner = createScanner({ clamd: { host: '127.0.0.1', port }, maxBytes: 100_000 });
  const e = await rejection(scanner.scan(streamOf(randomBytes(300_000), 30_000)));
  t.ok(isRelayAvError(e, 'RELAY_E_AV_UNSCANNABLE'), 'RELAY_E_AV_UNSCANNABLE');
  t.match(e, { details: { reason: 'maxBytes' } });
  await ended;
  t.equal(received.subarray(0, 10).toString('latin1'), 'zINSTREAM\0');
  let payload = 0;
  for (let at = 10; at + 4 <= received.length;) {
    const n = received.readUInt32BE(at);
    payload += Math.min(n, received.length - at - 4);
    at += 4 + n;
  }
  t.ok(payload <= 100_000, `${payload} bytes of the body sent, at most maxBytes`);
  t.ok(payload > 0, 'what fitted was sent');
});
