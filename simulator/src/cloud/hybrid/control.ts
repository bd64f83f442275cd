// The Hybrid Connections endpoint's control API: JSON over HTTP, bound to loopback only (the
// shared server of simulator/src/control/json-http.ts). In: HTTP requests from suites and
// users. Out: JSON answers; listener channels closed or expired; the rendezvous fault switch.
//
//   GET  /hybrid-connections                  every path with its listener count
//   GET  /listeners[?path=<hc>]               the open control channels
//   POST /listeners/close                     {"path"?, "id"?, "code", "reason"?}: closes the
//                                             matching channels with that close code
//   POST /listeners/expire-token              {"path"?, "id"?}: ends them as an expired token
//                                             would (1008)
//   GET  /faults                              the current fault switches
//   POST /faults/rendezvous                   {"mode": "drop" | "delay" | null, "delayMs"?,
//                                             "count"?}: drop or delay the next `count` (or
//                                             every) rendezvous handshakes; null: off
import { sendableCloseCode } from './bridge';
import type { HybridNamespaceConfig } from './config';
import type { HybridFaults } from './context';
import type { HybridEndpoint, ListenerFilter } from './endpoint';
import {
  SimControlError,
  field,
  nonNegative,
  startControlServer,
  type ControlApi,
} from '../../control/json-http';

export type { ControlApi } from '../../control/json-http';

export interface HybridControlTarget {
  readonly config: HybridNamespaceConfig;
  readonly endpoint: Pick<HybridEndpoint, 'listeners' | 'closeListeners' | 'expireTokens'>;
  readonly faults: HybridFaults;
}

function optionalText(body: unknown, name: string): string | undefined {
  const v = field(body, name);
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string' || v === '' || v.length > 256) {
    throw new SimControlError('SIM_E_CTL_REQUEST', `"${name}" must be a non-empty string`);
  }
  return v;
}

function filterOf(body: unknown): ListenerFilter {
  return { path: optionalText(body, 'path'), id: optionalText(body, 'id') };
}

function faultsView(f: HybridFaults): Record<string, unknown> {
  const r = f.rendezvous;
  return {
    rendezvous:
      r === undefined ? null : { mode: r.mode, delayMs: r.delayMs, remaining: r.remaining ?? null },
  };
}

/** Routes one request; returns the JSON to answer or throws a typed error. */
export async function handleHybridControl(
  target: HybridControlTarget,
  method: string,
  url: URL,
  body: () => Promise<unknown>,
): Promise<unknown> {
  const route = `${method} ${url.pathname}`;
  switch (route) {
    case 'GET /hybrid-connections':
      return {
        hybridConnections: target.config.hybridConnections.map((h) => ({
          path: h.path,
          requiresClientAuthorization: h.requiresClientAuthorization,
          listeners: target.endpoint.listeners({ path: h.path }).length,
        })),
      };
    case 'GET /listeners': {
      const path = url.searchParams.get('path') ?? undefined;
      return { listeners: target.endpoint.listeners({ path }) };
    }
    case 'POST /listeners/close': {
      const b = await body();
      const code = field(b, 'code');
      if (typeof code !== 'number' || !sendableCloseCode(code)) {
        throw new SimControlError(
          'SIM_E_CTL_REQUEST',
          '"code" must be a close code a server may send (1000-1003, 1007-1014, 3000-4999)',
        );
      }
      const reason = optionalText(b, 'reason') ?? 'closed through the control API';
      return { closed: target.endpoint.closeListeners(filterOf(b), code, reason.slice(0, 120)) };
    }
    case 'POST /listeners/expire-token':
      return { expired: target.endpoint.expireTokens(filterOf(await body())) };
    case 'GET /faults':
      return faultsView(target.faults);
    case 'POST /faults/rendezvous': {
      const b = await body();
      const mode = field(b, 'mode');
      if (mode === null) {
        target.faults.rendezvous = undefined;
        return faultsView(target.faults);
      }
      if (mode !== 'drop' && mode !== 'delay') {
        throw new SimControlError('SIM_E_CTL_REQUEST', '"mode" is "drop", "delay" or null');
      }
      const delayRaw = field(b, 'delayMs');
      const delayMs = mode === 'delay' ? nonNegative(delayRaw, 'delayMs') : 0;
      const countRaw = field(b, 'count');
      const remaining =
        countRaw === undefined || countRaw === null ? undefined : nonNegative(countRaw, 'count');
      target.faults.rendezvous = { mode, delayMs, remaining };
      return faultsView(target.faults);
    }
    default:
      throw new SimControlError('SIM_E_CTL_ROUTE', `no route ${route}`);
  }
}

/** Starts the control API on loopback (port 0 unless given). */
export function startHybridControlApi(
  target: HybridControlTarget,
  options: { readonly host?: string; readonly port?: number } = {},
): Promise<ControlApi> {
  return startControlServer(
    (method, url, body) => handleHybridControl(target, method, url, body),
    options,
  );
}
