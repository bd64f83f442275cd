// The broker engine's public surface, for the AMQP edge and the control API. In: nothing.
// Out: the engine class, its contract types, its errors and the config helpers.
export {
  ServiceBusEngine,
  DEAD_LETTER_QUEUE,
  MAX_DELIVERY_REASON,
  TTL_EXPIRED_REASON,
  TTL_EXPIRED_DESCRIPTION,
} from './engine';
export { SIM_SB_ERRORS, SimServiceBusError, type SimServiceBusCode } from './errors';
export * from './types';
export {
  parseNamespaceConfig,
  defaultNamespaceConfig,
  sasRules,
  sasScope,
  type NamespaceConfig,
  type NamespaceConfigInput,
} from '../config';
