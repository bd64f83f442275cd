// The relay's dispatcher: where a piece of work (opened from a sealed Service Bus message or a
// sealed Hybrid Connections request) goes in the council network. In: a route name, a method,
// a relative path, headers and a body (buffer or stream). Out: the back-office answer (status,
// headers, body stream), or a typed RelayRouteError. Only base URLs from the relay's config are
// ever called: the path is checked so that it cannot leave the configured service (no scheme,
// no authority, no dot segments, no backslashes or control characters).
import type { Readable } from 'node:stream';
import { request, type Dispatcher } from 'undici';
import { defineErrors, familyError } from '../protocol/errors';

export const RELAY_ROUTE_ERRORS = defineErrors('relay-route', {
  RELAY_E_ROUTE_UNKNOWN: {
    summary:
      'The work names a route the relay config does not list (or whose back-office service has no URL): refused, never forwarded.',
    http: 404,
  },
  RELAY_E_ROUTE_PATH: {
    summary:
      'The work names a back-office path that could leave the configured service (absolute URL, //, dot segments, backslash, control characters) or a method the relay does not forward.',
    http: 400,
  },
  RELAY_E_BACKOFFICE_UNAVAILABLE: {
    summary:
      'The back-office service could not be reached or did not answer (refused, reset, timed out): a transient failure, the work may be retried.',
    http: 503,
  },
});

export type RelayRouteErrorCode = (typeof RELAY_ROUTE_ERRORS.codes)[number];
export class RelayRouteError extends familyError(RELAY_ROUTE_ERRORS) {}

export interface RouteConfig {
  readonly name: string;
  /** The back-office service (a key of `backOffice`). */
  readonly service: string;
}

export interface DispatchConfig {
  readonly routes: readonly RouteConfig[];
  /** Service name → base URL. */
  readonly backOffice: Readonly<Record<string, string>>;
  /** Bound on one back-office exchange up to the response headers (default 30 s). */
  readonly headersTimeoutMs?: number;
}

export interface WorkRequest {
  readonly route: string;
  readonly method: string;
  /** Path and query relative to the service's base URL, starting with '/'. */
  readonly path: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: Buffer | Readable | undefined;
  readonly signal?: AbortSignal;
}

export interface WorkResponse {
  readonly status: number;
  /** Lower-case names; only content-type, content-length, location and retry-after. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Readable;
}

export type Dispatch = (work: WorkRequest) => Promise<WorkResponse>;

const METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'POST', 'PUT']);
/** Request headers passed on to the back office; everything else stays behind. */
const FORWARDED = ['content-type', 'accept', 'idempotency-key'] as const;
const RETURNED = ['content-type', 'content-length', 'location', 'retry-after'] as const;
// eslint-disable-next-line no-control-regex
const UNSAFE_PATH = /[\u0000-\u0020\u007f\\#]|%2e|%2f|%5c|%00/i;

/** Checks a relative path: '/x/y?q', no way out of the configured base. */
export function checkPath(path: string): string {
  const fail = (why: string): never => {
    throw new RelayRouteError('RELAY_E_ROUTE_PATH', `the back-office path is refused: ${why}`, {
      path: path.slice(0, 120),
    });
  };
  if (path.length === 0 || path.length > 2048) fail('empty or longer than 2048 characters');
  if (!path.startsWith('/') || path.startsWith('//')) fail('it must start with a single "/"');
  if (UNSAFE_PATH.test(path)) fail('it holds a control, space, backslash, # or encoded separator');
  const [pathname = ''] = path.split('?', 1);
  if (pathname.split('/').some((s) => s === '.' || s === '..')) fail('it holds a dot segment');
  return path;
}

/** Builds the dispatcher over the configured routes and back-office URLs. */
export function createDispatch(config: DispatchConfig, dispatcher?: Dispatcher): Dispatch {
  const bases = new Map<string, URL>();
  for (const r of config.routes) {
    const base = config.backOffice[r.service];
    if (base !== undefined) bases.set(r.name, new URL(base.endsWith('/') ? base : `${base}/`));
  }
  return async (work) => {
    const base = bases.get(work.route);
    if (base === undefined) {
      throw new RelayRouteError('RELAY_E_ROUTE_UNKNOWN', `no route "${work.route.slice(0, 64)}"`, {
        route: work.route.slice(0, 64),
      });
    }
    const method = work.method.toUpperCase();
    if (!METHODS.has(method)) {
      throw new RelayRouteError(
        'RELAY_E_ROUTE_PATH',
        `the method ${method.slice(0, 16)} is not forwarded`,
        {
          route: work.route,
        },
      );
    }
    const url = new URL(checkPath(work.path).slice(1), base);
    if (url.origin !== base.origin || !url.pathname.startsWith(base.pathname)) {
      throw new RelayRouteError('RELAY_E_ROUTE_PATH', 'the path leaves the configured service', {
        route: work.route,
      });
    }
    const headers: Record<string, string> = {};
    for (const name of FORWARDED) {
      const v = work.headers?.[name];
      if (v !== undefined) headers[name] = v;
    }
    try {
      const res = await request(url, {
        method: method,
        headers,
        ...(work.body === undefined || method === 'GET' || method === 'HEAD'
          ? {}
          : { body: work.body }),
        headersTimeout: config.headersTimeoutMs ?? 30_000,
        ...(work.signal === undefined ? {} : { signal: work.signal }),
        ...(dispatcher === undefined ? {} : { dispatcher }),
      });
      const out: Record<string, string> = {};
      for (const name of RETURNED) {
        const v = res.headers[name];
        if (typeof v === 'string') out[name] = v;
      }
      return { status: res.statusCode, headers: out, body: res.body };
    } catch (e) {
      throw new RelayRouteError(
        'RELAY_E_BACKOFFICE_UNAVAILABLE',
        `the ${work.route} back office did not answer`,
        {
          route: work.route,
          cause: e instanceof Error ? ((e as { code?: string }).code ?? e.name) : 'unknown',
        },
      );
    }
  };
}
