// What every route shares: its typed refusals (family `relay-route`) and the check of a
// back-office path. In: a path relative to a service's base URL. Out: the path, or
// RELAY_E_ROUTE_PATH when it could leave the configured service (no scheme, no authority, no
// dot segments, no backslashes, encoded separators or control characters). Pure.
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
  RELAY_E_ROUTE_ANSWER: {
    summary:
      'The back office answered with more than a Service Bus reply can carry (limits.maxReplyBytes): the request is dead-lettered; fetch large documents through the Hybrid Connection instead.',
    http: 502,
  },
});

export type RelayRouteErrorCode = (typeof RELAY_ROUTE_ERRORS.codes)[number];
export class RelayRouteError extends familyError(RELAY_ROUTE_ERRORS) {}

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
