// TLS client settings for every outbound connection. In: the configured minimum version
// (TLSv1.2 or TLSv1.3, never lower) and an optional CA file (the simulator's CA). Out: the
// extra CA certificates, checked, and tls.connect options: Node's root store plus the CA,
// servername = the logical host, the certificate checked against the logical host whatever
// address is dialled, rejectUnauthorized always true. Error: RELAY_E_EGRESS_CA.
//
// Each trust set has one tls.SecureContext, made once (trustContext): the store (with a CA
// configured, `ca: [...rootCertificates, ...extraCa]` on each connection made Node parse ~140
// root certificates for every handshake, about 20-45 ms of CPU each), minVersion and the
// cipher list, fixed here rather than taken from Node's process-wide defaults, which
// NODE_OPTIONS can weaken (--tls-min-v1.0, --tls-cipher-list; TLS-010, docs/tls.md).
import { constants, X509Certificate } from 'node:crypto';
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

/**
 * The cipher list of every TLS client of the relay: Node's built-in default (no RC4, 3DES,
 * DES, NULL, EXPORT, anonymous, MD5, PSK, SRP or CAMELLIA suite), fixed here so that the
 * process-wide default, which `--tls-cipher-list` (also through NODE_OPTIONS) replaces, does
 * not decide it.
 */
export const RELAY_TLS_CIPHERS: string = constants.defaultCoreCipherList;

/** The lowest TLS version any TLS client of the relay accepts, whatever --tls-min-v1.x says. */
export const RELAY_TLS_MIN_VERSION = 'TLSv1.2' satisfies TlsMinVersion;

/** The secure context of a trust set: the CA store, minVersion and the cipher list. */
export interface TrustContext {
  /** Made once per trust set; tls.connect takes its store, versions and suites from here. */
  readonly secureContext: SecureContext;
  /** The certificates it trusts (Node's roots, then the extra CAs); undefined: the default store. */
  readonly ca: readonly string[] | undefined;
}

const contexts = new WeakMap<TlsTrust, TrustContext>();

/**
 * The secure context of `trust`, made on first use and then shared by every connection with
 * the same trust object: with extra CAs, Node's roots plus them (parsed once, not on every
 * handshake); without, Node's default store (with NODE_EXTRA_CA_CERTS), as before.
 */
export function trustContext(trust: TlsTrust): TrustContext {
  let found = contexts.get(trust);
  if (found === undefined) {
    const ca =
      trust.extraCa.length === 0
        ? undefined
        : Object.freeze([...rootCertificates, ...trust.extraCa]);
    found = Object.freeze({
      secureContext: createSecureContext({
        minVersion: trust.minVersion,
        ciphers: RELAY_TLS_CIPHERS,
        ...(ca === undefined ? {} : { ca: [...ca] }),
      }),
      ca,
    });
    contexts.set(trust, found);
  }
  return found;
}

/**
 * The certificate checks every outbound TLS connection makes, for a logical host.
 * `secureContext` carries the store, minVersion and the cipher list (tls.connect then ignores
 * `ca`, `minVersion` and `ciphers`, which are given as well so that the options say what the
 * context holds).
 */
export function tlsClientOptions(trust: TlsTrust, logicalHost: string): ConnectionOptions {
  const host = logicalHost.replace(/^\[(.*)\]$/, '$1');
  const context = trustContext(trust);
  return {
    minVersion: trust.minVersion,
    ciphers: RELAY_TLS_CIPHERS,
    rejectUnauthorized: true,
    secureContext: context.secureContext,
    ...(context.ca === undefined ? {} : { ca: context.ca as string[] }),
    ...(isIP(host) === 0 ? { servername: host } : {}),
    // Verify the logical name even when a map sends the socket to a loopback port.
    checkServerIdentity: (_dialled: string, cert: PeerCertificate) =>
      checkServerIdentity(host, cert),
  };
}
