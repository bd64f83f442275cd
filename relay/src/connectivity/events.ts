// Observability of the egress layer and of connectivity auto-detect, for suites and the
// health endpoint. In: dial decisions, probe outcomes, mode changes, probe rounds. Out:
// messages on node:diagnostics_channel channels `relay:egress:*` and `relay:connectivity:*`.
// Payloads are flat objects of strings, numbers and booleans: never a key, token or body.
import diagnostics from 'node:diagnostics_channel';

export const CONNECTIVITY_CHANNELS = Object.freeze({
  /**
   * {purpose, host, port, address?, dial?: 'h:p', verdict: 'allowed'|'refused', code?,
   * reason?} — one per dial attempt, published BEFORE any packet is sent.
   */
  dial: 'relay:egress:dial',
  /** {target: 'amqp'|'hc', host, port, path, outcome, diagnosis, code?, ms} — one probe ended. */
  probe: 'relay:connectivity:probe',
  /** {mode, previous, reason, amqp, hc} — the chosen mode changed (or was first chosen). */
  mode: 'relay:connectivity:mode',
  /** {mode, round, attempt, next?: 'reprobe'|'retry', delayMs?} — a probe round ended. */
  round: 'relay:connectivity:round',
} as const);

export type ConnectivityChannel =
  (typeof CONNECTIVITY_CHANNELS)[keyof typeof CONNECTIVITY_CHANNELS];

export type ConnectivityEventData = Readonly<Record<string, string | number | boolean | undefined>>;

/** Publishes one event; cheap when nobody listens. Undefined fields are left out. */
export function publish(channel: ConnectivityChannel, data: ConnectivityEventData): void {
  const ch = diagnostics.channel(channel);
  if (!ch.hasSubscribers) return;
  const clean: Record<string, string | number | boolean> = {};
  for (const [k, v] of Object.entries(data)) if (v !== undefined) clean[k] = v;
  ch.publish(clean);
}
