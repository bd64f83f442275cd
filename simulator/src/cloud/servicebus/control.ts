// The simulated namespace's control API: JSON over HTTP, bound to loopback only. In: HTTP
// requests from suites and users (list entities and messages, peek dead-letter queues,
// purge, inject faults). Out: JSON answers; state changes in the engine and in the fault
// switches the AMQP edge consults (refuse CBS, delay dispositions, throttle, drop connections).
//
//   GET    /entities                       every entity with its counts
//   GET    /messages?path=<entity>         the messages an entity holds (payloads left out)
//   GET    /deadletter?path=<entity>       the messages of <entity>/$DeadLetterQueue
//   DELETE /messages?path=<entity>         purge; answers {"purged": n}
//   GET    /faults                         the current fault switches
//   POST   /faults/cbs                     {"status": 401 | 403 | 503 | null}: answer every
//                                          put-token with that status (null: verify again)
//   POST   /faults/dispositions            {"delayMs": n}: delay every settlement reply by n ms
//   POST   /faults/server-busy             {"busy": true | false, "entities"?: ["<entity>", ...]}:
//                                          throttling: receive attaches, credit and settlements
//                                          refused with com.microsoft:server-busy (every entity,
//                                          or those named and their sub-queues); false: over
//   POST   /faults/drop-connections        {}: close every AMQP connection; answers {"dropped": n}
//   POST   /faults/lock-loss               {"lockToken": "<uuid>" | "all"}: answers {"lost": n}
import { RelaycheckError } from '../../../../relay/src/protocol/errors';
import {
  SimControlError,
  field,
  nonNegative,
  startControlServer,
  type ControlApi,
} from '../../control/json-http';
import type { MessageSnapshot, ServiceBusEngineApi } from './engine/types';
import { SimServiceBusError } from './engine/errors';

export { SIM_CONTROL_ERRORS, SimControlError, type ControlApi } from '../../control/json-http';

/**
 * Fault switches: set by the control API, read by the AMQP edge on every decision (the
 * same shape as the edge's EdgeFaults).
 */
export interface ServiceBusFaults {
  /** Answer every CBS put-token with this status instead of verifying it; undefined: off. */
  refuseCbs?: number | undefined;
  /** Hold every disposition answer this long (ms); undefined or 0: off. */
  dispositionDelayMs?: number | undefined;
  /** Throttling: receives and settlements refused with com.microsoft:server-busy. */
  serverBusy?: true | undefined;
  /** Only these entities are throttled (undefined: all). */
  serverBusyEntities?: readonly string[] | undefined;
}

export function noFaults(): ServiceBusFaults {
  return {};
}

/** The statuses a put-token refusal may carry: what Azure answers when it refuses one. */
const CBS_REFUSALS = new Set([401, 403, 404, 500, 503]);

/** What the control API acts on. */
export interface ControlTarget {
  readonly engine: ServiceBusEngineApi;
  readonly faults: ServiceBusFaults;
  /** Closes every AMQP connection of the simulator; returns how many. */
  dropConnections(): number;
}

/** A message as the control API shows it: everything but the opaque payload. */
export function describeMessage(m: MessageSnapshot): Record<string, unknown> {
  const { message, ...rest } = m;
  return { ...rest, size: message.size, contentType: message.contentType ?? null };
}

function entityPath(url: URL): string {
  const path = url.searchParams.get('path');
  if (path === null || path === '') {
    throw new SimControlError('SIM_E_CTL_REQUEST', 'the query parameter "path" names the entity');
  }
  return path;
}

/** Routes one request. Pure but for the target's state; returns the JSON to answer. */
export async function handleControl(
  target: ControlTarget,
  method: string,
  url: URL,
  body: () => Promise<unknown>,
): Promise<unknown> {
  const route = `${method} ${url.pathname}`;
  switch (route) {
    case 'GET /entities':
      return { entities: target.engine.listEntities() };
    case 'GET /messages':
      return { messages: target.engine.messages(entityPath(url)).map(describeMessage) };
    case 'GET /deadletter': {
      const path = target.engine.resolvePath(entityPath(url));
      return { messages: target.engine.messages(`${path}/$DeadLetterQueue`).map(describeMessage) };
    }
    case 'DELETE /messages':
      return { purged: target.engine.purge(entityPath(url)) };
    case 'GET /faults':
      return faultsView(target.faults);
    case 'POST /faults/cbs': {
      const status = field(await body(), 'status');
      if (status !== null && !(typeof status === 'number' && CBS_REFUSALS.has(status))) {
        throw new SimControlError(
          'SIM_E_CTL_REQUEST',
          `"status" is one of ${[...CBS_REFUSALS].join(', ')}, or null to verify tokens again`,
        );
      }
      target.faults.refuseCbs = status ?? undefined;
      return faultsView(target.faults);
    }
    case 'POST /faults/dispositions': {
      const delay = nonNegative(field(await body(), 'delayMs'), 'delayMs');
      target.faults.dispositionDelayMs = delay === 0 ? undefined : delay;
      return faultsView(target.faults);
    }
    case 'POST /faults/server-busy': {
      const input = await body();
      const busy = field(input, 'busy');
      if (typeof busy !== 'boolean') {
        throw new SimControlError('SIM_E_CTL_REQUEST', '"busy" is true or false');
      }
      const entities = field(input, 'entities');
      if (
        entities !== undefined &&
        !(
          Array.isArray(entities) &&
          entities.length > 0 &&
          entities.length <= 100 &&
          entities.every((e) => typeof e === 'string' && e !== '' && e.length <= 260)
        )
      ) {
        throw new SimControlError(
          'SIM_E_CTL_REQUEST',
          '"entities" is a list of 1-100 entity paths (leave it out to throttle every entity)',
        );
      }
      target.faults.serverBusy = busy ? true : undefined;
      target.faults.serverBusyEntities =
        busy && entities !== undefined ? Object.freeze([...(entities as string[])]) : undefined;
      return faultsView(target.faults);
    }
    case 'POST /faults/drop-connections':
      return { dropped: target.dropConnections() };
    case 'POST /faults/lock-loss': {
      const token = field(await body(), 'lockToken');
      if (typeof token !== 'string' || token === '') {
        throw new SimControlError('SIM_E_CTL_REQUEST', '"lockToken" is a lock token or "all"');
      }
      return { lost: target.engine.forceLockLoss(token) };
    }
    default:
      throw new SimControlError('SIM_E_CTL_ROUTE', `no route ${route}`);
  }
}

function faultsView(f: ServiceBusFaults): {
  refuseCbs: number | null;
  dispositionDelayMs: number;
  serverBusy: boolean;
  serverBusyEntities: readonly string[] | null;
} {
  return {
    refuseCbs: f.refuseCbs ?? null,
    dispositionDelayMs: f.dispositionDelayMs ?? 0,
    serverBusy: f.serverBusy === true,
    serverBusyEntities: f.serverBusyEntities ?? null,
  };
}

function statusOf(e: RelaycheckError): number {
  if (e instanceof SimServiceBusError)
    return e.code === 'SIM_E_SB_NOT_FOUND' ? 404 : (e.http ?? 400);
  return e.http ?? 500;
}

/** Starts the control API on loopback (port 0 unless given). */
export function startControlApi(
  target: ControlTarget,
  options: { readonly host?: string; readonly port?: number } = {},
): Promise<ControlApi> {
  return startControlServer((method, url, body) => handleControl(target, method, url, body), {
    ...options,
    statusOf,
  });
}
