// The network model's control API: JSON over HTTP on loopback, on the simulator's shared
// control server. In: requests from suites and users. Out: JSON answers and changes to the
// DNS model, the firewall rules and the faults, applied to the proxies before the answer.
//
//   GET    /state                       endpoints, DNS answers, rules and faults at once
//   GET    /endpoints                   the endpoint map with states and connection counts
//   GET    /relay-config                the relay config JSON (docs/network-model.md)
//   GET    /dns                         every name's answer and history
//   POST   /dns/answer                  {"name", "addresses": [...]}: set an answer (may be poisoned)
//   POST   /dns/move                    {"name"}: move the name to another prefix of the ranges
//   GET    /firewall                    {"defaultPolicy", "rules"}
//   PUT    /firewall                    {"defaultPolicy"?, "rules", "existing"?: "keep"|"apply"}
//   GET    /faults                      the active faults
//   POST   /faults                      a fault {name?, type, direction?, toxicity?, attributes?, endpoint?}
//   DELETE /faults?name=<name>          remove one fault
//   POST   /faults/clear                remove every fault
//   GET    /events?after=<seq>&limit=<n>  the event log after a sequence number
//   POST   /reset                       {"connections"?: "keep"|"reset"}: back to the start state
import { SimControlError, field, startControlServer, type ControlApi } from '../control/json-http';
import { faultToJson } from './faults';
import { rulesetToJson } from './firewall';
import type { NetworkModel } from './model';

function text(body: unknown, name: string): string {
  const v = field(body, name);
  if (typeof v !== 'string' || v === '') {
    throw new SimControlError('SIM_E_CTL_REQUEST', `"${name}" must be non-empty text`);
  }
  return v;
}

function oneOf<T extends string>(
  value: unknown,
  name: string,
  allowed: readonly T[],
  fallback: T,
): T {
  if (value === undefined) return fallback;
  if (typeof value === 'string' && (allowed as readonly string[]).includes(value))
    return value as T;
  throw new SimControlError('SIM_E_CTL_REQUEST', `"${name}" is one of ${allowed.join(', ')}`);
}

function count(url: URL, name: string, fallback: number, max: number): number {
  const raw = url.searchParams.get(name);
  if (raw === null) return fallback;
  if (!/^\d{1,9}$/.test(raw)) {
    throw new SimControlError(
      'SIM_E_CTL_REQUEST',
      `the query parameter "${name}" must be a whole number`,
    );
  }
  return Math.min(Number(raw), max);
}

function endpointsView(model: NetworkModel): unknown[] {
  return [...model.endpoints.values()];
}

/** Routes one request. */
export async function handleNetworkControl(
  model: NetworkModel,
  method: string,
  url: URL,
  body: () => Promise<unknown>,
): Promise<unknown> {
  const route = `${method} ${url.pathname}`;
  switch (route) {
    case 'GET /state':
      return {
        endpoints: endpointsView(model),
        dns: model.dns.records(),
        firewall: rulesetToJson(model.firewall.ruleset),
        faults: model.faults.list().map(faultToJson),
      };
    case 'GET /endpoints':
      return { endpoints: endpointsView(model) };
    case 'GET /relay-config':
      return model.relayConfig();
    case 'GET /dns':
      return { hosts: model.dns.records() };
    case 'POST /dns/answer': {
      const b = await body();
      const addresses = field(b, 'addresses');
      if (!Array.isArray(addresses) || addresses.some((a) => typeof a !== 'string')) {
        throw new SimControlError('SIM_E_CTL_REQUEST', '"addresses" must be a list of addresses');
      }
      const record = model.dns.setAnswer(text(b, 'name'), addresses as string[]);
      await model.settled();
      return record;
    }
    case 'POST /dns/move': {
      const record = model.dns.move(text(await body(), 'name'));
      await model.settled();
      return record;
    }
    case 'GET /firewall':
      return rulesetToJson(model.firewall.ruleset);
    case 'PUT /firewall': {
      const b = await body();
      const existing = oneOf(field(b, 'existing'), 'existing', ['keep', 'apply'], 'keep');
      const input = typeof b === 'object' && b !== null ? { ...(b as Record<string, unknown>) } : b;
      if (typeof input === 'object' && input !== null)
        delete (input as Record<string, unknown>).existing;
      const ruleset = await model.firewall.set(input as never, { existing });
      return rulesetToJson(ruleset);
    }
    case 'GET /faults':
      return { faults: model.faults.list().map(faultToJson) };
    case 'POST /faults':
      return faultToJson(await model.faults.add((await body()) as never));
    case 'DELETE /faults': {
      const name = url.searchParams.get('name');
      if (name === null || name === '') {
        throw new SimControlError(
          'SIM_E_CTL_REQUEST',
          'the query parameter "name" names the fault',
        );
      }
      return { removed: faultToJson(await model.faults.remove(name)) };
    }
    case 'POST /faults/clear':
      await model.faults.clear();
      return { faults: [] };
    case 'GET /events': {
      const after = count(url, 'after', 0, Number.MAX_SAFE_INTEGER);
      const limit = count(url, 'limit', 1000, 10_000);
      const events = model.events.since(after, limit);
      return { events, last: model.events.lastSeq, dropped: model.events.dropped };
    }
    case 'POST /reset': {
      const connections = oneOf(
        field(await body(), 'connections'),
        'connections',
        ['keep', 'reset'],
        'keep',
      );
      await model.reset({ connections });
      return { reset: true, connections };
    }
    default:
      throw new SimControlError('SIM_E_CTL_ROUTE', `no route ${route}`);
  }
}

/** Starts the control API on loopback (port 0 unless given). */
export function startNetworkControl(
  model: NetworkModel,
  options: { readonly host?: string; readonly port?: number } = {},
): Promise<ControlApi> {
  return startControlServer(
    (method, url, body) => handleNetworkControl(model, method, url, body),
    options,
  );
}
