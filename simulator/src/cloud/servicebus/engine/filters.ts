// Subscription rules: correlation filters and true/false filters (no SQL filters; see
// docs/differences-from-azure.md). In: a subscription's rules and an incoming message.
// Out: whether the subscription gets a copy (any rule matching is enough, as in Azure).
import type { FilterConfig, RuleConfig } from '../config';
import type { IncomingMessage } from './types';

type DeepReadonly<T> = T extends object ? { readonly [K in keyof T]: DeepReadonly<T[K]> } : T;

const SYSTEM = [
  'correlationId',
  'messageId',
  'to',
  'replyTo',
  'subject',
  'sessionId',
  'replyToSessionId',
  'contentType',
] as const;

/** True when every property the filter names equals the message's (AND of all of them). */
export function filterMatches(filter: DeepReadonly<FilterConfig>, m: IncomingMessage): boolean {
  if (filter.type === 'true') return true;
  if (filter.type === 'false') return false;
  for (const key of SYSTEM) {
    const want = filter[key];
    if (want !== undefined && m[key] !== want) return false;
  }
  const props = filter.applicationProperties;
  if (props !== undefined) {
    const have = m.applicationProperties ?? {};
    for (const [k, v] of Object.entries(props)) {
      if (!Object.prototype.hasOwnProperty.call(have, k) || have[k] !== v) return false;
    }
  }
  return true;
}

/** True when any rule matches. */
export function rulesMatch(
  rules: readonly DeepReadonly<RuleConfig>[],
  m: IncomingMessage,
): boolean {
  return rules.some((r) => filterMatches(r.filter, m));
}
