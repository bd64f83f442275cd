// The simulator's own certificate authority, made fresh at start-up. In: the host names and
// IP addresses a server certificate must name, an optional path for the CA certificate, the
// clock. Out: a CA certificate (PEM, also written atomically to the path so a relay can trust
// it) and a server key and certificate chained to it, for TLS listeners; `issue` makes more
// server certificates under the same CA, and the exported builders make other CAs and
// self-signed certificates (test-certs.ts). Private keys stay in memory: never on disk.
//
// Keys are ECDSA P-256 made by node:crypto (about 1 ms; RSA 2048 keygen takes 130-200 ms, too
// slow for the 300 ms start-up budget), and node-forge's ASN.1 encoder builds the X.509 DER,
// which node:crypto signs. (forge's own certificate API only handles RSA keys.)
import {
  createHash,
  createPrivateKey,
  generateKeyPairSync,
  randomBytes,
  sign,
  X509Certificate,
  type KeyObject,
} from 'node:crypto';
import { renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import forge from 'node-forge';
import { systemClock, type Clock } from '../../../../relay/src/protocol/primitives';

const asn1 = forge.asn1;
const { UNIVERSAL, CONTEXT_SPECIFIC } = asn1.Class;
const T = asn1.Type;

/**
 * Context-specific tag numbers [n]. forge types every tag number as its universal Type enum,
 * so the members with the same numbers stand in for them.
 */
const TAG = { 0: T.NONE, 2: T.INTEGER, 3: T.BITSTRING, 7: T.ODESC } as const;
function tag(n: keyof typeof TAG): forge.asn1.Type {
  return TAG[n];
}

/** OIDs used in the certificates. */
const OID = {
  ecPublicKey: '1.2.840.10045.2.1',
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  commonName: '2.5.4.3',
  organization: '2.5.4.10',
  subjectKeyIdentifier: '2.5.29.14',
  keyUsage: '2.5.29.15',
  subjectAltName: '2.5.29.17',
  basicConstraints: '2.5.29.19',
  authorityKeyIdentifier: '2.5.29.35',
  extKeyUsage: '2.5.29.37',
  serverAuth: '1.3.6.1.5.5.7.3.1',
} as const;

const DAY_MS = 24 * 60 * 60 * 1000;
/** Back-dating of notBefore, so a peer whose clock is a little behind still accepts. */
const BACKDATE_MS = 60 * 60 * 1000;

export interface CertificateAuthorityOptions {
  /** DNS names and IP addresses the server certificate must be valid for. */
  readonly hosts: readonly string[];
  /** Where to write the CA certificate (PEM). Written atomically: temp file + rename. */
  readonly caPath?: string;
  /** Validity of both certificates, in days (default 2). */
  readonly validityDays?: number;
  /** Common name of the CA (default "relaycheck simulator CA"). */
  readonly caName?: string;
  /**
   * An existing CA to issue the server certificate under (e.g. one kept for a whole run, so a
   * relay started once trusts every world of the run); default: a fresh CA.
   */
  readonly ca?: CertificateAuthority;
  readonly clock?: Clock;
}

/** TLS material for a listener: pass `key` and `cert` to tls.createServer. */
export interface TlsMaterial {
  /** The CA certificate, PEM. Clients trust this. */
  readonly caPem: string;
  /** The path the CA certificate was written to, when one was given. */
  readonly caPath: string | undefined;
  /** The server certificate, PEM (leaf only; the CA is what clients trust). */
  readonly cert: string;
  /** The server private key, PKCS#8 PEM, in memory only. */
  readonly key: string;
  /** SHA-256 fingerprint of the CA certificate, upper-case hex with colons (as X509Certificate). */
  readonly caFingerprint256: string;
  /** The names the server certificate carries. */
  readonly hosts: readonly string[];
  /**
   * Issues another server certificate (fresh key) from the same CA, in memory. Validity
   * defaults to the CA's; give dates for an expired or not-yet-valid one.
   */
  readonly issue: (options: IssueOptions) => ServerCertificate;
}

/** A key (PKCS#8 PEM, in memory only) and certificate (PEM) for a TLS server. */
export interface ServerCertificate {
  readonly key: string;
  readonly cert: string;
}

export interface IssueOptions {
  /** DNS names and IP addresses the certificate names; the first is its subject. */
  readonly hosts: readonly string[];
  readonly notBefore?: Date;
  readonly notAfter?: Date;
}

/** What signing under a CA needs: its name, private key and key identifier. */
export interface CertificateIssuer {
  readonly name: string;
  readonly key: KeyObject;
  readonly keyId: Buffer;
}

/** A CA: its certificate (PEM) and the identity that issues certificates under it. */
export interface CertificateAuthority {
  readonly pem: string;
  readonly issuer: CertificateIssuer;
}

// ---------------------------------------------------------------------------------------
// DER helpers over forge's binary strings

type Asn1 = forge.asn1.Asn1;

function bin(bytes: Buffer): string {
  return bytes.toString('binary');
}

function seq(items: Asn1[]): Asn1 {
  return asn1.create(UNIVERSAL, T.SEQUENCE, true, items);
}

function set(items: Asn1[]): Asn1 {
  return asn1.create(UNIVERSAL, T.SET, true, items);
}

function oid(id: string): Asn1 {
  return asn1.create(UNIVERSAL, T.OID, false, asn1.oidToDer(id).getBytes());
}

function octets(bytes: Buffer): Asn1 {
  return asn1.create(UNIVERSAL, T.OCTETSTRING, false, bin(bytes));
}

function bits(bytes: Buffer): Asn1 {
  return asn1.create(UNIVERSAL, T.BITSTRING, false, '\u0000' + bin(bytes));
}

function bool(value: boolean): Asn1 {
  return asn1.create(UNIVERSAL, T.BOOLEAN, false, value ? '\u00ff' : '\u0000');
}

function utf8(text: string): Asn1 {
  return asn1.create(UNIVERSAL, T.UTF8, false, forge.util.encodeUtf8(text));
}

function der(obj: Asn1): Buffer {
  return Buffer.from(asn1.toDer(obj).getBytes(), 'binary');
}

/** A positive INTEGER from random bytes (top bit cleared so it stays positive). */
function serial(): Asn1 {
  const bytes = randomBytes(16);
  bytes[0] = ((bytes[0] ?? 0) & 0x7f) | 0x10;
  return asn1.create(UNIVERSAL, T.INTEGER, false, bin(bytes));
}

function time(date: Date): Asn1 {
  // RFC 5280: UTCTime up to 2049, GeneralizedTime from 2050.
  return date.getUTCFullYear() < 2050
    ? asn1.create(UNIVERSAL, T.UTCTIME, false, asn1.dateToUtcTime(date))
    : asn1.create(UNIVERSAL, T.GENERALIZEDTIME, false, asn1.dateToGeneralizedTime(date));
}

function name(commonName: string): Asn1 {
  return seq([
    set([seq([oid(OID.organization), utf8('relaycheck')])]),
    set([seq([oid(OID.commonName), utf8(commonName)])]),
  ]);
}

function extension(id: string, critical: boolean, value: Asn1): Asn1 {
  const parts = [oid(id)];
  if (critical) parts.push(bool(true));
  parts.push(octets(der(value)));
  return seq(parts);
}

/** keyUsage bits: digitalSignature = bit 0, keyCertSign = bit 5, cRLSign = bit 6. */
function keyUsage(usage: 'server' | 'ca'): Asn1 {
  // A BIT STRING of one byte; the first content byte is the number of unused bits.
  const value = usage === 'server' ? '\u0007\u0080' : '\u0001\u0006';
  return asn1.create(UNIVERSAL, T.BITSTRING, false, value);
}

function subjectAltNames(hosts: readonly string[]): Asn1 {
  return seq(
    hosts.map((h) => {
      const family = isIP(h);
      if (family === 0) return asn1.create(CONTEXT_SPECIFIC, tag(2), false, h); // dNSName
      return asn1.create(CONTEXT_SPECIFIC, tag(7), false, bin(ipBytes(h, family))); // iPAddress
    }),
  );
}

function ipBytes(ip: string, family: number): Buffer {
  if (family === 4) return Buffer.from(ip.split('.').map(Number));
  // Expand :: and write eight 16-bit groups.
  const [head = '', tail = ''] = ip.split('::');
  const h = head === '' ? [] : head.split(':');
  const t = ip.includes('::') ? (tail === '' ? [] : tail.split(':')) : [];
  const groups = ip.includes('::')
    ? [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t]
    : h;
  const out = Buffer.alloc(16);
  groups.forEach((g, i) => out.writeUInt16BE(parseInt(g, 16), i * 2));
  return out;
}

function keyId(spkiDer: Buffer): Buffer {
  // RFC 5280 method 1 is SHA-1 of the key bits; SHA-256 truncated to 20 bytes is as good.
  return createHash('sha256').update(spkiDer).digest().subarray(0, 20);
}

interface CertInput {
  readonly subject: string;
  readonly issuer: string;
  readonly publicKey: KeyObject;
  readonly signer: KeyObject;
  readonly issuerKeyId: Buffer;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly extensions: Asn1[];
}

function certificate(input: CertInput): { pem: string; keyId: Buffer } {
  const spki = input.publicKey.export({ type: 'spki', format: 'der' });
  const ski = keyId(spki);
  const sigAlg = seq([oid(OID.ecdsaWithSha256)]);
  const tbs = seq([
    asn1.create(CONTEXT_SPECIFIC, tag(0), true, [
      asn1.create(UNIVERSAL, T.INTEGER, false, asn1.integerToDer(2).getBytes()),
    ]),
    serial(),
    sigAlg,
    name(input.issuer),
    seq([time(input.notBefore), time(input.notAfter)]),
    name(input.subject),
    asn1.fromDer(bin(spki)),
    asn1.create(CONTEXT_SPECIFIC, tag(3), true, [
      seq([
        ...input.extensions,
        extension(OID.subjectKeyIdentifier, false, octets(ski)),
        extension(
          OID.authorityKeyIdentifier,
          false,
          seq([asn1.create(CONTEXT_SPECIFIC, tag(0), false, bin(input.issuerKeyId))]),
        ),
      ]),
    ]),
  ]);
  const tbsDer = der(tbs);
  const signature = sign('sha256', tbsDer, input.signer);
  const cert = der(seq([asn1.fromDer(bin(tbsDer)), sigAlg, bits(signature)]));
  const pem = `-----BEGIN CERTIFICATE-----\n${
    cert
      .toString('base64')
      .match(/.{1,64}/g)
      ?.join('\n') ?? ''
  }\n-----END CERTIFICATE-----\n`;
  return { pem, keyId: ski };
}

/**
 * Writes `text` to `path` atomically: a temporary file beside it, then a rename. `mode` 0o600
 * for a file that holds keys.
 */
export function writeFileAtomic(path: string, text: string, mode = 0o644): void {
  const temp = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    writeFileSync(temp, text, { mode });
    renameSync(temp, path);
  } catch (e) {
    try {
      unlinkSync(temp);
    } catch {
      // the temporary file was never created
    }
    throw e;
  }
}

/** Makes a CA certificate with a fresh P-256 key, valid from `notBefore` to `notAfter`. */
export function createCertificateAuthority(options: {
  readonly name: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
}): CertificateAuthority {
  const keys = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const ca = certificate({
    subject: options.name,
    issuer: options.name,
    publicKey: keys.publicKey,
    signer: keys.privateKey,
    issuerKeyId: keyId(keys.publicKey.export({ type: 'spki', format: 'der' })),
    notBefore: options.notBefore,
    notAfter: options.notAfter,
    extensions: [
      extension(OID.basicConstraints, true, seq([bool(true)])),
      extension(OID.keyUsage, true, keyUsage('ca')),
    ],
  });
  return Object.freeze({
    pem: ca.pem,
    issuer: Object.freeze({ name: options.name, key: keys.privateKey, keyId: ca.keyId }),
  });
}

/**
 * Issues a server certificate for `hosts` with a fresh P-256 key: signed by `issuer`, or,
 * without one, by its own key (self-signed; issuer and subject are the first host).
 */
export function issueServerCertificate(
  options: IssueOptions & {
    readonly notBefore: Date;
    readonly notAfter: Date;
    readonly issuer?: CertificateIssuer | undefined;
  },
): ServerCertificate {
  const subject = options.hosts[0] ?? 'localhost';
  const keys = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const issuer = options.issuer ?? {
    name: subject,
    key: keys.privateKey,
    keyId: keyId(keys.publicKey.export({ type: 'spki', format: 'der' })),
  };
  const leaf = certificate({
    subject,
    issuer: issuer.name,
    publicKey: keys.publicKey,
    signer: issuer.key,
    issuerKeyId: issuer.keyId,
    notBefore: options.notBefore,
    notAfter: options.notAfter,
    extensions: [
      extension(OID.basicConstraints, true, seq([])),
      extension(OID.keyUsage, true, keyUsage('server')),
      extension(OID.extKeyUsage, false, seq([oid(OID.serverAuth)])),
      extension(OID.subjectAltName, false, subjectAltNames(options.hosts)),
    ],
  });
  return Object.freeze({
    key: keys.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    cert: leaf.pem,
  });
}

/**
 * TLS material from a CA and a server certificate it issued: the CA's fingerprint, the CA PEM
 * written to `caPath` when given, and `issue` for more certificates under the same CA.
 */
export function tlsMaterialFrom(
  ca: CertificateAuthority,
  server: ServerCertificate,
  options: {
    readonly hosts: readonly string[];
    readonly caPath?: string | undefined;
    readonly notBefore: Date;
    readonly notAfter: Date;
  },
): TlsMaterial {
  if (options.caPath !== undefined) writeFileAtomic(options.caPath, ca.pem);
  const { notBefore, notAfter } = options;
  return Object.freeze({
    caPem: ca.pem,
    caPath: options.caPath,
    cert: server.cert,
    key: server.key,
    caFingerprint256: new X509Certificate(ca.pem).fingerprint256,
    hosts: Object.freeze([...options.hosts]),
    issue: (o: IssueOptions) =>
      issueServerCertificate({
        hosts: o.hosts,
        notBefore: o.notBefore ?? notBefore,
        notAfter: o.notAfter ?? notAfter,
        issuer: ca.issuer,
      }),
  });
}

/**
 * Makes a CA and a server certificate for `hosts`, and writes the CA PEM to `caPath` when
 * given. Synchronous and fast (a few milliseconds).
 */
export function createTlsMaterial(options: CertificateAuthorityOptions): TlsMaterial {
  const hosts = [...new Set(options.hosts)];
  if (hosts.length === 0) throw new Error('createTlsMaterial: at least one host is needed');
  const now = (options.clock ?? systemClock).now();
  const days = options.validityDays ?? 2;
  const notBefore = new Date(now - BACKDATE_MS);
  const notAfter = new Date(now + days * DAY_MS);
  const ca =
    options.ca ??
    createCertificateAuthority({
      name: options.caName ?? 'relaycheck simulator CA',
      notBefore,
      notAfter,
    });
  const server = issueServerCertificate({ hosts, notBefore, notAfter, issuer: ca.issuer });
  return tlsMaterialFrom(ca, server, { hosts, caPath: options.caPath, notBefore, notAfter });
}

/** A CA as two PEM texts: its certificate and its PKCS#8 private key (keep that one 0600). */
export interface CertificateAuthorityPem {
  readonly certPem: string;
  readonly keyPem: string;
}

/** The PEM form of a CA, to keep it for a later process. */
export function exportCertificateAuthority(ca: CertificateAuthority): CertificateAuthorityPem {
  return Object.freeze({
    certPem: ca.pem,
    keyPem: ca.issuer.key.export({ type: 'pkcs8', format: 'pem' }).toString(),
  });
}

/**
 * A CA back from its PEM form. Throws when the key is not the certificate's or the
 * certificate is not a CA.
 */
export function importCertificateAuthority(pem: CertificateAuthorityPem): CertificateAuthority {
  const cert = new X509Certificate(pem.certPem);
  const key = createPrivateKey(pem.keyPem);
  if (!cert.ca) throw new Error('importCertificateAuthority: the certificate is not a CA');
  if (!cert.checkPrivateKey(key)) {
    throw new Error("importCertificateAuthority: the key is not the certificate's");
  }
  const name = /CN=([^\n,]+)/.exec(cert.subject)?.[1] ?? 'relaycheck simulator CA';
  const spki = cert.publicKey.export({ type: 'spki', format: 'der' });
  return Object.freeze({
    pem: pem.certPem,
    issuer: Object.freeze({ name, key, keyId: keyId(spki) }),
  });
}
