// Token checks of the Hybrid Connections endpoint. In: a token text (or none), the Hybrid
// Connection path, the right the action needs (Listen to listen, Send to send), the
// namespace's rules, the host names that stand for the namespace, the clock. Out: the grant
// (key name, expiry) or a SasError whose `http` is 401 or 403. The audience may be
// `http://`, `https://`, `sb://`, `ws://` or `wss://` on the logical host or a loopback
// alias, with or without a port and trailing slash, for the namespace or the path.
import type { Clock } from '../../../../relay/src/protocol/primitives';
import {
  normaliseResource,
  parseSasToken,
  verifySasToken,
  type SasGrant,
  type SasRight,
  type SasRule,
} from '../../../../relay/src/protocol/sas';

export interface HcAuthPolicy {
  /** Rules scoped to `sb://<logical host>/...`. */
  readonly rules: readonly SasRule[];
  readonly logicalHost: string;
  /** Other names a client may sign for (localhost, 127.0.0.1, [::1]). */
  readonly aliases: readonly string[];
  readonly maxLifetimeSeconds: number;
  readonly clock: Clock;
}

/** The canonical authority (`host[:port]`) and host of a resource URI, or undefined. */
function authorityOf(uri: string): { authority: string; host: string } | undefined {
  const canonical = normaliseResource(uri);
  if (canonical === undefined) return undefined;
  const slash = canonical.indexOf('/');
  const authority = slash === -1 ? canonical : canonical.slice(0, slash);
  const host = authority.startsWith('[')
    ? authority.slice(0, authority.indexOf(']') + 1)
    : (authority.split(':')[0] ?? authority);
  return { authority, host };
}

/** Verifies `token` for `right` on Hybrid Connection `path`; throws SasError. */
export function verifyHcToken(
  policy: HcAuthPolicy,
  token: string | undefined,
  path: string,
  right: SasRight,
): SasGrant {
  const hosts = new Set(
    [policy.logicalHost, ...policy.aliases].map((h) =>
      h.includes(':') && !h.startsWith('[') ? `[${h.toLowerCase()}]` : h.toLowerCase(),
    ),
  );
  let authority = policy.logicalHost;
  try {
    const where = authorityOf(parseSasToken(token).sr);
    if (where !== undefined && hosts.has(where.host)) authority = where.authority;
  } catch {
    // verifySasToken below raises the precise refusal
  }
  const rules =
    authority === policy.logicalHost
      ? policy.rules
      : policy.rules.flatMap((r) => {
          const canonical = normaliseResource(r.scope);
          if (canonical === undefined) return [];
          const slash = canonical.indexOf('/');
          const rest = slash === -1 ? '' : canonical.slice(slash);
          return [{ ...r, scope: `sb://${authority}${rest}` }];
        });
  return verifySasToken(
    token,
    {
      resource: `sb://${authority}/${path}`,
      right,
      rules,
      maxLifetimeSeconds: policy.maxLifetimeSeconds,
    },
    { clock: policy.clock },
  );
}
