// Re-exports for the back-off test, plus the reconnect schedule it compares against. In:
// nothing. Out: the connectivity API and reconnectDelayFor(attempt, random) with the
// default delays and jitter, computed by the transports' shared back-off functions.
import { reconnectDelay } from '../../../src/transports/hc-backoff';
import { DEFAULT_RECONNECT_DELAYS_MS } from '../../../src/connectivity';

export { createConnectivity, createEgress, type Prober } from '../../../src/connectivity';

export function reconnectDelayFor(attempt: number, random: () => number): number {
  return reconnectDelay(attempt, DEFAULT_RECONNECT_DELAYS_MS, 0.2, random);
}
