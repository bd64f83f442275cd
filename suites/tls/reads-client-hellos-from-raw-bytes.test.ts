// The ClientHello reader of the hostile TLS peers (suites/lib/hostile/tls.ts), which the TLS
// cases trust to say what the relay offers. In: real first flights of Node TLS clients (a
// TLS 1.2+ client, a client forced to TLS 1.0, one with a long server name), cut at every byte
// and split across records; arbitrary bytes (fast-check). Out: a whole flight parses to the
// client's versions, suites, SNI and ALPN; every proper prefix is 'more'; the same hello split
// over two handshake records parses the same; non-TLS bytes are 'not-tls' and no input throws;
// the weakness table names RC4, 3DES, DES, NULL, EXPORT, anon and MD5 suites and passes the
// TLS 1.3 and ECDHE-AES-GCM ones.
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { connect, type ConnectionOptions } from 'node:tls';
import fc from 'fast-check';
import t from 'tap';
import {
  helloFindings,
  isGrease,
  parseClientHello,
  suiteWeakness,
  type ClientHello,
} from '../lib/hostile/tls';
import { checkProperty } from '../lib/property';

/** The bytes a Node TLS client sends first, read by a plain TCP server that never answers. */
async function firstFlight(options: ConnectionOptions): Promise<Buffer> {
  let resolveBytes: (b: Buffer) => void = () => undefined;
  const got = new Promise<Buffer>((resolve) => {
    resolveBytes = resolve;
  });
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    let bytes = Buffer.alloc(0);
    socket.on('data', (c: Buffer) => {
      bytes = Buffer.concat([bytes, c]);
      if (parseClientHello(bytes).kind !== 'more') resolveBytes(bytes);
    });
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => {
    server.listen(0, '127.0.0.1', resolve);
  });
  const client = connect({
    host: '127.0.0.1',
    port: (server.address() as AddressInfo).port,
    ...options,
  });
  client.on('error', () => undefined);
  const bytes = await got;
  client.destroy();
  for (const s of sockets) s.destroy();
  await new Promise<void>((resolve) => {
    server.close(() => {
      resolve();
    });
  });
  return bytes;
}

function helloOf(bytes: Buffer): ClientHello {
  const r = parseClientHello(bytes);
  if (r.kind !== 'hello') throw new Error(`not a hello: ${JSON.stringify(r)}`);
  return r.hello;
}

void t.test('a TLS 1.2+ client: versions, suites, SNI and ALPN', async (t) => {
  const bytes = await firstFlight({
    servername: 'council-42.servicebus.windows.net',
    ALPNProtocols: ['http/1.1'],
  });
  const hello = helloOf(bytes);
  t.equal(hello.serverName, 'council-42.servicebus.windows.net', 'SNI');
  t.same(hello.alpn, ['http/1.1'], 'ALPN');
  t.same(hello.supportedVersions, [0x0304, 0x0303], 'supported_versions: TLS 1.3 and 1.2');
  const f = helloFindings(hello);
  t.same(f.versions, ['TLSv1.2', 'TLSv1.3']);
  t.same([...f.weak, ...f.unknown, ...f.oldVersions], [], "Node's defaults: nothing weak");
  t.ok(f.suites.includes('TLS_AES_256_GCM_SHA384'), 'TLS 1.3 suites named by IANA');
  for (let cut = 0; cut < bytes.length; cut++) {
    if (parseClientHello(bytes.subarray(0, cut)).kind !== 'more') {
      t.fail(`a prefix of ${cut} bytes is not 'more'`);
      return;
    }
  }
  t.pass(`every proper prefix (${bytes.length} bytes) is 'more'`);
});

void t.test('the same hello split over two handshake records parses the same', async (t) => {
  const bytes = await firstFlight({ servername: 'x'.repeat(200) + '.example' });
  const length = bytes.readUInt16BE(3);
  const body = bytes.subarray(5, 5 + length);
  const half = Math.floor(body.length / 2);
  const rec = (part: Buffer): Buffer => {
    const head = Buffer.from([22, 3, 1, 0, 0]);
    head.writeUInt16BE(part.length, 3);
    return Buffer.concat([head, part]);
  };
  const split = Buffer.concat([rec(body.subarray(0, half)), rec(body.subarray(half))]);
  t.same(helloOf(split), helloOf(bytes));
});

void t.test('a client forced to TLS 1.0 is reported as such', async (t) => {
  const hello = helloOf(
    await firstFlight({ minVersion: 'TLSv1', maxVersion: 'TLSv1', ciphers: 'DEFAULT@SECLEVEL=0' }),
  );
  t.equal(hello.legacyVersion, 0x0301);
  t.equal(hello.supportedVersions, undefined, 'no supported_versions below TLS 1.3');
  t.same(helloFindings(hello).oldVersions, ['no supported_versions: anything up to TLSv1']);
});

void t.test('non-TLS bytes and any bytes at all', async (t) => {
  t.match(parseClientHello(Buffer.from('GET / HTTP/1.1\r\n\r\n')), { kind: 'not-tls' });
  t.match(parseClientHello(Buffer.from([22, 3, 1, 0, 4, 2, 0, 0, 0])), {
    kind: 'not-tls',
    reason: /not ClientHello/,
  });
  await checkProperty(
    t,
    fc.property(fc.uint8Array({ maxLength: 600 }), fc.boolean(), (raw, asTls) => {
      const bytes = Buffer.from(raw);
      // Half the inputs start like a handshake record, so the inner parser is reached.
      if (asTls && bytes.length >= 6) {
        bytes[0] = 22;
        bytes[1] = 3;
        bytes.writeUInt16BE(Math.min(bytes.length - 5, 0x4000), 3);
        bytes[5] = 1;
      }
      // Never throws; a hello read from random bytes still has whole two-byte suites.
      const r = parseClientHello(bytes);
      return r.kind !== 'hello' || r.hello.cipherSuites.every((c) => c >= 0 && c <= 0xffff);
    }),
    2000,
  );
});

void t.test('the weakness table', (t) => {
  for (const [name, why] of [
    ['TLS_RSA_WITH_RC4_128_SHA', 'RC4'],
    ['TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA', '3DES'],
    ['TLS_RSA_WITH_DES_CBC_SHA', 'DES'],
    ['TLS_RSA_EXPORT_WITH_DES40_CBC_SHA', 'EXPORT'],
    ['TLS_ECDH_anon_WITH_AES_128_CBC_SHA', 'anon'],
    ['TLS_ECDHE_ECDSA_WITH_NULL_SHA', 'NULL'],
    ['TLS_NULL_WITH_NULL_NULL', 'NULL'],
    ['TLS_RSA_WITH_NULL_MD5', 'NULL'],
  ] as const) {
    t.equal(suiteWeakness(name), why, name);
  }
  for (const name of [
    'TLS_AES_128_GCM_SHA256',
    'TLS_CHACHA20_POLY1305_SHA256',
    'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384',
    'TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA',
  ]) {
    t.equal(suiteWeakness(name), undefined, name);
  }
  t.ok(isGrease(0x0a0a) && isGrease(0xfafa) && !isGrease(0x0a1a) && !isGrease(0x1301), 'GREASE');
  t.end();
});
