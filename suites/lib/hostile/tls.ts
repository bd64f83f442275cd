// Hostile TLS peers for the TLS cases, made at run time on 127.0.0.1 port 0 (never a file, never
// another address). In: certificates (simulator/src/cloud/tls), protocol versions, cipher lists,
// a loopback target to forward to. Out:
// - parseClientHello / helloOf: the first flight of a TLS client read from raw bytes (record
//   and handshake layers), its cipher suites, supported_versions, SNI and ALPN, and
//   helloFindings: every weak (RC4, 3DES/DES, NULL, EXPORT, anon, MD5), unknown or pre-1.2
//   thing it offers, named by the IANA registry;
// - startHelloServer: a raw TCP server that reads each connection's ClientHello and then
//   forwards the bytes untouched to a target (a peek proxy: the connection still works), closes
//   with a handshake_failure alert, or answers with a ServerHello that insists on a suite the
//   client never offered (RC4, 3DES, EXPORT: what OpenSSL 3 cannot even serve), recording the
//   alert the client answers with;
// - startTlsService: an HTTPS server speaking only the versions and suites given (TLS 1.0,
//   1.1, NULL or anonymous suites at OpenSSL security level 0), recording handshakes, the
//   server side of each failed handshake and every HTTP request that got through;
// - startTlsProxy: a TLS-terminating proxy with a certificate and TLS options that can be
//   changed live (expired, self-signed, wrong host, then good), opening its upstream TLS
//   connection only when the client sends its first application byte.
// Everything is closed in the test's teardown.
import { randomBytes } from 'node:crypto';
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createNetServer, connect as netConnect, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { connect as tlsConnect, createServer as createTlsServer, type TLSSocket } from 'node:tls';
import type { SecureContextOptions } from 'node:tls';

// ------------------------------------------------------------------------------------------
// The IANA names of cipher suites: everything OpenSSL 3.0 knows (`openssl ciphers -stdname -V
// 'ALL:COMPLEMENTOFALL:@SECLEVEL=0'`) and the classic weak suites it no longer builds (RC4,
// 3DES, DES, EXPORT, IDEA, RC2), from the IANA TLS Cipher Suites registry.

const SUITE_TABLE = `
0000 TLS_NULL_WITH_NULL_NULL
0001 TLS_RSA_WITH_NULL_MD5
0002 TLS_RSA_WITH_NULL_SHA
0003 TLS_RSA_EXPORT_WITH_RC4_40_MD5
0004 TLS_RSA_WITH_RC4_128_MD5
0005 TLS_RSA_WITH_RC4_128_SHA
0006 TLS_RSA_EXPORT_WITH_RC2_CBC_40_MD5
0007 TLS_RSA_WITH_IDEA_CBC_SHA
0008 TLS_RSA_EXPORT_WITH_DES40_CBC_SHA
0009 TLS_RSA_WITH_DES_CBC_SHA
000A TLS_RSA_WITH_3DES_EDE_CBC_SHA
000B TLS_DH_DSS_EXPORT_WITH_DES40_CBC_SHA
000C TLS_DH_DSS_WITH_DES_CBC_SHA
000D TLS_DH_DSS_WITH_3DES_EDE_CBC_SHA
000E TLS_DH_RSA_EXPORT_WITH_DES40_CBC_SHA
000F TLS_DH_RSA_WITH_DES_CBC_SHA
0010 TLS_DH_RSA_WITH_3DES_EDE_CBC_SHA
0011 TLS_DHE_DSS_EXPORT_WITH_DES40_CBC_SHA
0012 TLS_DHE_DSS_WITH_DES_CBC_SHA
0013 TLS_DHE_DSS_WITH_3DES_EDE_CBC_SHA
0014 TLS_DHE_RSA_EXPORT_WITH_DES40_CBC_SHA
0015 TLS_DHE_RSA_WITH_DES_CBC_SHA
0016 TLS_DHE_RSA_WITH_3DES_EDE_CBC_SHA
0017 TLS_DH_anon_EXPORT_WITH_RC4_40_MD5
0018 TLS_DH_anon_WITH_RC4_128_MD5
0019 TLS_DH_anon_EXPORT_WITH_DES40_CBC_SHA
001A TLS_DH_anon_WITH_DES_CBC_SHA
001B TLS_DH_anon_WITH_3DES_EDE_CBC_SHA
002C TLS_PSK_WITH_NULL_SHA
002D TLS_DHE_PSK_WITH_NULL_SHA
002E TLS_RSA_PSK_WITH_NULL_SHA
002F TLS_RSA_WITH_AES_128_CBC_SHA
0032 TLS_DHE_DSS_WITH_AES_128_CBC_SHA
0033 TLS_DHE_RSA_WITH_AES_128_CBC_SHA
0034 TLS_DH_anon_WITH_AES_128_CBC_SHA
0035 TLS_RSA_WITH_AES_256_CBC_SHA
0038 TLS_DHE_DSS_WITH_AES_256_CBC_SHA
0039 TLS_DHE_RSA_WITH_AES_256_CBC_SHA
003A TLS_DH_anon_WITH_AES_256_CBC_SHA
003B TLS_RSA_WITH_NULL_SHA256
003C TLS_RSA_WITH_AES_128_CBC_SHA256
003D TLS_RSA_WITH_AES_256_CBC_SHA256
0040 TLS_DHE_DSS_WITH_AES_128_CBC_SHA256
0041 TLS_RSA_WITH_CAMELLIA_128_CBC_SHA
0044 TLS_DHE_DSS_WITH_CAMELLIA_128_CBC_SHA
0045 TLS_DHE_RSA_WITH_CAMELLIA_128_CBC_SHA
0046 TLS_DH_anon_WITH_CAMELLIA_128_CBC_SHA
0062 TLS_RSA_EXPORT1024_WITH_DES_CBC_SHA
0064 TLS_RSA_EXPORT1024_WITH_RC4_56_SHA
0067 TLS_DHE_RSA_WITH_AES_128_CBC_SHA256
006A TLS_DHE_DSS_WITH_AES_256_CBC_SHA256
006B TLS_DHE_RSA_WITH_AES_256_CBC_SHA256
006C TLS_DH_anon_WITH_AES_128_CBC_SHA256
006D TLS_DH_anon_WITH_AES_256_CBC_SHA256
0084 TLS_RSA_WITH_CAMELLIA_256_CBC_SHA
0087 TLS_DHE_DSS_WITH_CAMELLIA_256_CBC_SHA
0088 TLS_DHE_RSA_WITH_CAMELLIA_256_CBC_SHA
0089 TLS_DH_anon_WITH_CAMELLIA_256_CBC_SHA
008A TLS_PSK_WITH_RC4_128_SHA
008B TLS_PSK_WITH_3DES_EDE_CBC_SHA
008C TLS_PSK_WITH_AES_128_CBC_SHA
008D TLS_PSK_WITH_AES_256_CBC_SHA
008E TLS_DHE_PSK_WITH_RC4_128_SHA
008F TLS_DHE_PSK_WITH_3DES_EDE_CBC_SHA
0090 TLS_DHE_PSK_WITH_AES_128_CBC_SHA
0091 TLS_DHE_PSK_WITH_AES_256_CBC_SHA
0092 TLS_RSA_PSK_WITH_RC4_128_SHA
0093 TLS_RSA_PSK_WITH_3DES_EDE_CBC_SHA
0094 TLS_RSA_PSK_WITH_AES_128_CBC_SHA
0095 TLS_RSA_PSK_WITH_AES_256_CBC_SHA
009C TLS_RSA_WITH_AES_128_GCM_SHA256
009D TLS_RSA_WITH_AES_256_GCM_SHA384
009E TLS_DHE_RSA_WITH_AES_128_GCM_SHA256
009F TLS_DHE_RSA_WITH_AES_256_GCM_SHA384
00A2 TLS_DHE_DSS_WITH_AES_128_GCM_SHA256
00A3 TLS_DHE_DSS_WITH_AES_256_GCM_SHA384
00A6 TLS_DH_anon_WITH_AES_128_GCM_SHA256
00A7 TLS_DH_anon_WITH_AES_256_GCM_SHA384
00A8 TLS_PSK_WITH_AES_128_GCM_SHA256
00A9 TLS_PSK_WITH_AES_256_GCM_SHA384
00AA TLS_DHE_PSK_WITH_AES_128_GCM_SHA256
00AB TLS_DHE_PSK_WITH_AES_256_GCM_SHA384
00AC TLS_RSA_PSK_WITH_AES_128_GCM_SHA256
00AD TLS_RSA_PSK_WITH_AES_256_GCM_SHA384
00AE TLS_PSK_WITH_AES_128_CBC_SHA256
00AF TLS_PSK_WITH_AES_256_CBC_SHA384
00B0 TLS_PSK_WITH_NULL_SHA256
00B1 TLS_PSK_WITH_NULL_SHA384
00B2 TLS_DHE_PSK_WITH_AES_128_CBC_SHA256
00B3 TLS_DHE_PSK_WITH_AES_256_CBC_SHA384
00B4 TLS_DHE_PSK_WITH_NULL_SHA256
00B5 TLS_DHE_PSK_WITH_NULL_SHA384
00B6 TLS_RSA_PSK_WITH_AES_128_CBC_SHA256
00B7 TLS_RSA_PSK_WITH_AES_256_CBC_SHA384
00B8 TLS_RSA_PSK_WITH_NULL_SHA256
00B9 TLS_RSA_PSK_WITH_NULL_SHA384
00BA TLS_RSA_WITH_CAMELLIA_128_CBC_SHA256
00BD TLS_DHE_DSS_WITH_CAMELLIA_128_CBC_SHA256
00BE TLS_DHE_RSA_WITH_CAMELLIA_128_CBC_SHA256
00BF TLS_DH_anon_WITH_CAMELLIA_128_CBC_SHA256
00C0 TLS_RSA_WITH_CAMELLIA_256_CBC_SHA256
00C3 TLS_DHE_DSS_WITH_CAMELLIA_256_CBC_SHA256
00C4 TLS_DHE_RSA_WITH_CAMELLIA_256_CBC_SHA256
00C5 TLS_DH_anon_WITH_CAMELLIA_256_CBC_SHA256
00FF TLS_EMPTY_RENEGOTIATION_INFO_SCSV
1301 TLS_AES_128_GCM_SHA256
1302 TLS_AES_256_GCM_SHA384
1303 TLS_CHACHA20_POLY1305_SHA256
5600 TLS_FALLBACK_SCSV
C002 TLS_ECDH_ECDSA_WITH_RC4_128_SHA
C003 TLS_ECDH_ECDSA_WITH_3DES_EDE_CBC_SHA
C006 TLS_ECDHE_ECDSA_WITH_NULL_SHA
C007 TLS_ECDHE_ECDSA_WITH_RC4_128_SHA
C008 TLS_ECDHE_ECDSA_WITH_3DES_EDE_CBC_SHA
C009 TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA
C00A TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA
C00C TLS_ECDH_RSA_WITH_RC4_128_SHA
C00D TLS_ECDH_RSA_WITH_3DES_EDE_CBC_SHA
C010 TLS_ECDHE_RSA_WITH_NULL_SHA
C011 TLS_ECDHE_RSA_WITH_RC4_128_SHA
C012 TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA
C013 TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA
C014 TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA
C015 TLS_ECDH_anon_WITH_NULL_SHA
C016 TLS_ECDH_anon_WITH_RC4_128_SHA
C017 TLS_ECDH_anon_WITH_3DES_EDE_CBC_SHA
C018 TLS_ECDH_anon_WITH_AES_128_CBC_SHA
C019 TLS_ECDH_anon_WITH_AES_256_CBC_SHA
C01D TLS_SRP_SHA_WITH_AES_128_CBC_SHA
C01E TLS_SRP_SHA_RSA_WITH_AES_128_CBC_SHA
C01F TLS_SRP_SHA_DSS_WITH_AES_128_CBC_SHA
C020 TLS_SRP_SHA_WITH_AES_256_CBC_SHA
C021 TLS_SRP_SHA_RSA_WITH_AES_256_CBC_SHA
C022 TLS_SRP_SHA_DSS_WITH_AES_256_CBC_SHA
C023 TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256
C024 TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384
C027 TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256
C028 TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384
C02B TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256
C02C TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384
C02F TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256
C030 TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384
C035 TLS_ECDHE_PSK_WITH_AES_128_CBC_SHA
C036 TLS_ECDHE_PSK_WITH_AES_256_CBC_SHA
C037 TLS_ECDHE_PSK_WITH_AES_128_CBC_SHA256
C038 TLS_ECDHE_PSK_WITH_AES_256_CBC_SHA384
C039 TLS_ECDHE_PSK_WITH_NULL_SHA
C03A TLS_ECDHE_PSK_WITH_NULL_SHA256
C03B TLS_ECDHE_PSK_WITH_NULL_SHA384
C050 TLS_RSA_WITH_ARIA_128_GCM_SHA256
C051 TLS_RSA_WITH_ARIA_256_GCM_SHA384
C052 TLS_DHE_RSA_WITH_ARIA_128_GCM_SHA256
C053 TLS_DHE_RSA_WITH_ARIA_256_GCM_SHA384
C056 TLS_DHE_DSS_WITH_ARIA_128_GCM_SHA256
C057 TLS_DHE_DSS_WITH_ARIA_256_GCM_SHA384
C05C TLS_ECDHE_ECDSA_WITH_ARIA_128_GCM_SHA256
C05D TLS_ECDHE_ECDSA_WITH_ARIA_256_GCM_SHA384
C060 TLS_ECDHE_RSA_WITH_ARIA_128_GCM_SHA256
C061 TLS_ECDHE_RSA_WITH_ARIA_256_GCM_SHA384
C06A TLS_PSK_WITH_ARIA_128_GCM_SHA256
C06B TLS_PSK_WITH_ARIA_256_GCM_SHA384
C06C TLS_DHE_PSK_WITH_ARIA_128_GCM_SHA256
C06D TLS_DHE_PSK_WITH_ARIA_256_GCM_SHA384
C06E TLS_RSA_PSK_WITH_ARIA_128_GCM_SHA256
C06F TLS_RSA_PSK_WITH_ARIA_256_GCM_SHA384
C072 TLS_ECDHE_ECDSA_WITH_CAMELLIA_128_CBC_SHA256
C073 TLS_ECDHE_ECDSA_WITH_CAMELLIA_256_CBC_SHA384
C076 TLS_ECDHE_RSA_WITH_CAMELLIA_128_CBC_SHA256
C077 TLS_ECDHE_RSA_WITH_CAMELLIA_256_CBC_SHA384
C094 TLS_PSK_WITH_CAMELLIA_128_CBC_SHA256
C095 TLS_PSK_WITH_CAMELLIA_256_CBC_SHA384
C096 TLS_DHE_PSK_WITH_CAMELLIA_128_CBC_SHA256
C097 TLS_DHE_PSK_WITH_CAMELLIA_256_CBC_SHA384
C098 TLS_RSA_PSK_WITH_CAMELLIA_128_CBC_SHA256
C099 TLS_RSA_PSK_WITH_CAMELLIA_256_CBC_SHA384
C09A TLS_ECDHE_PSK_WITH_CAMELLIA_128_CBC_SHA256
C09B TLS_ECDHE_PSK_WITH_CAMELLIA_256_CBC_SHA384
C09C TLS_RSA_WITH_AES_128_CCM
C09D TLS_RSA_WITH_AES_256_CCM
C09E TLS_DHE_RSA_WITH_AES_128_CCM
C09F TLS_DHE_RSA_WITH_AES_256_CCM
C0A0 TLS_RSA_WITH_AES_128_CCM_8
C0A1 TLS_RSA_WITH_AES_256_CCM_8
C0A2 TLS_DHE_RSA_WITH_AES_128_CCM_8
C0A3 TLS_DHE_RSA_WITH_AES_256_CCM_8
C0A4 TLS_PSK_WITH_AES_128_CCM
C0A5 TLS_PSK_WITH_AES_256_CCM
C0A6 TLS_DHE_PSK_WITH_AES_128_CCM
C0A7 TLS_DHE_PSK_WITH_AES_256_CCM
C0A8 TLS_PSK_WITH_AES_128_CCM_8
C0A9 TLS_PSK_WITH_AES_256_CCM_8
C0AA TLS_PSK_DHE_WITH_AES_128_CCM_8
C0AB TLS_PSK_DHE_WITH_AES_256_CCM_8
C0AC TLS_ECDHE_ECDSA_WITH_AES_128_CCM
C0AD TLS_ECDHE_ECDSA_WITH_AES_256_CCM
C0AE TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8
C0AF TLS_ECDHE_ECDSA_WITH_AES_256_CCM_8
CCA8 TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256
CCA9 TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256
CCAA TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256
CCAB TLS_PSK_WITH_CHACHA20_POLY1305_SHA256
CCAC TLS_ECDHE_PSK_WITH_CHACHA20_POLY1305_SHA256
CCAD TLS_DHE_PSK_WITH_CHACHA20_POLY1305_SHA256
CCAE TLS_RSA_PSK_WITH_CHACHA20_POLY1305_SHA256
`;

/** IANA cipher suite code → registry name. */
export const CIPHER_SUITES: ReadonlyMap<number, string> = new Map(
  SUITE_TABLE.trim()
    .split('\n')
    .map((line): [number, string] => {
      const [code = '', name = ''] = line.trim().split(/\s+/);
      return [parseInt(code, 16), name];
    }),
);

export const TLS_VERSIONS: ReadonlyMap<number, string> = new Map([
  [0x0300, 'SSLv3'],
  [0x0301, 'TLSv1'],
  [0x0302, 'TLSv1.1'],
  [0x0303, 'TLSv1.2'],
  [0x0304, 'TLSv1.3'],
]);

/** GREASE values (RFC 8701) a client may sprinkle into its lists: 0x?A?A with equal bytes. */
export function isGrease(code: number): boolean {
  return (code & 0x0f0f) === 0x0a0a && code >> 8 === (code & 0xff);
}

/** Signalling values that are not suites (renegotiation info, fallback). */
const SIGNALLING: ReadonlySet<number> = new Set([0x00ff, 0x5600]);

/** The weakness a suite name carries, per NCSC guidance and RFC 7465/8996; undefined: none. */
export function suiteWeakness(name: string): string | undefined {
  if (name.includes('EXPORT')) return 'EXPORT';
  if (name.includes('_anon_')) return 'anon';
  if (/(^|_)NULL(_|$)/.test(name)) return 'NULL';
  if (name.includes('_RC4_')) return 'RC4';
  if (name.includes('_3DES_')) return '3DES';
  if (/_DES(40)?_/.test(name)) return 'DES';
  if (name.endsWith('_MD5')) return 'MD5';
  if (/_RC2_|_IDEA_/.test(name)) return 'legacy cipher';
  return undefined;
}

export function suiteName(code: number): string {
  return CIPHER_SUITES.get(code) ?? `0x${code.toString(16).padStart(4, '0').toUpperCase()}`;
}

export function versionName(code: number): string {
  return TLS_VERSIONS.get(code) ?? `0x${code.toString(16).padStart(4, '0')}`;
}

// ------------------------------------------------------------------------------------------
// ClientHello parsing (RFC 8446 §4.1.2, RFC 5246 §7.4.1.2)

export interface ClientHello {
  /** The record layer version of the first record (0x0301 is usual, even for TLS 1.3). */
  readonly recordVersion: number;
  readonly legacyVersion: number;
  readonly cipherSuites: readonly number[];
  /** supported_versions (43), GREASE removed; undefined when the extension is absent. */
  readonly supportedVersions: readonly number[] | undefined;
  readonly serverName: string | undefined;
  readonly alpn: readonly string[];
  readonly extensions: readonly number[];
}

export type HelloParse =
  | { readonly kind: 'more' }
  | { readonly kind: 'hello'; readonly hello: ClientHello }
  | { readonly kind: 'not-tls'; readonly reason: string };

/** A bounds-checked reader over a buffer; `ok` turns false at the first overrun. */
class Reader {
  #at = 0;
  ok = true;
  constructor(readonly buf: Buffer) {}
  get left(): number {
    return this.buf.length - this.#at;
  }
  u8(): number {
    if (this.left < 1) return this.#fail();
    return this.buf.readUInt8(this.#at++);
  }
  u16(): number {
    if (this.left < 2) return this.#fail();
    const v = this.buf.readUInt16BE(this.#at);
    this.#at += 2;
    return v;
  }
  u24(): number {
    if (this.left < 3) return this.#fail();
    const v = this.buf.readUIntBE(this.#at, 3);
    this.#at += 3;
    return v;
  }
  bytes(n: number): Buffer {
    if (this.left < n) {
      this.#fail();
      return Buffer.alloc(0);
    }
    const out = this.buf.subarray(this.#at, this.#at + n);
    this.#at += n;
    return out;
  }
  #fail(): number {
    this.ok = false;
    this.#at = this.buf.length;
    return 0;
  }
}

const MAX_HELLO_BYTES = 64 * 1024;

/**
 * The ClientHello at the start of `data` (the bytes a client sent first), joined across
 * handshake records; 'more' while it is incomplete, 'not-tls' when the bytes are not one.
 */
export function parseClientHello(data: Buffer): HelloParse {
  const handshake: Buffer[] = [];
  let at = 0;
  let recordVersion = 0;
  let size = 0;
  for (;;) {
    if (data.length - at < 5) return { kind: 'more' };
    const type = data.readUInt8(at);
    const version = data.readUInt16BE(at + 1);
    const length = data.readUInt16BE(at + 3);
    if (type !== 22) return { kind: 'not-tls', reason: `record type ${type}, not handshake (22)` };
    if (version >> 8 !== 3)
      return { kind: 'not-tls', reason: `record version 0x${version.toString(16)}` };
    if (length === 0 || length > 16_384 + 2048) {
      return { kind: 'not-tls', reason: `record length ${length}` };
    }
    if (recordVersion === 0) recordVersion = version;
    if (data.length - at - 5 < length) return { kind: 'more' };
    handshake.push(data.subarray(at + 5, at + 5 + length));
    size += length;
    at += 5 + length;
    if (size > MAX_HELLO_BYTES) return { kind: 'not-tls', reason: 'a ClientHello over 64 KiB' };
    const joined = Buffer.concat(handshake, size);
    if (joined.length < 4) continue;
    if (joined.readUInt8(0) !== 1) {
      return { kind: 'not-tls', reason: `handshake type ${joined.readUInt8(0)}, not ClientHello` };
    }
    const bodyLength = joined.readUIntBE(1, 3);
    if (joined.length - 4 < bodyLength) continue;
    return helloBody(joined.subarray(4, 4 + bodyLength), recordVersion);
  }
}

function helloBody(body: Buffer, recordVersion: number): HelloParse {
  const r = new Reader(body);
  const legacyVersion = r.u16();
  r.bytes(32);
  r.bytes(r.u8());
  const suites = new Reader(r.bytes(r.u16()));
  const cipherSuites: number[] = [];
  while (suites.ok && suites.left >= 2) cipherSuites.push(suites.u16());
  r.bytes(r.u8());
  const extensions: number[] = [];
  let supportedVersions: number[] | undefined;
  let serverName: string | undefined;
  const alpn: string[] = [];
  if (r.left > 0) {
    const ext = new Reader(r.bytes(r.u16()));
    while (ext.ok && ext.left >= 4) {
      const type = ext.u16();
      const data = new Reader(ext.bytes(ext.u16()));
      extensions.push(type);
      if (type === 43) {
        const list = new Reader(data.bytes(data.u8()));
        supportedVersions = [];
        while (list.ok && list.left >= 2) {
          const v = list.u16();
          if (!isGrease(v)) supportedVersions.push(v);
        }
      } else if (type === 0) {
        const list = new Reader(data.bytes(data.u16()));
        while (list.ok && list.left >= 3) {
          const kind = list.u8();
          const name = list.bytes(list.u16());
          if (kind === 0) serverName = name.toString('latin1');
        }
      } else if (type === 16) {
        const list = new Reader(data.bytes(data.u16()));
        while (list.ok && list.left >= 1) alpn.push(list.bytes(list.u8()).toString('latin1'));
      }
    }
    if (!ext.ok) return { kind: 'not-tls', reason: 'the extensions overrun their length' };
  }
  if (!r.ok || !suites.ok)
    return { kind: 'not-tls', reason: 'the ClientHello overruns its length' };
  return {
    kind: 'hello',
    hello: Object.freeze({
      recordVersion,
      legacyVersion,
      cipherSuites: Object.freeze(cipherSuites),
      supportedVersions:
        supportedVersions === undefined ? undefined : Object.freeze(supportedVersions),
      serverName,
      alpn: Object.freeze(alpn),
      extensions: Object.freeze(extensions),
    }),
  };
}

/** What a ClientHello offers that a TLS 1.2+ client with strong suites must not. */
export interface HelloFindings {
  /** Offered suites by IANA name (GREASE and signalling values left out). */
  readonly suites: readonly string[];
  /** The versions the client accepts, lowest first. */
  readonly versions: readonly string[];
  /** `NAME (weakness)` for each weak suite offered. */
  readonly weak: readonly string[];
  /** Codes offered that are in no table here (so cannot be shown strong). */
  readonly unknown: readonly string[];
  /** Versions below TLS 1.2 the client accepts (or why that cannot be told). */
  readonly oldVersions: readonly string[];
}

/**
 * The findings of a ClientHello. The accepted versions come from supported_versions; a client
 * that sends none accepts up to legacy_version, and its lowest version cannot be seen: that is
 * reported as an old-version finding, since TLS 1.2+ clients of Node always send the extension.
 */
export function helloFindings(hello: ClientHello): HelloFindings {
  const offered = hello.cipherSuites.filter((c) => !isGrease(c) && !SIGNALLING.has(c));
  const suites = offered.map(suiteName);
  const weak: string[] = [];
  const unknown: string[] = [];
  for (const code of offered) {
    const name = CIPHER_SUITES.get(code);
    if (name === undefined) {
      unknown.push(suiteName(code));
      continue;
    }
    const why = suiteWeakness(name);
    if (why !== undefined) weak.push(`${name} (${why})`);
  }
  const accepted =
    hello.supportedVersions === undefined
      ? [hello.legacyVersion]
      : [...hello.supportedVersions].sort((a, b) => a - b);
  const oldVersions =
    hello.supportedVersions === undefined
      ? [`no supported_versions: anything up to ${versionName(hello.legacyVersion)}`]
      : accepted.filter((v) => v < 0x0303).map(versionName);
  return Object.freeze({
    suites: Object.freeze(suites),
    versions: Object.freeze(accepted.map(versionName)),
    weak: Object.freeze(weak),
    unknown: Object.freeze(unknown),
    oldVersions: Object.freeze(oldVersions),
  });
}

// ------------------------------------------------------------------------------------------
// Servers

type Teardown = (fn: () => unknown) => void;

/** The part of a tap test these servers need: a teardown. */
export interface HasTeardown {
  teardown: Teardown;
}

async function listen(server: {
  listen(port: number, host: string, cb: () => void): unknown;
  address(): unknown;
}): Promise<number> {
  await new Promise<void>((resolve) => {
    server.listen(0, '127.0.0.1', resolve);
  });
  return (server.address() as AddressInfo).port;
}

/** A waiter list: resolve when a recorded list has an entry matching a predicate. */
class Waiters<T> {
  readonly items: T[] = [];
  #waiters: { match: (x: T) => boolean; resolve: (x: T) => void }[] = [];
  push(item: T): void {
    this.items.push(item);
    for (const w of [...this.#waiters]) {
      if (w.match(item)) {
        this.#waiters.splice(this.#waiters.indexOf(w), 1);
        w.resolve(item);
      }
    }
  }
  wait(match: (x: T) => boolean): Promise<T> {
    const seen = this.items.find(match);
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve) => this.#waiters.push({ match, resolve }));
  }
}

/** What the client sent first on one connection, and what became of it. */
export interface CapturedHello {
  /** 1, 2, ... in order of arrival. */
  readonly connection: number;
  readonly hello: ClientHello | undefined;
  /** Why the first bytes were not a ClientHello (a plain-TCP probe, garbage). */
  readonly notTls: string | undefined;
}

/** The alert a client answered a scripted ServerHello with. */
export interface ClientAlert {
  readonly connection: number;
  /** 1 warning, 2 fatal; undefined when the client closed without an alert. */
  readonly level: number | undefined;
  /** 40 handshake_failure, 47 illegal_parameter, 70 protocol_version, ... */
  readonly description: number | undefined;
  /** Bytes the client sent after the ServerHello that were not one alert record. */
  readonly otherBytes: number;
}

export const ALERT_NAMES: ReadonlyMap<number, string> = new Map([
  [0, 'close_notify'],
  [10, 'unexpected_message'],
  [20, 'bad_record_mac'],
  [40, 'handshake_failure'],
  [42, 'bad_certificate'],
  [43, 'unsupported_certificate'],
  [45, 'certificate_expired'],
  [46, 'certificate_unknown'],
  [47, 'illegal_parameter'],
  [48, 'unknown_ca'],
  [50, 'decode_error'],
  [51, 'decrypt_error'],
  [70, 'protocol_version'],
  [71, 'insufficient_security'],
  [80, 'internal_error'],
  [86, 'inappropriate_fallback'],
  [109, 'missing_extension'],
  [112, 'unrecognized_name'],
  [120, 'no_application_protocol'],
]);

/**
 * What a hello server does once it has a connection's ClientHello: forward the bytes to a
 * loopback target and relay both ways; send a fatal handshake_failure alert and close; or
 * answer with a TLS 1.2 ServerHello choosing `suite` (whatever the client offered) and record
 * the client's answer.
 */
export type HelloAction =
  | { readonly kind: 'forward'; readonly host: string; readonly port: number }
  | { readonly kind: 'fail' }
  | { readonly kind: 'server-hello'; readonly suite: number };

export interface HelloServer {
  readonly port: number;
  readonly hellos: readonly CapturedHello[];
  readonly alerts: readonly ClientAlert[];
  /** Resolves with the first captured hello (past or future) matching `match`. */
  waitForHello(match?: (h: CapturedHello) => boolean): Promise<CapturedHello>;
  waitForAlert(match?: (a: ClientAlert) => boolean): Promise<ClientAlert>;
  /** What the server does from now on. */
  setAction(action: HelloAction): void;
  close(): Promise<void>;
}

function record(type: number, body: Buffer): Buffer {
  const head = Buffer.alloc(5);
  head.writeUInt8(type, 0);
  head.writeUInt16BE(0x0303, 1);
  head.writeUInt16BE(body.length, 3);
  return Buffer.concat([head, body]);
}

/** A TLS 1.2 ServerHello record choosing `suite`, no session id, renegotiation_info only. */
export function serverHelloRecord(suite: number): Buffer {
  const random = randomBytes(32);
  const extensions = Buffer.from([0xff, 0x01, 0x00, 0x01, 0x00]);
  const body = Buffer.concat([
    Buffer.from([0x03, 0x03]),
    random,
    Buffer.from([0x00, suite >> 8, suite & 0xff, 0x00]),
    Buffer.from([extensions.length >> 8, extensions.length & 0xff]),
    extensions,
  ]);
  const head = Buffer.from([2, body.length >> 16, (body.length >> 8) & 0xff, body.length & 0xff]);
  return record(22, Buffer.concat([head, body]));
}

const HANDSHAKE_FAILURE = record(21, Buffer.from([2, 40]));

/** A raw TCP server on 127.0.0.1:0 that reads every connection's ClientHello first. */
export async function startHelloServer(
  t: HasTeardown,
  initial: HelloAction = { kind: 'fail' },
): Promise<HelloServer> {
  let action = initial;
  const hellos = new Waiters<CapturedHello>();
  const alerts = new Waiters<ClientAlert>();
  const sockets = new Set<Socket>();
  let count = 0;
  const server = createNetServer((socket) => {
    const connection = ++count;
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    let buffered = Buffer.alloc(0);
    const onData = (chunk: Buffer): void => {
      buffered = Buffer.concat([buffered, chunk]);
      const parsed = parseClientHello(buffered);
      if (parsed.kind === 'more' && buffered.length <= MAX_HELLO_BYTES) return;
      socket.off('data', onData);
      socket.pause();
      if (parsed.kind !== 'hello') {
        hellos.push({
          connection,
          hello: undefined,
          notTls: parsed.kind === 'not-tls' ? parsed.reason : 'over 64 KiB',
        });
        socket.destroy();
        return;
      }
      hellos.push({ connection, hello: parsed.hello, notTls: undefined });
      act(socket, connection, buffered);
    };
    socket.on('data', onData);
  });
  const act = (socket: Socket, connection: number, first: Buffer): void => {
    const now = action;
    if (now.kind === 'fail') {
      socket.end(HANDSHAKE_FAILURE);
      return;
    }
    if (now.kind === 'forward') {
      const upstream = netConnect({ host: now.host, port: now.port });
      sockets.add(upstream);
      upstream.once('close', () => {
        sockets.delete(upstream);
        socket.destroy();
      });
      upstream.on('error', () => undefined);
      socket.once('close', () => upstream.destroy());
      upstream.write(first);
      socket.pipe(upstream);
      upstream.pipe(socket);
      socket.resume();
      return;
    }
    // A ServerHello the client did not ask for: its answer is recorded (an alert, or a close).
    let answer = Buffer.alloc(0);
    let done = false;
    const finish = (): void => {
      if (done) return;
      done = true;
      const isAlert = answer.length >= 7 && answer.readUInt8(0) === 21;
      alerts.push({
        connection,
        level: isAlert ? answer.readUInt8(5) : undefined,
        description: isAlert ? answer.readUInt8(6) : undefined,
        otherBytes: isAlert ? answer.length - 7 : answer.length,
      });
      socket.destroy();
    };
    socket.on('data', (chunk: Buffer) => {
      answer = Buffer.concat([answer, chunk]);
      if (answer.length >= 7) finish();
    });
    socket.once('end', finish);
    socket.once('close', finish);
    socket.resume();
    socket.write(serverHelloRecord(now.suite));
  };
  const port = await listen(server);
  let closed: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closed ??= new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => {
        resolve();
      });
    });
    return closed;
  };
  t.teardown(close);
  return {
    port,
    hellos: hellos.items,
    alerts: alerts.items,
    waitForHello: (match = () => true) => hellos.wait(match),
    waitForAlert: (match = () => true) => alerts.wait(match),
    setAction: (a) => {
      action = a;
    },
    close,
  };
}

/** The server side of one failed handshake (Node's tlsClientError). */
export interface ServerTlsError {
  readonly code: string | undefined;
  /** OpenSSL's reason, e.g. "unsupported protocol", "no shared cipher". */
  readonly reason: string;
}

function tlsErrorOf(e: Error): ServerTlsError {
  const code = (e as NodeJS.ErrnoException).code;
  const line = e.message.split('\n')[0] ?? '';
  const reason = /SSL routines:[^:]*:([^:]+)/.exec(line)?.[1] ?? line;
  return { code, reason: reason.slice(0, 200) };
}

/** The TLS settings of a hostile server: a certificate and any version and cipher limits. */
export type HostileTlsOptions = Pick<
  SecureContextOptions,
  'key' | 'cert' | 'minVersion' | 'maxVersion' | 'ciphers' | 'dhparam' | 'ecdhCurve'
>;

export interface TlsService {
  readonly port: number;
  /** https://<host>:<port> (host default localhost). */
  url(host?: string): string;
  /** Handshakes completed. */
  readonly handshakes: () => number;
  readonly clientErrors: readonly ServerTlsError[];
  /** Every HTTP request that got through a handshake: "METHOD path". */
  readonly requests: readonly string[];
  waitForClientError(match?: (e: ServerTlsError) => boolean): Promise<ServerTlsError>;
  close(): Promise<void>;
}

/**
 * An HTTPS server that speaks only what `options` allow (e.g. minVersion TLSv1, maxVersion
 * TLSv1, ciphers DEFAULT@SECLEVEL=0), answering 200 to anything that gets through.
 */
export async function startTlsService(
  t: HasTeardown,
  options: HostileTlsOptions,
): Promise<TlsService> {
  const errors = new Waiters<ServerTlsError>();
  const requests: string[] = [];
  let handshakes = 0;
  const server = createHttpsServer({ ...options }, (req, res) => {
    requests.push(`${req.method ?? '?'} ${req.url ?? ''}`);
    req.resume();
    res.end('a hostile TLS service answered\n');
  });
  server.on('secureConnection', () => {
    handshakes++;
  });
  server.on('tlsClientError', (e) => {
    errors.push(tlsErrorOf(e));
  });
  const port = await listen(server);
  let closed: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closed ??= new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => {
        resolve();
      });
    });
    return closed;
  };
  t.teardown(close);
  return {
    port,
    url: (host = 'localhost') => `https://${host}:${port}`,
    handshakes: () => handshakes,
    clientErrors: errors.items,
    requests,
    waitForClientError: (match = () => true) => errors.wait(match),
    close,
  };
}

export interface TlsProxyTarget {
  readonly host: string;
  readonly port: number;
  /** The name to send and check on the upstream connection. */
  readonly servername: string;
  /** The CA (PEM) the upstream's certificate is checked against. */
  readonly ca: string;
}

export interface TlsProxy {
  readonly port: number;
  /** Handshakes completed with the client. */
  readonly handshakes: () => number;
  readonly clientErrors: readonly ServerTlsError[];
  /** Upstream connections opened: one per client connection that sent application data. */
  readonly upstreams: () => number;
  /** Application bytes the client sent through the proxy. */
  readonly bytesFromClient: () => number;
  waitForClientError(match?: (e: ServerTlsError) => boolean): Promise<ServerTlsError>;
  /** Serves new connections with these TLS settings from now on (Node's setSecureContext). */
  setTls(options: HostileTlsOptions): void;
  close(): Promise<void>;
}

/**
 * A TLS-terminating proxy on loopback standing for a cloud endpoint: it presents `options`'
 * certificate (and versions, suites) to the client and, when the client sends application
 * data, opens a verified TLS connection to `target` and relays both ways.
 */
export async function startTlsProxy(
  t: HasTeardown,
  options: HostileTlsOptions & { readonly ALPNProtocols?: string[] },
  target: TlsProxyTarget,
): Promise<TlsProxy> {
  const errors = new Waiters<ServerTlsError>();
  const sockets = new Set<Socket>();
  let handshakes = 0;
  let upstreams = 0;
  let fromClient = 0;
  const server = createTlsServer({ ...options }, (socket: TLSSocket) => {
    handshakes++;
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    socket.once('data', (first: Buffer) => {
      fromClient += first.length;
      socket.pause();
      upstreams++;
      const upstream = tlsConnect({
        host: target.host,
        port: target.port,
        servername: target.servername,
        ca: target.ca,
        ...(socket.alpnProtocol === false || socket.alpnProtocol === null
          ? {}
          : { ALPNProtocols: [socket.alpnProtocol] }),
      });
      sockets.add(upstream);
      upstream.on('error', () => undefined);
      upstream.once('close', () => {
        sockets.delete(upstream);
        socket.destroy();
      });
      socket.once('close', () => upstream.destroy());
      upstream.write(first);
      socket.on('data', (c: Buffer) => {
        fromClient += c.length;
      });
      socket.pipe(upstream);
      upstream.pipe(socket);
      socket.resume();
    });
  });
  server.on('tlsClientError', (e) => {
    errors.push(tlsErrorOf(e));
  });
  const port = await listen(server);
  let closed: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closed ??= new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => {
        resolve();
      });
    });
    return closed;
  };
  t.teardown(close);
  return {
    port,
    handshakes: () => handshakes,
    clientErrors: errors.items,
    upstreams: () => upstreams,
    bytesFromClient: () => fromClient,
    waitForClientError: (match = () => true) => errors.wait(match),
    setTls: (o) => {
      server.setSecureContext({ ...o });
    },
    close,
  };
}

/**
 * What a Node TLS client that allows everything (TLS 1.0 up, SECLEVEL=0) negotiates with a
 * server: the proof that a hostile server really speaks what it is said to.
 */
export function negotiated(
  port: number,
  options: { readonly ca?: string; readonly servername?: string; readonly ciphers?: string },
): Promise<{ protocol: string | null; cipher: string } | { error: string }> {
  return new Promise((resolve) => {
    const socket = tlsConnect({
      host: '127.0.0.1',
      port,
      servername: options.servername ?? 'localhost',
      minVersion: 'TLSv1',
      ciphers: options.ciphers ?? 'ALL:COMPLEMENTOFALL:@SECLEVEL=0',
      ...(options.ca === undefined ? { rejectUnauthorized: false } : { ca: options.ca }),
    });
    socket.once('secureConnect', () => {
      resolve({ protocol: socket.getProtocol(), cipher: socket.getCipher().standardName });
      socket.destroy();
    });
    socket.once('error', (e: NodeJS.ErrnoException) => {
      resolve({ error: e.code ?? e.message });
      socket.destroy();
    });
  });
}
