// The certificate chain in a council engineer's terms. Pure. In: the peer's certificates (DER,
// leaf first) and the injected clock. Out: for each, the subject, the issuer, the validity
// dates (ISO 8601), whole days to expiry (negative once expired), whether it is self-signed,
// its SHA-256 fingerprint and, for the leaf, the names it is valid for.
import { X509Certificate } from 'node:crypto';

export interface CertInfo {
  readonly subject: string;
  readonly issuer: string;
  readonly validFrom: string;
  readonly validTo: string;
  readonly daysToExpiry: number;
  readonly selfSigned: boolean;
  /** The subjectAltName text ("DNS:…, IP Address:…"); undefined when there is none. */
  readonly subjectAltName: string | undefined;
  readonly fingerprint256: string;
}

const DAY_MS = 86_400_000;

/** "CN=x\nO=y" → "CN=x, O=y". */
function oneLine(name: string): string {
  return name
    .split('\n')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .join(', ');
}

function iso(text: string): string {
  const ms = Date.parse(text);
  return Number.isFinite(ms) ? new Date(ms).toISOString() : text;
}

/** Describes one certificate; undefined when it does not parse. */
export function describeCertificate(der: Buffer, nowMs: number): CertInfo | undefined {
  let c: X509Certificate;
  try {
    c = new X509Certificate(der);
  } catch {
    return undefined;
  }
  const validTo = Date.parse(c.validTo);
  return Object.freeze({
    subject: oneLine(c.subject),
    issuer: oneLine(c.issuer),
    validFrom: iso(c.validFrom),
    validTo: iso(c.validTo),
    daysToExpiry: Number.isFinite(validTo) ? Math.floor((validTo - nowMs) / DAY_MS) : Number.NaN,
    selfSigned: c.subject === c.issuer,
    subjectAltName: c.subjectAltName ?? undefined,
    fingerprint256: c.fingerprint256,
  });
}

/** Describes a chain, leaf first; certificates that do not parse are left out. */
export function describeChain(chain: readonly Buffer[], nowMs: number): readonly CertInfo[] {
  return Object.freeze(
    chain
      .map((der) => describeCertificate(der, nowMs))
      .filter((c): c is CertInfo => c !== undefined),
  );
}

/** The common name of a subject or issuer line ("CN=localhost, O=x" → "localhost"). */
export function commonName(name: string): string {
  return /(?:^|, )CN=([^,]+)/.exec(name)?.[1] ?? name;
}
