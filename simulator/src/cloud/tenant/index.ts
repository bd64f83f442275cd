// The tenant driver's public entry ("the digital services" of one council). In: nothing. Out:
// startTenantDriver and its option, handle and reply types, the config parser, the contract
// names, the `sim:tenant:*` channel names and the `sim-tenant` error family.
export {
  startTenantDriver,
  type SendWorkOptions,
  type TenantDriver,
  type TenantDriverOptions,
  type WorkReply,
} from './driver';
export type { CallOptions, CallReply } from './hybrid-call';
export {
  parseTenantDriverConfig,
  decodeTenantKey,
  type TenantDriverConfig,
  type TenantDriverConfigInput,
  type TenantKeyConfig,
} from './config';
export type { TenantSessionView } from './registry';
export {
  TENANT_DEFAULT_ENTITIES,
  TENANT_PROPERTY,
  TENANT_SUBJECT,
  TENANT_HELLO_TTL_MS,
  type TenantEntities,
} from './contract';
export { TENANT_CHANNELS, type TenantEventData } from './events';
export { SIM_TENANT_ERRORS, SimTenantError, type SimTenantCode } from './errors';
