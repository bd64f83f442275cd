// The verdict, pure. In: what preflight observed (each namespace's DNS answers and how they sit
// in the ranges, each port's TCP, TLS and HTTP outcome) and the settings that weigh it (the
// relay's configured mode and allowed ports, the time bound, the skew window). Out: the report:
// one row per check with pass / warn / fail and a sentence, the connectivity mode the relay
// would pick (the relay's own chooseMode over the probe results it would have seen), the clock
// skew (the relay's readClockSkew verdict), the blocking checks and warnings, the exit code.
//
// What blocks go-live: a namespace without an address or with one outside the ranges, no
// working path (mode none) and the primary ports behind it, a TLS failure on those ports, a
// clock outside the handshake window. Everything else that is not right is a warning.
import { isIP } from 'node:net';
import type { ConnectivityMode, Profile } from '../../../relay/src/connectivity/config';
import { chooseMode, type ModeChoice } from '../../../relay/src/connectivity/modes';
import type { Diagnosis, ProbeResult } from '../../../relay/src/connectivity/probe';
import { readClockSkew } from '../../../relay/src/messaging/clock-skew';
import { commonName, describeChain, type CertInfo } from './certs';
import type { PortTarget } from './plan';
import type { PortObservation } from './probe';
import {
  REPORT_SCHEMA,
  type CheckRow,
  type CheckStatus,
  type ClockData,
  type DnsAddress,
  type PreflightReport,
  type RangeMatch,
} from './report';

export interface HostResolution {
  readonly host: string;
  readonly namespace: 'servicebus' | 'relay';
  /** Canonical addresses in answer order; undefined when resolution failed. */
  readonly addresses: readonly string[] | undefined;
  readonly error: string | undefined;
  readonly ms: number;
}

/** Containment of one address in the selected ranges, in the source's terms. */
export interface RangeVerdict {
  readonly contained: boolean;
  readonly matches: readonly RangeMatch[];
  readonly publishedIn: readonly RangeMatch[];
  /** For an address outside: what was allowed and where the source has it (formatOutside). */
  readonly why: string;
}

export interface RangeCheck {
  /** What the answers are checked against, e.g. "ServiceBus.UKSouth, … of ServiceTags change 367". */
  readonly label: string;
  check(address: string): RangeVerdict;
}

export interface PortResult {
  readonly target: PortTarget;
  /** The logical address dialled; undefined when DNS gave none. */
  readonly address: string | undefined;
  /** The socket target when a map stood in for the address. */
  readonly via: { readonly host: string; readonly port: number } | undefined;
  /** Why nothing was dialled: the network map has no endpoint for it. */
  readonly notServed: string | undefined;
  readonly observation: PortObservation | undefined;
}

export interface AssessInput {
  readonly namespace: string;
  readonly relayNamespace: string | undefined;
  readonly ports: readonly number[];
  readonly mode: ConnectivityMode;
  readonly profile: Profile;
  /** The relay config's egress.ports; undefined: no relay config (every guide port). */
  readonly allowedPorts: readonly number[] | undefined;
  readonly timeoutMs: number;
  /** The relay's lowest TLS version (TLSv1.2 unless its config says TLSv1.3). */
  readonly minVersion: string;
  readonly skewWindowMs: number;
  readonly expiryWarnDays: number;
  readonly ca: string | undefined;
  readonly network: PreflightReport['network'];
  readonly dns: readonly HostResolution[];
  readonly ranges: RangeCheck | undefined;
  readonly results: readonly PortResult[];
  readonly startedAt: number;
  readonly finishedAt: number;
}

const ROLE_HINT: Readonly<Record<string, string>> = {
  '443': '443 carries everything in https mode, the fallback',
  '5671': 'AMQP over TLS to Service Bus (tcp mode)',
  '9352': 'Hybrid Connections (tcp mode)',
};

function key(host: string, port: number): string {
  return isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`;
}

/** How the relay's own probe would have seen this port (relay/src/connectivity/probe.ts). */
function probeDiagnosis(
  r: PortResult,
  dns: HostResolution | undefined,
  ranges: RangeCheck | undefined,
  allowed: readonly number[] | undefined,
): { diagnosis: Diagnosis; reason: string } {
  const host = r.target.host;
  if (allowed !== undefined && !allowed.includes(r.target.port)) {
    return {
      diagnosis: 'egress-refused',
      reason: `port ${r.target.port} is not in the relay config's egress.ports`,
    };
  }
  if (dns?.addresses === undefined) {
    return { diagnosis: 'failed', reason: `${host} has no address` };
  }
  const outside =
    ranges === undefined ? [] : dns.addresses.filter((a) => !ranges.check(a).contained);
  if (outside.length > 0) {
    return {
      diagnosis: 'egress-refused',
      reason: `${outside.join(', ')} is outside the allowed ranges`,
    };
  }
  if (r.notServed !== undefined) return { diagnosis: 'egress-refused', reason: r.notServed };
  const o = r.observation;
  if (o === undefined) return { diagnosis: 'failed', reason: 'not checked' };
  switch (o.tcp.reach) {
    case 'refused':
      return { diagnosis: 'refused', reason: o.tcp.message };
    case 'timed-out':
      return { diagnosis: 'timed-out', reason: o.tcp.message };
    case 'reachable':
      break;
    default:
      return { diagnosis: 'failed', reason: o.tcp.message };
  }
  const tls = o.tls;
  if (tls === undefined || tls.handshake === 'failed') {
    return { diagnosis: 'tls-failed', reason: tls?.error ?? 'no TLS handshake' };
  }
  if (!tls.authorized) {
    return { diagnosis: 'tls-failed', reason: tls.authorizationError ?? 'untrusted' };
  }
  if (tls.identityError !== undefined)
    return { diagnosis: 'tls-failed', reason: tls.identityError };
  return { diagnosis: 'allowed', reason: 'TLS handshake verified' };
}

function probeResults(input: AssessInput): {
  results: ProbeResult[];
  probes: Record<string, string>;
} {
  const results: ProbeResult[] = [];
  const probes: Record<string, string> = {};
  for (const r of input.results) {
    const p = r.target.probe;
    if (p === undefined) continue;
    const dns = input.dns.find((d) => d.host === r.target.host);
    const { diagnosis, reason } = probeDiagnosis(r, dns, input.ranges, input.allowedPorts);
    probes[key(r.target.host, r.target.port)] = diagnosis;
    results.push({
      target: p.target,
      host: r.target.host,
      port: r.target.port,
      path: p.path,
      role: r.target.role === 'primary' ? 'primary' : 'extra',
      diagnosis,
      outcome: diagnosis === 'allowed' ? 'ok' : 'error',
      code: undefined,
      reason,
      tlsVersion: r.observation?.tls?.protocol,
      ms: r.observation?.tcp.ms ?? 0,
      at: input.finishedAt,
    });
  }
  return { results, probes };
}

function familyOf(address: string): 4 | 6 {
  return isIP(address) === 6 ? 6 : 4;
}

function dnsRow(d: HostResolution, ranges: RangeCheck | undefined): CheckRow {
  const base = {
    id: `dns:${d.host}`,
    check: 'dns' as const,
    target: d.host,
    host: d.host,
    port: null,
  };
  if (d.addresses === undefined) {
    return {
      ...base,
      status: 'fail',
      result: 'no-address',
      detail: `${d.error ?? 'no address'}: the relay cannot reach this namespace`,
      blocking: true,
      data: { addresses: [], error: d.error ?? 'no address', ms: d.ms },
    };
  }
  const addresses: DnsAddress[] = d.addresses.map((address) => {
    const v = ranges?.check(address);
    return {
      address,
      family: familyOf(address),
      inRanges: v === undefined ? null : v.contained,
      matches: v?.matches ?? [],
      publishedIn: v?.contained === false ? v.publishedIn : [],
    };
  });
  const byFamily = (f: 4 | 6): string => {
    const list = addresses.filter((a) => a.family === f);
    return list.length === 0 ? 'none' : list.map((a) => a.address).join(', ');
  };
  const answers = `A ${byFamily(4)}; AAAA ${byFamily(6)}`;
  const data = { addresses, error: null, ms: d.ms };
  const outside = d.addresses.filter((a) => ranges?.check(a).contained === false);
  if (ranges !== undefined && outside.length > 0) {
    const first = outside[0] ?? '';
    return {
      ...base,
      status: 'fail',
      result: 'outside-ranges',
      detail: `${answers}; ${first} is outside the allowed ranges ${ranges.check(first).why}; the relay refuses to dial it`,
      blocking: true,
      data,
    };
  }
  const inside =
    ranges === undefined
      ? ' (not checked against the published ranges: give --source and --regions)'
      : `; inside ${[
          ...new Set(
            addresses.flatMap((a) => a.matches.map((m) => `${m.tag ?? m.region} ${m.prefix}`)),
          ),
        ].join(', ')}`;
  return {
    ...base,
    status: 'pass',
    result: 'resolved',
    detail: answers + inside,
    blocking: false,
    data,
  };
}

/** pass / warn / fail / info for a port that did not work, by what it is for. */
function weigh(target: PortTarget, modeNone: boolean): { status: CheckStatus; blocking: boolean } {
  if (target.role === 'development') return { status: 'info', blocking: false };
  if (target.role === 'primary' && modeNone) return { status: 'fail', blocking: true };
  return { status: 'warn', blocking: false };
}

function roleNote(t: PortTarget, profile: Profile): string {
  if (t.role === 'development') {
    return profile === 'development'
      ? 'plain AMQP: the development profile only'
      : 'plain AMQP is for development only: a production relay never uses it';
  }
  if (t.role === 'http') return 'HTTP: certificate revocation checks only, never council data';
  if (t.role === 'extra') return 'reported only: the relay does not use it';
  if (t.namespace === 'relay' && t.port === 443) return 'Hybrid Connections in https mode';
  return ROLE_HINT[String(t.port)] ?? '';
}

function reachText(o: PortObservation, timeoutMs: number): string {
  const t = o.tcp;
  switch (t.reach) {
    case 'reachable':
      return 'reachable';
    case 'refused':
      return 'connection refused (a firewall reject rule, or nothing listening)';
    case 'timed-out':
      return t.phase === 'tcp'
        ? `no TCP connection within ${timeoutMs} ms (dropped: a firewall drop rule, or no route)`
        : `TCP connected, but nothing answered within ${timeoutMs} ms (dropped after the handshake: a proxy or firewall that accepts and discards)`;
    case 'reset':
      return `${t.message} (a firewall or proxy that resets)`;
    case 'unreachable':
      return `unreachable: ${t.message} (no route from this server)`;
    default:
      return t.message;
  }
}

function tcpRow(r: PortResult, input: AssessInput, modeNone: boolean): CheckRow {
  const t = r.target;
  const base = {
    id: `tcp:${key(t.host, t.port)}`,
    check: 'tcp' as const,
    target: key(t.host, t.port),
    host: t.host,
    port: t.port,
  };
  const note = roleNote(t, input.profile);
  const via = r.via === undefined ? null : key(r.via.host, r.via.port);
  const data = {
    address: r.address ?? null,
    via,
    role: t.role,
    phase: r.observation?.tcp.phase ?? null,
    errno: r.observation?.tcp.errno ?? null,
    ms: r.observation?.tcp.ms ?? null,
  };
  if (r.address === undefined) {
    return {
      ...base,
      status: 'skip',
      result: 'not-checked',
      detail: `${t.host} has no address`,
      blocking: false,
      data: { ...data, reach: 'not-checked' },
    };
  }
  const at = via === null ? r.address : `${r.address} (via ${via})`;
  if (r.notServed !== undefined || r.observation === undefined) {
    const w = weigh(t, modeNone);
    return {
      ...base,
      ...w,
      result: 'not-served',
      detail: `${r.notServed ?? 'not dialled'}; ${note}`,
      data: { ...data, reach: 'not-served' },
    };
  }
  const o = r.observation;
  const text = `${at}: ${reachText(o, input.timeoutMs)}${note === '' ? '' : `; ${note}`}`;
  if (o.tcp.reach === 'reachable') {
    return {
      ...base,
      status: t.role === 'development' ? 'info' : 'pass',
      result: 'reachable',
      detail: text,
      blocking: false,
      data: { ...data, reach: o.tcp.reach },
    };
  }
  return {
    ...base,
    ...weigh(t, modeNone),
    result: o.tcp.reach,
    detail: text,
    data: { ...data, reach: o.tcp.reach },
  };
}

function certLine(c: CertInfo): string {
  const when = c.validTo.slice(0, 10);
  const n = Math.abs(c.daysToExpiry);
  const unit = n === 1 ? 'day' : 'days';
  const days = c.daysToExpiry < 0 ? `expired ${n} ${unit} ago` : `${n} ${unit} left`;
  return `${commonName(c.subject)} issued by ${commonName(c.issuer)}, valid to ${when} (${days})`;
}

function tlsRow(r: PortResult, input: AssessInput, modeNone: boolean, now: number): CheckRow {
  const t = r.target;
  const base = {
    id: `tls:${key(t.host, t.port)}`,
    check: 'tls' as const,
    target: key(t.host, t.port),
    host: t.host,
    port: t.port,
  };
  const tls = r.observation?.tls;
  if (tls === undefined) {
    return {
      ...base,
      status: 'skip',
      result: 'not-checked',
      detail: 'the port did not answer (see its tcp row)',
      blocking: false,
      data: null,
    };
  }
  const chain = describeChain(tls.chain, now);
  const leaf = chain[0];
  const data = {
    protocol: tls.protocol ?? null,
    cipher: tls.cipher ?? null,
    authorized: tls.authorized,
    authorizationError: tls.authorizationError ?? null,
    hostnameMatches: tls.handshake === 'ok' ? tls.identityError === undefined : null,
    identityError: tls.identityError ?? null,
    chain,
    error: tls.error ?? null,
  };
  const trust = input.ca === undefined ? 'the system store' : `the system store and ${input.ca}`;
  const fail = (result: string, detail: string): CheckRow => ({
    ...base,
    ...weigh(t, modeNone),
    result,
    detail,
    data,
  });
  if (tls.handshake === 'failed') {
    return fail(
      'handshake-failed',
      `${tls.error ?? 'the handshake failed'} (the relay requires ${input.minVersion} or later)`,
    );
  }
  const summary = `${tls.protocol ?? '?'} ${tls.cipher ?? '?'}; ${leaf === undefined ? 'no certificate' : certLine(leaf)}`;
  if (!tls.authorized) {
    const expired = tls.authorizationError === 'CERT_HAS_EXPIRED';
    const issuer = leaf === undefined ? 'an unknown issuer' : commonName(leaf.issuer);
    return fail(
      expired ? 'expired' : 'untrusted',
      expired
        ? `${summary}: the certificate has expired`
        : `${summary}: the chain does not verify against ${trust} (${tls.authorizationError ?? 'untrusted'}); if ${issuer} is a TLS-inspecting proxy, exempt the namespace from inspection or give its CA with --ca`,
    );
  }
  if (tls.identityError !== undefined) {
    return fail('name-mismatch', `${summary}: ${tls.identityError}`);
  }
  const soonest = chain.reduce<number>(
    (m, c) => (Number.isFinite(c.daysToExpiry) ? Math.min(m, c.daysToExpiry) : m),
    Number.POSITIVE_INFINITY,
  );
  if (soonest < input.expiryWarnDays) {
    return {
      ...base,
      status: 'warn',
      result: 'expires-soon',
      detail: `${summary}; a certificate of the chain expires within ${input.expiryWarnDays} days`,
      blocking: false,
      data,
    };
  }
  return {
    ...base,
    status: 'pass',
    result: 'verified',
    detail: `${summary}; verified against ${trust}, valid for ${t.host}`,
    blocking: false,
    data,
  };
}

function seconds(ms: number): string {
  return String(Math.round(Math.abs(ms) / 1000));
}

function clockRow(input: AssessInput): CheckRow {
  const base = { id: 'clock', check: 'clock' as const, port: 443 };
  const candidates = input.results.filter((r) => r.target.clock);
  for (const r of candidates) {
    const h = r.observation?.http;
    const serverMs = h?.date === undefined ? Number.NaN : Date.parse(h.date);
    if (h === undefined || !Number.isFinite(serverMs)) continue;
    const mid = (h.sentAt + h.receivedAt) / 2;
    // Date has a resolution of one second: the server's clock was somewhere in [D, D + 1 s).
    const reading = readClockSkew(mid, serverMs + 500, input.skewWindowMs);
    if (reading === undefined) continue;
    const uncertaintyMs = Math.round(500 + (h.receivedAt - h.sentAt) / 2);
    const verifiedTls =
      r.observation?.tls?.authorized === true && r.observation.tls.identityError === undefined;
    const data: ClockData = {
      source: key(r.target.host, 443),
      serverDate: h.date ?? '',
      aheadMs: reading.aheadMs,
      uncertaintyMs,
      windowMs: input.skewWindowMs,
      verdict: reading.verdict,
      verifiedTls,
    };
    const direction = reading.aheadMs >= 0 ? 'ahead of' : 'behind';
    const offset = `this server's clock is ${seconds(reading.aheadMs)} s ${direction} ${r.target.host} (±${Math.ceil(uncertaintyMs / 1000)} s, from its HTTP Date header${verifiedTls ? '' : ', over a TLS connection that did not verify'})`;
    const window = `the handshake allows ±${seconds(input.skewWindowMs)} s`;
    const ntp =
      'synchronise this server with a time source (NTP: `w32tm /resync` on Windows, `chronyc makestep` or `timedatectl set-ntp true` on Linux)';
    const target = key(r.target.host, 443);
    if (reading.verdict === 'outside') {
      return {
        ...base,
        target,
        host: r.target.host,
        status: 'fail',
        result: 'outside-window',
        detail: `${offset}; ${window}, so the cloud side would refuse every handshake (HS_E_SKEW; the relay reports RELAY_E_SESSION_CLOCK): ${ntp}`,
        blocking: true,
        data,
      };
    }
    if (reading.verdict === 'drifting') {
      return {
        ...base,
        target,
        host: r.target.host,
        status: 'warn',
        result: 'drifting',
        detail: `${offset}; still inside the window (${window}) but drifting towards it: ${ntp}`,
        blocking: false,
        data,
      };
    }
    return {
      ...base,
      target,
      host: r.target.host,
      status: 'pass',
      result: 'in-window',
      detail: `${offset}; ${window}`,
      blocking: false,
      data,
    };
  }
  const hosts = candidates.map((r) => key(r.target.host, 443));
  return {
    ...base,
    target: hosts[0] ?? '443',
    host: candidates[0]?.target.host ?? null,
    status: 'warn',
    result: 'not-checked',
    detail:
      hosts.length === 0
        ? 'port 443 was not checked, so the namespace clock could not be read'
        : `no HTTPS answer with a Date header from ${hosts.join(' or ')}: the clock was not compared`,
    blocking: false,
    data: null,
  };
}

function modeRow(input: AssessInput, choice: ModeChoice, probes: Record<string, string>): CheckRow {
  const base = { id: 'mode', check: 'mode' as const, target: 'relay', host: null, port: null };
  const data = {
    configured: input.mode,
    chosen: choice.mode,
    amqp: choice.amqp,
    hc: choice.hc,
    reason: choice.reason,
    probes,
  };
  const noHc =
    input.relayNamespace === undefined
      ? '; Hybrid Connections not checked (no --relay-namespace)'
      : '';
  if (choice.mode === 'none') {
    return {
      ...base,
      status: 'fail',
      result: 'none',
      detail: `the relay would have no working path: ${choice.reason}${noHc}`,
      blocking: true,
      data,
    };
  }
  if (choice.mode === 'https' && input.mode === 'auto') {
    return {
      ...base,
      status: 'warn',
      result: 'https',
      detail: `the relay would fall back to 443 for everything (slower; the guide expects 5671 and 9350-9354 open): ${choice.reason}${noHc}`,
      blocking: false,
      data,
    };
  }
  return {
    ...base,
    status: 'pass',
    result: choice.mode,
    detail: `${choice.reason}${input.mode === 'auto' ? '' : ` (connectivity.mode ${input.mode})`}${noHc}`,
    blocking: false,
    data,
  };
}

/** The report of one preflight run. */
export function assess(input: AssessInput): PreflightReport {
  const { results, probes } = probeResults(input);
  const choice = chooseMode(results, input.mode);
  const modeNone = choice.mode === 'none';
  const now = input.finishedAt;
  const rows: CheckRow[] = [
    ...input.dns.map((d) => dnsRow(d, input.ranges)),
    ...input.results.map((r) => tcpRow(r, input, modeNone)),
    ...input.results.filter((r) => r.target.tlsRow).map((r) => tlsRow(r, input, modeNone, now)),
    clockRow(input),
    modeRow(input, choice, probes),
  ];
  const blocking = rows.filter((r) => r.blocking).map((r) => r.id);
  const warnings = rows.filter((r) => r.status === 'warn').map((r) => r.id);
  const go = blocking.length === 0;
  return {
    schema: REPORT_SCHEMA,
    verdict: go ? 'go' : 'no-go',
    exitCode: go ? 0 : 1,
    startedAt: new Date(input.startedAt).toISOString(),
    durationMs: Math.max(0, Math.round(input.finishedAt - input.startedAt)),
    namespace: input.namespace,
    relayNamespace: input.relayNamespace ?? null,
    network: input.network,
    ca: input.ca ?? null,
    ranges: input.ranges?.label ?? null,
    ports: input.ports,
    timeoutMs: input.timeoutMs,
    checks: rows,
    blocking,
    warnings,
  };
}
