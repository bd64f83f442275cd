// Hybrid Connections through the egress layer. In: the chosen mode, the egress layer. Out:
// the listener endpoint (wss://<host>:9352 in tcp mode, wss://<host>:443 in https mode), the
// listener's `dial` (control, rendezvous and reject URLs planned, checked and mapped before
// any packet: the returned URL names the loopback target from the network map, or the
// checked address itself in production so the name is not resolved again) and the socket
// factory with the configured CA and minVersion (the listener keeps the logical Host header
// and TLS server name through its dialTarget()). Every listener socket shares the egress trust
// set's one secure context (tls-trust.ts: trustContext): store, minVersion, cipher list.
import type { SecureContext } from 'node:tls';
import type { WsTlsOptions } from '../transports/ws-client';
import { wsSocketFactory } from '../transports/ws-socket';
import type { SocketFactory } from '../transports/socket';
import type { Egress } from './egress';
import { EgressError } from './errors';
import type { Mode } from './modes';
import { RELAY_TLS_CIPHERS, trustContext } from './tls-trust';

/** The listener endpoint for a mode. */
export function hybridEndpointFor(mode: Mode, egress: Egress): string {
  const host = egress.settings.hybrid?.host;
  if (host === undefined) {
    throw new EgressError('RELAY_E_EGRESS_CONFIG', 'relay config hybrid.host: not configured', {
      path: 'hybrid.host',
    });
  }
  if (mode === 'tcp') return `wss://${host}:9352`;
  if (mode === 'https') return `wss://${host}:443`;
  throw new EgressError(
    'RELAY_E_EGRESS_MODE',
    `no Hybrid Connections endpoint for mode ${JSON.stringify(mode)}: only tcp and https carry traffic`,
    { mode },
  );
}

/** The listener's dial policy: (logical URL, purpose) → the URL to dial. */
export type HybridDial = (url: URL, purpose: string) => Promise<URL>;

/** The HC listener's `deps.dial`: every control, rendezvous and reject URL is planned. */
export function hybridDial(egress: Egress): HybridDial {
  return async (url, purpose) => {
    const defaultPort = url.protocol === 'wss:' ? 443 : url.protocol === 'ws:' ? 80 : 0;
    const port = url.port === '' ? defaultPort : Number(url.port);
    const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
    const plan = await egress.plan({ host, port, purpose: `hc-${purpose}` });
    const out = new URL(url.toString());
    out.hostname = plan.dial.host.includes(':') ? `[${plan.dial.host}]` : plan.dial.host;
    out.port = String(plan.dial.port);
    return out;
  };
}

/**
 * The TLS options of every listener socket (control and rendezvous): the configured CA added
 * to Node's roots, minVersion, the relay's cipher list, verification always on. The listener
 * gives the logical host as the server name (its dialTarget), so the certificate is checked
 * against that name. `secureContext` (made once per trust set, tls-trust.ts) carries the store,
 * minVersion and the suites: the options are spread into tls.connect by ws and the streaming
 * client, and tls.connect uses the context rather than building one for every connection.
 */
export function hybridTlsOptions(egress: Egress): WsTlsOptions {
  const { minVersion } = egress.trust;
  const context = trustContext(egress.trust);
  const options: WsTlsOptions & { readonly secureContext: SecureContext } = {
    minVersion,
    ciphers: RELAY_TLS_CIPHERS,
    rejectUnauthorized: true,
    secureContext: context.secureContext,
    ...(context.ca === undefined ? {} : { ca: context.ca as string[] }),
  };
  return Object.freeze(options);
}

/** The listener's sockets (`deps.sockets`): `ws` for the control channel, the streaming client for rendezvous. */
export function hybridSockets(egress: Egress): SocketFactory {
  return wsSocketFactory(undefined, { tls: hybridTlsOptions(egress) });
}
