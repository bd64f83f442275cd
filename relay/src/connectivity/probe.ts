// One connectivity probe. In: the egress layer, a target (Service Bus or Hybrid Connections
// host, a port, the path it belongs to), a time bound and an abort signal. Out: a
// ProbeResult: the per-port diagnosis (allowed, refused, timed-out, tls-failed,
// egress-refused, failed), the typed code behind it and how long it took; a
// `relay:connectivity:probe` event. A probe is a full TLS handshake with the certificate
// checked against the logical host (minVersion from config), then the socket is closed.
import type { Scheduler } from '../transports/scheduler';
import type { ConnectivitySettings } from './config';
import type { Egress } from './egress';
import { POLICY_CODES, isEgressError, type EgressErrorCode } from './errors';
import { CONNECTIVITY_CHANNELS, publish } from './events';

/** What is probed: AMQP (Service Bus) or Hybrid Connections. */
export type ProbeTargetKind = 'amqp' | 'hc';
/** The two ways out: the TCP ports (5671, 9350-9354) or 443. */
export type PathKind = 'tcp' | 'https';

export interface ProbeTarget {
  readonly target: ProbeTargetKind;
  readonly host: string;
  readonly port: number;
  readonly path: PathKind;
  /** primary: decides the mode; extra: probed and reported only (9350, 9351, 9353, 9354). */
  readonly role: 'primary' | 'extra';
}

/** The per-port diagnosis shown on /healthz. */
export type Diagnosis =
  'allowed' | 'refused' | 'timed-out' | 'tls-failed' | 'egress-refused' | 'failed';

/** The outcome as published on relay:connectivity:probe. */
export type ProbeOutcome = 'ok' | 'refused' | 'timeout' | 'tls' | 'egress' | 'error';

export interface ProbeResult extends ProbeTarget {
  readonly diagnosis: Diagnosis;
  readonly outcome: ProbeOutcome;
  /** The typed code behind a failure (RELAY_E_EGRESS_*). */
  readonly code: EgressErrorCode | undefined;
  /** A one-line reason (no secret: host, port, OpenSSL's words). */
  readonly reason: string | undefined;
  /** The negotiated TLS version of a successful probe. */
  readonly tlsVersion: string | undefined;
  readonly ms: number;
  /** When the probe ended (ms since the epoch, on the injected clock). */
  readonly at: number;
}

export const HC_EXTRA_PORTS: readonly number[] = Object.freeze([9350, 9351, 9353, 9354]);

/** Every probe of a round, in the order reported: AMQP first, then Hybrid Connections. */
export function probeTargets(settings: ConnectivitySettings): readonly ProbeTarget[] {
  const sb = settings.serviceBus.host;
  const out: ProbeTarget[] = [
    { target: 'amqp', host: sb, port: 5671, path: 'tcp', role: 'primary' },
    { target: 'amqp', host: sb, port: 443, path: 'https', role: 'primary' },
  ];
  const hc = settings.hybrid?.host;
  if (hc !== undefined) {
    out.push(
      { target: 'hc', host: hc, port: 9352, path: 'tcp', role: 'primary' },
      { target: 'hc', host: hc, port: 443, path: 'https', role: 'primary' },
      ...HC_EXTRA_PORTS.map((port): ProbeTarget => ({
        target: 'hc',
        host: hc,
        port,
        path: 'tcp',
        role: 'extra',
      })),
    );
  }
  return Object.freeze(out.map((t) => Object.freeze(t)));
}

/** The diagnosis of a typed failure code. */
export function diagnosisOf(code: EgressErrorCode): Diagnosis {
  if (POLICY_CODES.has(code)) return 'egress-refused';
  switch (code) {
    case 'RELAY_E_EGRESS_REFUSED':
      return 'refused';
    case 'RELAY_E_EGRESS_TIMEOUT':
      return 'timed-out';
    case 'RELAY_E_EGRESS_TLS':
      return 'tls-failed';
    default:
      return 'failed';
  }
}

const OUTCOME: Readonly<Record<Diagnosis, ProbeOutcome>> = Object.freeze({
  allowed: 'ok',
  refused: 'refused',
  'timed-out': 'timeout',
  'tls-failed': 'tls',
  'egress-refused': 'egress',
  failed: 'error',
});

/** The event outcome of a diagnosis. */
export function outcomeOf(diagnosis: Diagnosis): ProbeOutcome {
  return OUTCOME[diagnosis];
}

export interface ProbeOptions {
  readonly timeoutMs: number;
  readonly scheduler: Scheduler;
  readonly signal?: AbortSignal;
}

/** The probe function a Connectivity runs (injectable for tests). */
export type Prober = (target: ProbeTarget, options: ProbeOptions) => Promise<ProbeResult>;

/** Builds a result and publishes its event. */
export function probeResult(
  target: ProbeTarget,
  diagnosis: Diagnosis,
  fields: {
    readonly code?: EgressErrorCode;
    readonly reason?: string;
    readonly tlsVersion?: string;
    readonly ms: number;
    readonly at: number;
  },
): ProbeResult {
  const result: ProbeResult = Object.freeze({
    ...target,
    diagnosis,
    outcome: outcomeOf(diagnosis),
    code: fields.code,
    reason: fields.reason,
    tlsVersion: fields.tlsVersion,
    ms: fields.ms,
    at: fields.at,
  });
  publish(CONNECTIVITY_CHANNELS.probe, {
    target: result.target,
    host: result.host,
    port: result.port,
    path: result.path,
    outcome: result.outcome,
    diagnosis: result.diagnosis,
    code: result.code,
    ms: result.ms,
  });
  return result;
}

/** Probes over the egress layer: a TLS handshake to the target, then close. */
export function egressProber(egress: Egress): Prober {
  return async (target, options) => {
    const started = options.scheduler.now();
    try {
      const c = await egress.connect({
        host: target.host,
        port: target.port,
        purpose: 'probe',
        tls: true,
        timeoutMs: options.timeoutMs,
        ...(options.signal === undefined ? {} : { signal: options.signal }),
      });
      c.socket.destroy();
      const at = options.scheduler.now();
      return probeResult(target, 'allowed', {
        ms: at - started,
        at,
        ...(c.tlsVersion === undefined ? {} : { tlsVersion: c.tlsVersion }),
      });
    } catch (e) {
      const at = options.scheduler.now();
      if (isEgressError(e)) {
        return probeResult(target, diagnosisOf(e.code), {
          code: e.code,
          reason: e.message,
          ms: at - started,
          at,
        });
      }
      return probeResult(target, 'failed', { reason: 'the probe failed', ms: at - started, at });
    }
  };
}
