// The health/metrics endpoint API in one import. In: nothing. Out: startHealthServer, the
// HealthSnapshot types, the Prometheus registry (createMetrics) and the relay-health errors.
export * from './errors';
export * from './metrics';
export * from './server';
export type * from './snapshot';
