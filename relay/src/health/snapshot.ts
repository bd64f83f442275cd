// What the relay reports about itself on GET /healthz. In: nothing (types only; the lead's
// relay.ts composes a snapshot from connectivity, the handshake session and the transports).
// Out: the HealthSnapshot JSON shape. Times are ISO 8601 strings; no field ever holds a key,
// token, signature or message body.

/** The connectivity mode in use; `probing` while the first probes run. */
export type HealthMode = 'tcp' | 'https' | 'none' | 'probing';

/** One port's diagnosis (docs/relay/connectivity.md): the outcome of its last probe or dial. */
export type PortOutcome =
  'allowed' | 'refused' | 'timed-out' | 'tls-failed' | 'egress-refused' | 'error' | 'pending';

export interface PortDiagnosis {
  /** The logical host name dialled. */
  readonly host: string;
  readonly port: number;
  /** What the port is for, e.g. `amqp`, `amqp-wss`, `hc`, `hc-wss`. */
  readonly purpose: string;
  readonly outcome: PortOutcome;
  /** A short human explanation (an error code, a TLS alert); never a secret. */
  readonly detail?: string;
  /** When the outcome was observed (ISO 8601). */
  readonly at: string;
}

export type SessionState = 'none' | 'handshaking' | 'live' | 'rejected' | 'expired' | 'failed';

export interface SessionHealth {
  readonly state: SessionState;
  /** The key id the live (or last) session was made with. */
  readonly kid?: string;
  /** When the live session's ttl ends (ISO 8601). */
  readonly expiresAt?: string;
}

export type TransportState = 'up' | 'down' | 'connecting';

export interface TransportsHealth {
  readonly serviceBus: TransportState;
  /** One entry per hybrid connection path the relay listens on. */
  readonly hybrid: readonly { readonly path: string; readonly state: TransportState }[];
}

export interface HealthSnapshot {
  /** 200 on /healthz when true, 503 otherwise. */
  readonly healthy: boolean;
  readonly profile: 'production' | 'development';
  readonly instanceId: string;
  readonly mode: HealthMode;
  readonly ports: readonly PortDiagnosis[];
  readonly session: SessionHealth;
  readonly transports: TransportsHealth;
  /** When the relay started (ISO 8601). */
  readonly startedAt: string;
  /** The relay's version (package.json). */
  readonly version: string;
}
