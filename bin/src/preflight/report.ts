// The shape of a preflight result: what `--format json` prints (schema "relaycheck-preflight/1",
// documented field by field in docs/preflight.md) and what the table is drawn from. Types only,
// plus the exit code of a report. A new field may be added within version 1; a field is never
// renamed, removed or given another meaning without a new schema version.
import type { Mode } from '../../../relay/src/connectivity/modes';
import type { CertInfo } from './certs';

export const REPORT_SCHEMA = 'relaycheck-preflight/1';

export type CheckKind = 'dns' | 'tcp' | 'tls' | 'clock' | 'mode';

/** pass: fine; warn: go-live works but look at it; fail: go-live would fail; info, skip. */
export type CheckStatus = 'pass' | 'warn' | 'fail' | 'info' | 'skip';

export interface RangeMatch {
  readonly prefix: string;
  readonly tag: string | null;
  readonly region: string;
}

export interface DnsAddress {
  readonly address: string;
  readonly family: 4 | 6;
  /** null when no ranges were given. */
  readonly inRanges: boolean | null;
  /** The selected prefixes that hold it. */
  readonly matches: readonly RangeMatch[];
  /** Outside the selection: where the source publishes it instead (empty: nowhere). */
  readonly publishedIn: readonly RangeMatch[];
}

export interface DnsData {
  readonly addresses: readonly DnsAddress[];
  readonly error: string | null;
  readonly ms: number;
}

export interface TcpData {
  /** The logical address dialled (one of the DNS answers); null when none was. */
  readonly address: string | null;
  /** Where the socket went when a network map stood in for the address ("127.0.0.1:40123"). */
  readonly via: string | null;
  readonly role: 'primary' | 'extra' | 'development' | 'http';
  /** reachable, refused, timed-out, reset, unreachable, error, not-served, not-checked. */
  readonly reach: string;
  /** tcp: the TCP connection; answer: connected, then the service's first answer. */
  readonly phase: 'tcp' | 'answer' | null;
  readonly errno: string | null;
  readonly ms: number | null;
}

export interface TlsData {
  readonly protocol: string | null;
  readonly cipher: string | null;
  /** The chain verifies against the system store plus --ca. */
  readonly authorized: boolean;
  readonly authorizationError: string | null;
  /** The leaf is valid for the namespace's host name. */
  readonly hostnameMatches: boolean | null;
  readonly identityError: string | null;
  readonly chain: readonly CertInfo[];
  readonly error: string | null;
}

export interface ClockData {
  /** host:443 whose Date header was read. */
  readonly source: string;
  readonly serverDate: string;
  /** This server's clock minus the namespace's, ms (positive: this server is ahead). */
  readonly aheadMs: number;
  /** The reading's uncertainty: half a second of Date resolution plus half the round trip. */
  readonly uncertaintyMs: number;
  readonly windowMs: number;
  readonly verdict: 'ok' | 'drifting' | 'outside';
  /** False when the Date came over a TLS connection whose certificate did not verify. */
  readonly verifiedTls: boolean;
}

export interface ModeData {
  readonly configured: 'auto' | 'tcp' | 'https';
  readonly chosen: Mode;
  /** The best working path of each transport, whatever the mode. */
  readonly amqp: Mode;
  readonly hc: Mode;
  /** The relay's own one-line reason (relay/src/connectivity/modes.ts). */
  readonly reason: string;
  /** The per-port diagnosis the relay's probe would have given, by "host:port". */
  readonly probes: Readonly<Record<string, string>>;
}

interface RowBase<K extends CheckKind, D> {
  /** Stable within a run: "dns:<host>", "tcp:<host>:<port>", "tls:<host>:<port>", "clock", "mode". */
  readonly id: string;
  readonly check: K;
  readonly target: string;
  readonly host: string | null;
  readonly port: number | null;
  readonly status: CheckStatus;
  /** One word: resolved, outside-ranges, reachable, refused, verified, untrusted, in-window, tcp ... */
  readonly result: string;
  readonly detail: string;
  /** True for a failure that stops go-live (status fail). */
  readonly blocking: boolean;
  readonly data: D | null;
}

export type CheckRow =
  | RowBase<'dns', DnsData>
  | RowBase<'tcp', TcpData>
  | RowBase<'tls', TlsData>
  | RowBase<'clock', ClockData>
  | RowBase<'mode', ModeData>;

export interface PreflightReport {
  readonly schema: typeof REPORT_SCHEMA;
  /** go: go-live would work (warnings allowed); no-go: at least one blocking check. */
  readonly verdict: 'go' | 'no-go';
  /** 0 (go) or 1 (no-go). */
  readonly exitCode: 0 | 1;
  readonly startedAt: string;
  readonly durationMs: number;
  readonly namespace: string;
  readonly relayNamespace: string | null;
  /** How names were resolved and where sockets went. */
  readonly network: {
    readonly resolver: 'system' | 'network-map' | 'injected';
    readonly dialer: 'direct' | 'network-map' | 'injected';
    readonly map: string | null;
  };
  /** Extra trusted CA (file name), or null: the system store only. */
  readonly ca: string | null;
  /** What the DNS answers were checked against, or null. */
  readonly ranges: string | null;
  readonly ports: readonly number[];
  readonly timeoutMs: number;
  readonly checks: readonly CheckRow[];
  /** ids of the blocking checks, then of the warnings. */
  readonly blocking: readonly string[];
  readonly warnings: readonly string[];
}
