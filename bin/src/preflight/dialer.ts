// Where preflight's sockets go. In: a logical (host, address, port): the namespace name, an
// address its DNS answered and a guide port. Out: the socket target (the address itself on a
// real server; the simulator's loopback endpoint through a network map) or "not served" when
// the map has no endpoint for it. A map that points anywhere but loopback is refused
// (PREFLIGHT_E_MAP): preflight run against the simulator never dials anything else.
import { isIP } from 'node:net';
import { mapEndpoint, type NetworkMapSource } from '../../../relay/src/connectivity/network-map';
import { PreflightError } from './errors';

export interface LogicalTarget {
  readonly host: string;
  /** Canonical address text, one of the host's DNS answers. */
  readonly address: string;
  readonly port: number;
}

export type DialDecision =
  | {
      readonly kind: 'dial';
      readonly host: string;
      readonly port: number;
      /** True when a network map supplied the target. */
      readonly mapped: boolean;
    }
  | { readonly kind: 'not-served'; readonly reason: string };

/** Decides where a logical target is dialled (injectable: tests map to the simulator). */
export type Dialer = (target: LogicalTarget) => Promise<DialDecision>;

/** A real server: the resolved address itself. */
export const directDialer: Dialer = (t) =>
  Promise.resolve({ kind: 'dial', host: t.address, port: t.port, mapped: false });

/** True for 127.0.0.0/8 and ::1 (and ::ffff:127.x.y.z). */
export function isLoopbackAddress(address: string): boolean {
  const a = address.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  if (isIP(a) === 4) return a.startsWith('127.');
  if (isIP(a) !== 6) return false;
  if (a === '::1' || a === '0:0:0:0:0:0:0:1') return true;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(a);
  return mapped?.[1]?.startsWith('127.') === true;
}

/**
 * Through the simulator's network map (the relay's own lookup, mapEndpoint): the loopback port
 * that stands for the logical address and port, or not served. The map is read on every call,
 * so a live map file follows the simulator's changes.
 */
export function mapDialer(source: NetworkMapSource): Dialer {
  return async (t) => {
    const map = await source.read();
    const endpoint = mapEndpoint(map, t.address, t.port);
    if (endpoint === undefined) {
      return {
        kind: 'not-served',
        reason: `the network map (${source.label}) has no endpoint for ${t.address} port ${t.port}`,
      };
    }
    if (!isLoopbackAddress(endpoint.dial.host)) {
      throw new PreflightError(
        'PREFLIGHT_E_MAP',
        `the network map (${source.label}) sends ${t.address}:${t.port} to ${endpoint.dial.host}, which is not loopback: refused`,
        { address: t.address, port: t.port },
      );
    }
    return { kind: 'dial', host: endpoint.dial.host, port: endpoint.dial.port, mapped: true };
  };
}
