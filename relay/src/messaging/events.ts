// Observability of the relay's messaging for tests and suites. In: handshake state changes and
// per-request outcomes. Out: messages on node:diagnostics_channel `relay:session` and
// `relay:work`. Payloads are flat objects of strings, numbers and booleans; a key, token,
// signature or body is never published, and a session id only by its first 8 characters.
import diagnostics from 'node:diagnostics_channel';

export const MESSAGING_CHANNELS = Object.freeze({
  /**
   * {state, instanceId, kid?, sid?, code?, attempt?, delayMs?, clockAheadMs?} — a handshake state
   * change; clockAheadMs when this relay's clock is off the namespace's by more than a quarter of
   * the skew window (live) or outside it (rejected, RELAY_E_SESSION_CLOCK).
   */
  session: 'relay:session',
  /** {via, route, messageId, outcome, status?, code?, deliveryCount?, replayed?, holdMs?} — one request's outcome. */
  work: 'relay:work',
} as const);

export type SessionState = 'handshaking' | 'live' | 'rejected' | 'expired' | 'failed';
export type WorkOutcome = 'completed' | 'dead-lettered' | 'abandoned' | 'answered';

export type EventData = Readonly<Record<string, string | number | boolean | undefined>>;

export interface SessionEvent extends EventData {
  readonly state: SessionState;
  readonly instanceId: string;
  readonly kid?: string;
  /** The first 8 characters of the session id only. */
  readonly sid?: string;
  readonly code?: string;
}

export interface WorkEvent extends EventData {
  readonly via: 'servicebus' | 'hybrid';
  readonly route: string;
  readonly messageId: string;
  readonly outcome: WorkOutcome;
  readonly status?: number;
  readonly code?: string;
  /** True when the answer came from the idempotency record, without running the work again. */
  readonly replayed?: boolean;
}

/** The first 8 characters of a session id: enough to correlate, too few to matter. */
export function sidPrefix(sid: string): string {
  return sid.slice(0, 8);
}

function publish(name: string, data: EventData): void {
  const channel = diagnostics.channel(name);
  if (channel.hasSubscribers) channel.publish(data);
}

export function publishSession(data: SessionEvent): void {
  publish(MESSAGING_CHANNELS.session, data);
}

export function publishWork(data: WorkEvent): void {
  publish(MESSAGING_CHANNELS.work, data);
}
