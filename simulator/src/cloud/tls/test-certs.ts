// Certificates for TLS security cases: one test CA and server certificates that are good,
// expired, not yet valid, for the wrong host, self-signed, or from another CA. In: the host
// names a good certificate must carry, the clock, an optional path for the CA certificate.
// Out: PEM keys and certificates, in memory (only the CA certificate is written, atomically,
// when a path is given). A client that trusts only `caPem` accepts `good` and refuses each
// of the others with its own OpenSSL reason (CERT_HAS_EXPIRED, CERT_NOT_YET_VALID,
// ERR_TLS_CERT_ALTNAME_INVALID, DEPTH_ZERO_SELF_SIGNED_CERT, UNABLE_TO_VERIFY_LEAF_SIGNATURE).
//
// Keys are ECDSA P-256 (node:crypto); node-forge's ASN.1 encoder builds the DER and
// node:crypto signs it, as ca.ts does. (ca.ts keeps its CA key private, so the bad
// certificates cannot be issued under the simulator's own CA; the test CA here can stand in
// for it: `material` has the same shape as createTlsMaterial's answer.)
import {
  createHash,
  generateKeyPairSync,
  randomBytes,
  sign,
  X509Certificate,
  type KeyObject,
} from 'node:crypto';
import { isIP } from 'node:net';
import forge from 'node-forge';
import { systemClock, type Clock } from '../../../../relay/src/protocol/primitives';
import { writeFileAtomic, type TlsMaterial } from './ca';

const asn1 = forge.asn1;
const { UNIVERSAL, CONTEXT_SPECIFIC } = asn1.Class;
const T = asn1.Type;
type Asn1 = forge.asn1.Asn1;

/** Context-specific tag numbers [n], spelled with the universal Type members of the same number. */
const TAG = { 0: T.NONE, 2: T.INTEGER, 3: T.BITSTRING, 7: T.ODESC } as const;

const OID = {
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

const DAY_MS = 86_400_000;

function bin(b: Buffer): string {
  return b.toString('binary');
}
function seq(items: Asn1[]): Asn1 {
  return asn1.create(UNIVERSAL, T.SEQUENCE, true, items);
}
function oid(id: string): Asn1 {
  return asn1.create(UNIVERSAL, T.OID, false, asn1.oidToDer(id).getBytes());
}
function octets(b: Buffer): Asn1 {
  return asn1.create(UNIVERSAL, T.OCTETSTRING, false, bin(b));
}
function der(obj: Asn1): Buffer {
  return Buffer.from(asn1.toDer(obj).getBytes(), 'binary');
}
function time(d: Date): Asn1 {
  return d.getUTCFullYear() < 2050
    ? asn1.create(UNIVERSAL, T.UTCTIME, false, asn1.dateToUtcTime(d))
    : asn1.create(UNIVERSAL, T.GENERALIZEDTIME, false, asn1.dateToGeneralizedTime(d));
}
function name(cn: string): Asn1 {
  const rdn = (id: string, v: string): Asn1 =>
    asn1.create(UNIVERSAL, T.SET, true, [
      seq([oid(id), asn1.create(UNIVERSAL, T.UTF8, false, forge.util.encodeUtf8(v))]),
    ]);
  return seq([rdn(OID.organization, 'relaycheck tests'), rdn(OID.commonName, cn)]);
}
function extension(id: string, critical: boolean, value: Asn1): Asn1 {
  const parts = [oid(id)];
  if (critical) parts.push(asn1.create(UNIVERSAL, T.BOOLEAN, false, '\u00ff'));
  parts.push(octets(der(value)));
  return seq(parts);
}
function keyId(spki: Buffer): Buffer {
  return createHash('sha256').update(spki).digest().subarray(0, 20);
}
function ipBytes(ip: string): Buffer {
  if (isIP(ip) === 4) return Buffer.from(ip.split('.').map(Number));
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
function altNames(hosts: readonly string[]): Asn1 {
  return seq(
    hosts.map((h) =>
      isIP(h) === 0
        ? asn1.create(CONTEXT_SPECIFIC, TAG[2], false, h)
        : asn1.create(CONTEXT_SPECIFIC, TAG[7], false, bin(ipBytes(h))),
    ),
  );
}

interface Issuer {
  readonly name: string;
  readonly key: KeyObject;
  readonly keyId: Buffer;
}

interface CertSpec {
  readonly subject: string;
  readonly publicKey: KeyObject;
  readonly issuer: Issuer;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly ca: boolean;
  readonly hosts: readonly string[];
}

function certificate(spec: CertSpec): { pem: string; keyId: Buffer } {
  const spki = spec.publicKey.export({ type: 'spki', format: 'der' });
  const ski = keyId(spki);
  const serial = randomBytes(16);
  serial[0] = ((serial[0] ?? 0) & 0x7f) | 0x10;
  const sigAlg = seq([oid(OID.ecdsaWithSha256)]);
  const exts = spec.ca
    ? [
        extension(
          OID.basicConstraints,
          true,
          seq([asn1.create(UNIVERSAL, T.BOOLEAN, false, '\u00ff')]),
        ),
        extension(OID.keyUsage, true, asn1.create(UNIVERSAL, T.BITSTRING, false, '\u0001\u0006')),
      ]
    : [
        extension(OID.basicConstraints, true, seq([])),
        extension(OID.keyUsage, true, asn1.create(UNIVERSAL, T.BITSTRING, false, '\u0007\u0080')),
        extension(OID.extKeyUsage, false, seq([oid(OID.serverAuth)])),
        extension(OID.subjectAltName, false, altNames(spec.hosts)),
      ];
  const tbs = seq([
    asn1.create(CONTEXT_SPECIFIC, TAG[0], true, [
      asn1.create(UNIVERSAL, T.INTEGER, false, asn1.integerToDer(2).getBytes()),
    ]),
    asn1.create(UNIVERSAL, T.INTEGER, false, bin(serial)),
    sigAlg,
    name(spec.issuer.name),
    seq([time(spec.notBefore), time(spec.notAfter)]),
    name(spec.subject),
    asn1.fromDer(bin(spki)),
    asn1.create(CONTEXT_SPECIFIC, TAG[3], true, [
      seq([
        ...exts,
        extension(OID.subjectKeyIdentifier, false, octets(ski)),
        extension(
          OID.authorityKeyIdentifier,
          false,
          seq([asn1.create(CONTEXT_SPECIFIC, TAG[0], false, bin(spec.issuer.keyId))]),
        ),
      ]),
    ]),
  ]);
  const tbsDer = der(tbs);
  const signature = sign('sha256', tbsDer, spec.issuer.key);
  const cert = der(
    seq([
      asn1.fromDer(bin(tbsDer)),
      sigAlg,
      asn1.create(UNIVERSAL, T.BITSTRING, false, '\u0000' + bin(signature)),
    ]),
  );
  const body =
    cert
      .toString('base64')
      .match(/.{1,64}/g)
      ?.join('\n') ?? '';
  return { pem: `-----BEGIN CERTIFICATE-----\n${body}\n-----END CERTIFICATE-----\n`, keyId: ski };
}

/** A key and certificate (PEM) for a TLS server. */
export interface ServerCertificate {
  readonly key: string;
  readonly cert: string;
}

export interface TestCertificates {
  /** The test CA certificate (PEM): the only thing a client should trust. */
  readonly caPem: string;
  readonly caPath: string | undefined;
  /** Issued by the CA for `hosts`, valid now. */
  readonly good: ServerCertificate;
  /** Issued by the CA for `hosts`; its validity ended a day ago. */
  readonly expired: ServerCertificate;
  /** Issued by the CA for `hosts`; valid only from tomorrow. */
  readonly notYetValid: ServerCertificate;
  /** Issued by the CA, valid now, for `wrong-host.invalid` only. */
  readonly wrongHost: ServerCertificate;
  /** Self-signed for `hosts`, valid now. */
  readonly selfSigned: ServerCertificate;
  /** Issued for `hosts` by another CA the client does not trust. */
  readonly otherCa: ServerCertificate;
  /** The CA and `good` in createTlsMaterial's shape, to serve as the simulator's CA. */
  readonly material: TlsMaterial;
  /** Issues another certificate from the test CA. */
  issue(options: {
    readonly hosts: readonly string[];
    readonly notBefore?: Date;
    readonly notAfter?: Date;
  }): ServerCertificate;
}

export interface TestCertificateOptions {
  /** Names and IP addresses the good certificates carry (e.g. localhost, 127.0.0.1). */
  readonly hosts: readonly string[];
  readonly caPath?: string;
  readonly clock?: Clock;
  readonly caName?: string;
}

export const WRONG_HOST = 'wrong-host.invalid';

/** Makes the test CA and every certificate (a few milliseconds). */
export function createTestCertificates(options: TestCertificateOptions): TestCertificates {
  const hosts = [...new Set(options.hosts)];
  if (hosts.length === 0) throw new Error('createTestCertificates: at least one host is needed');
  const now = (options.clock ?? systemClock).now();
  const from = new Date(now - 3_600_000);
  const until = new Date(now + 2 * DAY_MS);
  const caKeys = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const caName = options.caName ?? 'relaycheck test CA';
  const caSelf: Issuer = {
    name: caName,
    key: caKeys.privateKey,
    keyId: keyId(caKeys.publicKey.export({ type: 'spki', format: 'der' })),
  };
  const ca = certificate({
    subject: caName,
    publicKey: caKeys.publicKey,
    issuer: caSelf,
    notBefore: new Date(now - 30 * DAY_MS),
    notAfter: new Date(now + 30 * DAY_MS),
    ca: true,
    hosts: [],
  });
  const issuer: Issuer = { ...caSelf, keyId: ca.keyId };

  const leaf = (
    leafHosts: readonly string[],
    notBefore: Date,
    notAfter: Date,
    by: Issuer = issuer,
  ): ServerCertificate => {
    const keys = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const cert = certificate({
      subject: leafHosts[0] ?? 'localhost',
      publicKey: keys.publicKey,
      issuer: by,
      notBefore,
      notAfter,
      ca: false,
      hosts: leafHosts,
    });
    return Object.freeze({
      key: keys.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      cert: cert.pem,
    });
  };

  const selfKeys = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const selfIssuer: Issuer = {
    name: hosts[0] ?? 'localhost',
    key: selfKeys.privateKey,
    keyId: keyId(selfKeys.publicKey.export({ type: 'spki', format: 'der' })),
  };
  const selfSigned = Object.freeze({
    key: selfKeys.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    cert: certificate({
      subject: hosts[0] ?? 'localhost',
      publicKey: selfKeys.publicKey,
      issuer: selfIssuer,
      notBefore: from,
      notAfter: until,
      ca: false,
      hosts,
    }).pem,
  });

  const otherKeys = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const other: Issuer = {
    name: 'some other CA',
    key: otherKeys.privateKey,
    keyId: keyId(otherKeys.publicKey.export({ type: 'spki', format: 'der' })),
  };

  const good = leaf(hosts, from, until);
  if (options.caPath !== undefined) writeFileAtomic(options.caPath, ca.pem);
  return Object.freeze({
    caPem: ca.pem,
    caPath: options.caPath,
    good,
    expired: leaf(hosts, new Date(now - 10 * DAY_MS), new Date(now - DAY_MS)),
    notYetValid: leaf(hosts, new Date(now + DAY_MS), new Date(now + 10 * DAY_MS)),
    wrongHost: leaf([WRONG_HOST], from, until),
    selfSigned,
    otherCa: leaf(hosts, from, until, other),
    material: Object.freeze({
      caPem: ca.pem,
      caPath: options.caPath,
      cert: good.cert,
      key: good.key,
      caFingerprint256: new X509Certificate(ca.pem).fingerprint256,
      hosts: Object.freeze(hosts),
    }),
    issue: (o: { hosts: readonly string[]; notBefore?: Date; notAfter?: Date }) =>
      leaf(o.hosts, o.notBefore ?? from, o.notAfter ?? until),
  });
}
