// The check streams pass a body on chunk by chunk and stop at the refused one. In: XML and PDF
// bodies piped through xmlCheckStream / pdfCheckStream into a sink, a file drop and a loopback
// HTTP back office. Out: every chunk before the refused one was passed on, nothing from it or
// after; the pipeline fails with the typed error; an end-only refusal leaves no committed file
// and an HTTP body that never completes.
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createWriteStream } from 'node:fs';
import t from 'tap';
import { request } from 'undici';
import {
  isRelayContentError,
  pdfCheckStream,
  xmlCheckStream,
  type ContentCheckStream,
} from '../../src/work/content';

/** A sink that keeps what reached it. */
function sink(): { writable: Writable; bytes: () => Buffer } {
  const parts: Buffer[] = [];
  return {
    writable: new Writable({
      write(chunk: Buffer, _enc, done) {
        parts.push(chunk);
        done();
      },
    }),
    bytes: () => Buffer.concat(parts),
  };
}

async function run(
  chunks: readonly string[],
  stream: ContentCheckStream<unknown>,
): Promise<{ error: unknown; passed: Buffer }> {
  const out = sink();
  let error: unknown;
  try {
    await pipeline(Readable.from(chunks.map((c) => Buffer.from(c))), stream, out.writable);
  } catch (e) {
    error = e;
  }
  return { error, passed: out.bytes() };
}

void t.test('an XML body is passed on whole once every chunk passed', async (t) => {
  const chunks = ['<?xml version="1.0"?>', '<Return><Line n="1"/>', '<Line n="2"/></Return>\n'];
  const stream = xmlCheckStream({ expectedRoot: 'Return' });
  const { error, passed } = await run(chunks, stream);
  t.equal(error, undefined, 'no error');
  t.equal(passed.toString(), chunks.join(''), 'the same bytes');
  t.match(stream.summary, { root: 'Return', elements: 3 });
});

void t.test('the refused XML chunk and everything after it is never passed on', async (t) => {
  const chunks = [
    '<Return>',
    '<Line n="1"/>',
    '<?php system("x") ?>',
    '<Line n="2"/>',
    '</Return>',
  ];
  const stream = xmlCheckStream();
  const { error, passed } = await run(chunks, stream);
  t.ok(isRelayContentError(error), 'the pipeline fails with the typed error');
  t.match(error, { code: 'RELAY_E_CONTENT_XML', details: { rule: 'pi' } });
  t.equal(passed.toString(), chunks.slice(0, 2).join(''), 'exactly the chunks before it');
  t.equal(stream.summary, undefined, 'no summary');
});

void t.test('a refusal known only at the end comes after the bytes, as an error', async (t) => {
  const chunks = ['<Return>', '<Line n="1"/>'];
  const { error, passed } = await run(chunks, xmlCheckStream());
  t.match(error, { code: 'RELAY_E_CONTENT_XML', details: { rule: 'malformed' } });
  t.equal(passed.toString(), chunks.join(''), 'the bytes went on; the error tells the consumer');
});

void t.test('a PDF without its header is stopped at the first chunk', async (t) => {
  const { error, passed } = await run(['<html>', '%PDF-1.7\n', '%%EOF'], pdfCheckStream());
  t.match(error, { code: 'RELAY_E_CONTENT_PDF', details: { rule: 'magic' } });
  t.equal(passed.length, 0, 'nothing passed on');
});

void t.test('a file drop commits a PDF only when the stream ended without error', async (t) => {
  const dir = t.testdir();
  async function drop(name: string, chunks: readonly string[]): Promise<unknown> {
    const part = join(dir, `${name}.part`);
    try {
      await pipeline(
        Readable.from(chunks.map((c) => Buffer.from(c, 'latin1'))),
        pdfCheckStream(),
        createWriteStream(part),
      );
      await rename(part, join(dir, name));
      return undefined;
    } catch (e) {
      await rm(part, { force: true });
      return e;
    }
  }
  const good = [
    '%PDF-1.4\n',
    '1 0 obj\n<<>>\nendobj\n',
    'xref\n0 2\n0000000000 65535 f \n0000000009 00000 n \ntrailer\n<< /Size 2 >>\nstartxref\n29\n%%EOF\n',
  ];
  t.equal(await drop('good.pdf', good), undefined);
  t.ok(existsSync(join(dir, 'good.pdf')), 'the good PDF is committed');
  const error = await drop('cut.pdf', ['%PDF-1.4\n', '1 0 obj\n<<>>\nendobj\n']);
  t.match(error, { code: 'RELAY_E_CONTENT_PDF', details: { rule: 'trailer' } });
  t.notOk(existsSync(join(dir, 'cut.pdf')), 'the truncated PDF is not committed');
  t.notOk(existsSync(join(dir, 'cut.pdf.part')), 'and its part file is gone');
});

void t.test('an HTTP request to the back office is aborted at the refused chunk', async (t) => {
  const allowed = Buffer.from('<Return><Line n="1"/>');
  const server = createServer();
  let received = Buffer.alloc(0);
  let gotAllowed: () => void = () => undefined;
  const allowedArrived = new Promise<void>((resolve) => (gotAllowed = resolve));
  const closed = new Promise<boolean>((resolve) => {
    server.on('request', (req: IncomingMessage, res) => {
      req.on('data', (c: Buffer) => {
        received = Buffer.concat([received, c]);
        if (received.length >= allowed.length) gotAllowed();
      });
      req.on('error', () => undefined);
      req.on('end', () => res.end('ok'));
      req.on('close', () => {
        resolve(req.complete);
      });
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.teardown(() => {
    server.closeAllConnections();
    server.close();
  });
  const { port } = server.address() as AddressInfo;

  // The source hands over the refused chunk only once the back office has the allowed bytes.
  const source = new Readable({ read: () => undefined });
  source.push(allowed.subarray(0, 8));
  source.push(allowed.subarray(8));
  void allowedArrived.then(() => {
    source.push(Buffer.from('<!DOCTYPE x>'));
    source.push(Buffer.from('</Return>'));
    source.push(null);
  });
  const check = xmlCheckStream();
  source.on('error', () => undefined);
  const answer = request(`http://127.0.0.1:${port}/returns`, {
    method: 'POST',
    body: source.pipe(check),
    headers: { 'content-type': 'application/xml' },
  });
  await t.rejects(
    answer,
    { code: 'RELAY_E_CONTENT_XML', details: { rule: 'doctype' } },
    'the request fails with the typed refusal',
  );
  t.notOk(await closed, 'the back office never saw a complete body');
  t.same(received, allowed, 'it saw the bytes from before the refusal, and nothing after');
});
