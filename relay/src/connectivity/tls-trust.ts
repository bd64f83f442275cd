// TLS client settings for every outbound connection. In: the configured minimum version
// (TLSv1.2 or TLSv1.3, never lower) and an optional CA file (the simulator's CA). Out: the
// extra CA certificates, checked, and tls.connect options: Node's root store plus the CA,
// servername = the logical host, the certificate checked against the logical host whatever
// address is dialled, rejectUnauthorized always true. Error: RELAY_E_EGRESS_CA.
//
// With a CA configured the trust store is one tls.SecureContext per trust set, made once
// (trustContext): `ca: [...rootCertificates, ...extraCa]` on each connection made Node parse
// ~140 root certificates for every handshake (about 20-45 ms of CPU each; docs/tls.md).
import { X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import {
  checkServerIdentity,
  createSecureContext,
  rootCertificates,
  type ConnectionOptions,
  type PeerCertificate,
  type SecureContext,
} from 'node:tls';
import type { TlsMinVersion } from './config';
import { EgressError } from './errors';

const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** The PEM certificates in `text`, each checked to parse; RELAY_E_EGRESS_CA when none. */
export function parseCaBundle(text: string, label: string): readonly string[] {
  const blocks = text.match(PEM_CERT) ?? [];
  if (blocks.length === 0) {
    throw new EgressError('RELAY_E_EGRESS_CA', `CA file ${label}: no PEM certificate in it`, {
      file: label,
    });
  }
  blocks.forEach((pem, i) => {
    try {
      new X509Certificate(pem);
    } catch {
      throw new EgressError(
        'RELAY_E_EGRESS_CA',
        `CA file ${label}: certificate ${i + 1} does not parse`,
        { file: label },
      );
    }
  });
  return Object.freeze(blocks);
}

/** Reads and checks the CA file. */
export async function loadCaFile(file: string): Promise<readonly string[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException | undefined)?.code ?? 'EIO';
    throw new EgressError('RELAY_E_EGRESS_CA', `CA file ${file}: cannot read it (${code})`, {
      file,
      errno: code,
    });
  }
  return parseCaBundle(text, file);
}

/** What a TLS client needs besides the dial target. */
export interface TlsTrust {
  readonly minVersion: TlsMinVersion;
  /** Extra CA certificates (PEM), added to Node's root store; empty: the default store. */
  readonly extraCa: readonly string[];
}

/** The trust store of a trust set with extra CAs: Node's roots plus the CAs, and minVersion. */
export interface TrustContext {
  /** Made once per trust set; tls.connect takes its store and minVersion from here. */
  readonly secureContext: SecureContext;
  /** The certificates the context trusts (Node's roots, then the extra CAs), for readers. */
  readonly ca: readonly string[];
}

const contexts = new WeakMap<TlsTrust, TrustContext>();

/**
 * The secure context of `trust` (made on first use, then shared by every connection with the
 * same trust object), or undefined when no extra CA is configured: then each connection uses
 * Node's default store as it always did, which costs no parsing.
 */
export function trustContext(trust: TlsTrust): TrustContext | undefined {
  if (trust.extraCa.length === 0) return undefined;
  let found = contexts.get(trust);
  if (found === undefined) {
    const ca = Object.freeze([...rootCertificates, ...trust.extraCa]);
    found = Object.freeze({
      secureContext: createSecureContext({ ca: [...ca], minVersion: trust.minVersion }),
      ca,
    });
    contexts.set(trust, found);
  }
  return found;
}

/**
 * The certificate checks every outbound TLS connection makes, for a logical host. With extra
 * CAs, `secureContext` carries the store and minVersion (tls.connect then ignores `ca` and
 * `minVersion`, which are given as well so that the options say what the context holds).
 */
export function tlsClientOptions(trust: TlsTrust, logicalHost: string): ConnectionOptions {
  const host = logicalHost.replace(/^\[(.*)\]$/, '$1');
  const context = trustContext(trust);
  return {
    minVersion: trust.minVersion,
    rejectUnauthorized: true,
    ...(context === undefined
      ? {}
      : { secureContext: context.secureContext, ca: context.ca as string[] }),
    ...(isIP(host) === 0 ? { servername: host } : {}),
    // Verify the logical name even when a map sends the socket to a loopback port.
    checkServerIdentity: (_dialled: string, cert: PeerCertificate) =>
      checkServerIdentity(host, cert),
  };
}
