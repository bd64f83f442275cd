// Certificates for TLS security cases: one test CA and server certificates that are good,
// expired, not yet valid, for the wrong host, self-signed, or from another CA. In: the host
// names a good certificate must carry, the clock, an optional path for the CA certificate.
// Out: PEM keys and certificates, in memory (only the CA certificate is written, atomically,
// when a path is given). A client that trusts only `caPem` accepts `good` and refuses each
// of the others with its own OpenSSL reason (CERT_HAS_EXPIRED, CERT_NOT_YET_VALID,
// ERR_TLS_CERT_ALTNAME_INVALID, DEPTH_ZERO_SELF_SIGNED_CERT, UNABLE_TO_VERIFY_LEAF_SIGNATURE).
//
// Every certificate is built by ca.ts (createCertificateAuthority, issueServerCertificate):
// the test CA is a longer-lived CA of the same kind as the simulator's, and `material` has
// createTlsMaterial's shape, so it can serve as the simulator's CA.
import { systemClock, type Clock } from '../../../../relay/src/protocol/primitives';
import {
  createCertificateAuthority,
  issueServerCertificate,
  tlsMaterialFrom,
  type IssueOptions,
  type ServerCertificate,
  type TlsMaterial,
} from './ca';

export type { ServerCertificate } from './ca';

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

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
  /** Issues another certificate from the test CA (default validity: as `good`). */
  readonly issue: (options: IssueOptions) => ServerCertificate;
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
  const notBefore = new Date(now - HOUR_MS);
  const notAfter = new Date(now + 2 * DAY_MS);
  const ca = createCertificateAuthority({
    name: options.caName ?? 'relaycheck test CA',
    notBefore: new Date(now - 30 * DAY_MS),
    notAfter: new Date(now + 30 * DAY_MS),
  });
  const other = createCertificateAuthority({ name: 'some other CA', notBefore, notAfter });
  const valid = { hosts, notBefore, notAfter };

  const good = issueServerCertificate({ ...valid, issuer: ca.issuer });
  const material = tlsMaterialFrom(ca, good, { ...valid, caPath: options.caPath });
  return Object.freeze({
    caPem: ca.pem,
    caPath: options.caPath,
    good,
    expired: material.issue({
      hosts,
      notBefore: new Date(now - 10 * DAY_MS),
      notAfter: new Date(now - DAY_MS),
    }),
    notYetValid: material.issue({
      hosts,
      notBefore: new Date(now + DAY_MS),
      notAfter: new Date(now + 10 * DAY_MS),
    }),
    wrongHost: material.issue({ hosts: [WRONG_HOST] }),
    selfSigned: issueServerCertificate(valid),
    otherCa: issueServerCertificate({ ...valid, issuer: other.issuer }),
    material,
    issue: material.issue,
  });
}
