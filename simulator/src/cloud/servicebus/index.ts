// The simulated Service Bus namespace's public entry. In: nothing. Out: the start function
// and its option and handle types, the config helpers, the error families of the edge and
// the engine, and the diagnostics channel names, for the CLI, suites and other parts.
export {
  startServiceBusSimulator,
  generateKey,
  type ServiceBusSimulator,
  type ServiceBusSimulatorOptions,
  type ListenerConfig,
  type ListenerInfo,
} from './amqp/server';
export type { EdgeFaults, EdgeLimits } from './amqp/edge';
export type { ListenerKind } from './amqp/listeners';
export { WEBSOCKET_PATH, WEBSOCKET_PROTOCOL } from './amqp/listeners';
export { SIM_AMQP_ERRORS, SimAmqpError, type SimAmqpCode } from './amqp/errors';
export { EDGE_CHANNELS, ALL_CHANNELS } from './amqp/events';
export {
  parseNamespaceConfig,
  defaultNamespaceConfig,
  sasRules,
  type NamespaceConfig,
  type NamespaceConfigInput,
} from './config';
export { SIM_SB_ERRORS, SimServiceBusError } from './engine/errors';
