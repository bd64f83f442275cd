// The relay config API in one import. In: nothing. Out: parseRelayConfig (pure) and
// loadRelayConfig (reads the file, checks the files it names), the RelayConfig types, the
// JSON Schema for editors, the RELAY_E_CONFIG error family and the loopback test the health
// endpoint shares.
export {
  configError,
  formatPath,
  isRelayConfigError,
  RELAY_CONFIG_ERRORS,
  RelayConfigError,
  type ConfigLocation,
  type RelayConfigErrorCode,
} from './errors';
export { isLoopbackHost } from './loopback';
export {
  checkReferencedFiles,
  loadRelayConfig,
  MAX_CA_FILE_BYTES,
  type LoadRelayConfigOptions,
} from './load';
export { defaultInstanceId, parseRelayConfig, type ParseRelayConfigOptions } from './parse';
export {
  CONFIG_VERSION,
  DEFAULT_EGRESS_PORTS,
  DEFAULT_HEALTH_PORT,
  DEFAULT_RECONNECT_DELAYS_MS,
  LOG_LEVELS,
  relayConfigJsonSchema,
  relayConfigSchema,
  SERVED_PORTS,
  type RelayConfigInput,
} from './schema';
export { REDACTED, redactedCopy, type Environment } from './secrets';
export { formatForFile, MAX_CONFIG_BYTES, type ConfigFormat } from './source';
export * from './types';
