// Observability of the simulated Hybrid Connections endpoint for suites and tests. In: the
// endpoint's decisions (listener connected or refused, every control-channel frame, request
// routing, responses, 502/504, token renewal and expiry, close codes, rendezvous opened,
// expired, rejected, dropped). Out: messages on node:diagnostics_channel channels named
// `sim:hc:*`. Payloads are flat objects of strings, numbers and booleans; a token, key,
// signature or rendezvous address is never published.
import diagnostics from 'node:diagnostics_channel';

export const HC_CHANNELS = Object.freeze({
  /** A server socket is bound: {listener, port}. */
  listening: 'sim:hc:listening',
  /** A listener's control channel is open: {path, listenerId, clientId, via, count}. */
  listenerConnected: 'sim:hc:listener-connected',
  /** A listener handshake was refused: {path, status, code, reason}. */
  listenerRefused: 'sim:hc:listener-refused',
  /** A control channel closed: {path, listenerId, code, reason, by: service|listener}. */
  listenerClosed: 'sim:hc:listener-closed',
  /** One message on a control or rendezvous channel: {direction: in|out, channel, verb, bytes}. */
  frame: 'sim:hc:frame',
  /** An HTTP request was routed: {path, requestId, listenerId, route, method, bodyBytes, headerBytes}. */
  request: 'sim:hc:request',
  /** The sender got the listener's answer: {requestId, status, route, bodyBytes}. */
  response: 'sim:hc:response',
  /** 504: {requestId, path, listenerId, stage}. */
  timeout: 'sim:hc:timeout',
  /** 502 with no listener, or a request lost with its listener: {path, method, code}. */
  badGateway: 'sim:hc:bad-gateway',
  /** A sender (HTTP or WebSocket) was refused before routing: {path, status, code, reason}. */
  senderRefused: 'sim:hc:sender-refused',
  /** Token renewed, expired, renewal refused: {path, listenerId, action, expiresAt, reason}. */
  token: 'sim:hc:token',
  /** Rendezvous: {kind: request|response|accept, id, event, status}. */
  rendezvous: 'sim:hc:rendezvous',
  /** WebSocket mode: {path, id, listenerId, outcome: offered|accepted|rejected|timeout, status}. */
  connect: 'sim:hc:connect',
  /** A malformed or unexpected message: {channel, code, detail, action: closed|ignored}. */
  protocolError: 'sim:hc:protocol-error',
  /** A TLS handshake failed: {listener, remote, error}. */
  tls: 'sim:hc:tls',
} as const);

export type HcChannel = (typeof HC_CHANNELS)[keyof typeof HC_CHANNELS];
export const HC_ALL_CHANNELS: readonly HcChannel[] = Object.freeze(Object.values(HC_CHANNELS));

export type HcEventData = Readonly<Record<string, string | number | boolean | undefined>>;

/** Publishes on one channel; cheap when nobody listens. `namespace` tags every event. */
export class HcEvents {
  readonly #namespace: string;

  constructor(namespace: string) {
    this.#namespace = namespace;
  }

  publish(channel: HcChannel, data: HcEventData): void {
    const c = diagnostics.channel(channel);
    if (c.hasSubscribers) c.publish({ namespace: this.#namespace, ...data });
  }
}
