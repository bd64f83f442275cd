// The synchronous path for the messaging internals tests. In: a tap test. Out: the simulated
// Azure Relay endpoint (TLS listeners only: logical 443 and 9352, the default namespace with
// keys made at run time), OUR HybridListener on `council-tax` dialling the logical host on 9352
// through an endpoint map to the simulator's loopback port and trusting its CA, and the tenant
// driver's `hybrid` options (sender front on the https listener, the cloud-tenant Send rule).
import { randomBytes } from 'node:crypto';
import WebSocket from 'ws';
import {
  createHybridListener,
  wsSocketFactory,
  type HcHandler,
  type HybridListener,
} from '../../../relay/src/transports';
import { startHybridSimulator, type HybridSimulator } from '../../../simulator/src/cloud/hybrid';
import {
  defaultHybridConfig,
  DEFAULT_HYBRID_KEY_NAMES,
} from '../../../simulator/src/cloud/hybrid/defaults';
import type { TenantDriverConfigInput } from '../../../simulator/src/cloud/tenant';

export interface HybridPath {
  readonly sim: HybridSimulator;
  /** Starts OUR listener on a Hybrid Connection (default council-tax) and waits until it is open. */
  listen(handler: HcHandler, path?: string): Promise<HybridListener>;
  /** The tenant driver's `hybrid` options. */
  readonly tenantOptions: NonNullable<TenantDriverConfigInput['hybrid']>;
  /** A Send token for a Hybrid Connection (for raw requests). */
  sendToken(path: string): string;
}

export async function startHybridPath(t: tap.Test): Promise<HybridPath> {
  const key = (): string => randomBytes(32).toString('base64');
  const keys = { rootManageKey: key(), relayKey: key(), tenantKey: key() };
  const sim = await startHybridSimulator(defaultHybridConfig(keys), {
    listeners: { plain: false },
    control: false,
  });
  const listeners: HybridListener[] = [];
  t.teardown(async () => {
    await Promise.allSettled(listeners.map((l) => l.close()));
    await sim.close();
  });
  const https = sim.listeners.https;
  const tcp = sim.listeners.tcp;
  const ca = sim.caPem;
  if (https === undefined || tcp === undefined || ca === undefined) {
    throw new Error('the TLS listeners are not open');
  }
  // The endpoint map: the logical namespace host on 443 and 9352 only; anything else refused.
  const map = new Map([
    [`${sim.host}:443`, `127.0.0.1:${https.port}`],
    [`${sim.host}:9352`, `127.0.0.1:${tcp.port}`],
  ]);
  const dial = (url: URL): URL => {
    const port = url.port !== '' ? url.port : '443';
    const real = map.get(`${url.hostname}:${port}`);
    if (real === undefined) throw new Error(`no endpoint map entry for ${url.hostname}:${port}`);
    const mapped = new URL(url);
    mapped.host = real;
    return mapped;
  };
  const listen = async (handler: HcHandler, path = 'council-tax'): Promise<HybridListener> => {
    const listener = createHybridListener(
      {
        endpoint: `wss://${sim.host}:9352`,
        path,
        keyName: DEFAULT_HYBRID_KEY_NAMES.relay,
        key: keys.relayKey,
      },
      { handler, sockets: wsSocketFactory(WebSocket, { tls: { ca } }), dial },
    );
    listeners.push(listener);
    listener.start();
    await listener.ready();
    return listener;
  };
  return {
    sim,
    listen,
    tenantOptions: {
      url: https.url,
      host: sim.host,
      keyName: DEFAULT_HYBRID_KEY_NAMES.tenant,
      key: keys.tenantKey,
      ca,
    },
    sendToken: (path) =>
      sim.token(path, { keyName: DEFAULT_HYBRID_KEY_NAMES.tenant, right: 'Send' }),
  };
}
