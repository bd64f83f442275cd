// Observability of the Hybrid Connections listener for tests and suites. In: the listener's
// lifecycle and per-request milestones. Out: messages on node:diagnostics_channel channels
// named `relay:hc:*`. Payloads are flat objects of strings, numbers and booleans; a token,
// key, signature or request body is never published (URLs go through sanitizeUrl first).
import diagnostics from 'node:diagnostics_channel';

export const HC_CHANNELS = Object.freeze({
  /** {attempt, url} — a control channel is being opened. */
  connecting: 'relay:hc:connecting',
  /** {attempt} — the control channel is open. */
  connected: 'relay:hc:connected',
  /** {attempt, status, code, retryable} — the handshake was refused or failed. */
  refused: 'relay:hc:refused',
  /** {expiresAt} — a renewToken frame was sent. */
  tokenRenewed: 'relay:hc:token-renewed',
  /** {attempt, delayMs, reason} — the next connect is scheduled. */
  reconnectScheduled: 'relay:hc:reconnect-scheduled',
  /** {} — a ping was sent on the control channel. */
  ping: 'relay:hc:ping',
  /** {} — a pong came back. */
  pong: 'relay:hc:pong',
  /** {waitedMs} — no pong in time: the channel is dropped as half-open. */
  pingTimeout: 'relay:hc:ping-timeout',
  /** {requestId, mode, method, size} — a whole request header (and body) arrived. */
  requestReceived: 'relay:hc:request-received',
  /** {requestId, status, mode, bytes, code?} — a response was completely sent. */
  responseSent: 'relay:hc:response-sent',
  /** {requestId, code, mode} — a response could not be completed (aborted or lost). */
  responseAborted: 'relay:hc:response-aborted',
  /** {requestId?, event, code?} — a rendezvous socket opened, closed or failed. */
  rendezvous: 'relay:hc:rendezvous',
  /** {id, status} — a WebSocket accept offer was rejected (this relay serves HTTP only). */
  acceptRejected: 'relay:hc:accept-rejected',
  /** {code, message, requestId?} — a typed problem that did not stop the listener. */
  fault: 'relay:hc:fault',
  /** {code, reason, by} — the control channel closed (by the service or the listener). */
  closed: 'relay:hc:closed',
  /** {code, status?} — the listener gave up (too many refusals). */
  failed: 'relay:hc:failed',
  /** {aborted} — close() finished. */
  shutdown: 'relay:hc:shutdown',
} as const);

export type HcChannel = (typeof HC_CHANNELS)[keyof typeof HC_CHANNELS];

export type HcEventData = Readonly<Record<string, string | number | boolean | undefined>>;

const NAMES: readonly HcChannel[] = Object.values(HC_CHANNELS);

/** Publishes on `relay:hc:*`; every event carries the listener's path and instance id. */
export class HcEventPublisher {
  readonly #base: HcEventData;
  /** Held here, so each publish skips the name lookup. */
  readonly #channels = new Map<HcChannel, diagnostics.Channel>();

  constructor(listener: string, instance: string) {
    this.#base = Object.freeze({ listener, instance });
    for (const name of NAMES) this.#channels.set(name, diagnostics.channel(name));
  }

  /** True when someone listens on `channel` (build a payload only then, on hot paths). */
  has(channel: HcChannel): boolean {
    return this.#channels.get(channel)?.hasSubscribers === true;
  }

  publish(channel: HcChannel, data: HcEventData = {}): void {
    const ch = this.#channels.get(channel);
    if (ch?.hasSubscribers === true) ch.publish({ ...this.#base, ...data });
  }
}
