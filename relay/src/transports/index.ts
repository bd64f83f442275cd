// The relay's transports, as one import. In: nothing. Out: the Hybrid Connections listener,
// its config parser, handler types, socket adapters (ws, browser-style), events and errors.
export {
  HybridListener,
  createHybridListener,
  classifyHandshake,
  isRetryable,
  listenerConfig,
  sameService,
  dialTarget,
  HC_LOG_REDACT,
  type DialPurpose,
  type HcListenerDeps,
  type HcListenerEvents,
  type HcListenerState,
} from './hc-listener';
export {
  parseHcListenerConfig,
  CONTROL_BODY_LIMIT,
  CONTROL_HEADER_LIMIT,
  DEFAULT_RECONNECT_DELAYS_MS,
  WSS_PORTS,
  type HcListenerConfig,
  type HcListenerConfigInput,
} from './hc-config';
export type { HcHandler, HcHeaders, HcMode, HcRequest, HcResponse } from './hc-handler';
export { HC_CHANNELS, type HcChannel, type HcEventData } from './hc-events';
export { HcError, RELAY_HC_ERRORS, isHcError, type HcErrorCode } from './errors';
export { baseDelay, delayBounds, reconnectDelay } from './hc-backoff';
export { wsSocketFactory, type WsConstructor } from './ws-socket';
export {
  browserSocketFactory,
  browserCloseCode,
  type BrowserWebSocket,
  type BrowserWebSocketConstructor,
} from './browser-socket';
export {
  CLOSE,
  type DialTarget,
  type HcSocket,
  type SocketFactory,
  type SocketHandlers,
  type SocketOptions,
} from './socket';
export { systemScheduler, type RandomSource, type Scheduler, type TimerHandle } from './scheduler';
