// The relay's transports, as one import. In: nothing. Out: the Hybrid Connections listener,
// its config parser, handler types, socket adapters (ws + the streaming client,
// browser-style), the RFC 6455 frame reader, events and errors.
export {
  HybridListener,
  createHybridListener,
  classifyHandshake,
  isRetryable,
  listenerConfig,
  sameService,
  dialTarget,
  HC_LOG_REDACT,
  type DialPolicy,
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
export {
  clientSocketFactory,
  wsSocketFactory,
  type ClientSocketFactoryOptions,
  type WsConstructor,
  type WsSocketFactoryOptions,
} from './ws-socket';
export { openClientSocket, openStreamingSocket, acceptFor, type WsTlsOptions } from './ws-client';
export {
  FrameReader,
  OPCODE,
  closePayload,
  isValidCloseCode,
  maskedFrame,
  type FrameLimits,
  type FrameSink,
} from './ws-frames';
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
  type StreamingHcSocket,
  type StreamingSocketHandlers,
} from './socket';
export { systemScheduler, type RandomSource, type Scheduler, type TimerHandle } from './scheduler';
