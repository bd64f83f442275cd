// The simulated Hybrid Connections endpoint's public entry. In: nothing. Out: the start
// function and its option and handle types, the config helpers, the error family, the
// event channel names, the scheduler (real and manual) and the protocol test listener.
export {
  startHybridSimulator,
  type HybridSimulator,
  type HybridSimulatorOptions,
  type HybridListenerConfig,
  type HybridListenerInfo,
  type TokenOptions,
} from './server';
export type { HybridListenerKind, HybridFaults } from './context';
export type { ListenerView, ListenerFilter } from './endpoint';
export {
  parseHybridConfig,
  parseHybridLimits,
  hybridSasRules,
  DEFAULT_LIMITS,
  type HybridNamespaceConfig,
  type HybridNamespaceConfigInput,
  type HybridLimits,
  type HybridLimitsInput,
} from './config';
export { SIM_HC_ERRORS, SimHybridError, HC_CLOSE_CODES, type SimHybridCode } from './errors';
export { HC_CHANNELS, HC_ALL_CHANNELS } from './events';
export { systemScheduler, ManualScheduler, type Scheduler, type Cancel } from './scheduler';
export { handleHybridControl, startHybridControlApi } from './control';
export {
  TestListener,
  FrameQueue,
  HandshakeRefused,
  openSocket,
  openQueue,
  relayRequest,
  testHybridConfig,
  captureEvents,
  nextEvent,
  type RelayedResponse,
  type Received,
  type PeerOptions,
} from './testing';
