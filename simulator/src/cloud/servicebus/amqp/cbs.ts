// Claims-based security ($cbs) of one AMQP connection. In: put-token requests (audience,
// token type, token text), the namespace's SAS rules, the host names that stand for this
// namespace, the clock. Out: a decision per put-token (status 202, or 401/403 with the SAS
// reason and never the token), grants per audience, the answer to "may this link use entity
// X with right R", and an expiry callback when a grant's token runs out (the edge then
// detaches the links that no other grant covers).
import {
  normaliseResource,
  resourceCovers,
  rightsAllow,
  SasError,
  verifySasToken,
  type SasRight,
  type SasRule,
} from '../../../../../relay/src/protocol/sas';
import type { Clock } from '../../../../../relay/src/protocol/primitives';
import { SimAmqpError } from './errors';

/** The token type the SDK sends with a SAS token. */
export const SAS_TOKEN_TYPE = 'servicebus.windows.net:sastoken';

export interface CbsPolicy {
  /** The namespace's rules; their scopes are `sb://<logical host>/...`. */
  readonly rules: readonly SasRule[];
  /** The logical host, e.g. `council-42.servicebus.windows.net`. */
  readonly logicalHost: string;
  /** Other host names a client may use for this namespace (localhost, 127.0.0.1, ::1). */
  readonly aliases: readonly string[];
  /** A token may live at most this long (seconds). */
  readonly maxLifetimeSeconds: number;
  readonly clock: Clock;
}

/** What put-token answered. */
export interface CbsDecision {
  readonly status: number;
  readonly description: string;
  /** The AMQP condition for a refusal. */
  readonly condition?: string;
  /** The SAS error code of a refusal (SAS_E_*), or SIM_E_AMQP_* for an edge refusal. */
  readonly reason?: string;
  /** The entity path the audience names (lower case, '' for the namespace). */
  readonly path?: string;
  readonly keyName?: string;
  readonly expiresAt?: number;
}

interface Grant {
  readonly path: string;
  readonly rights: ReadonlySet<SasRight>;
  /** Unix seconds. */
  readonly expiresAt: number;
  timer: NodeJS.Timeout | undefined;
}

/** The canonical `host[:port]` and entity path of an audience, or undefined. */
export function splitAudience(
  audience: string,
): { readonly authority: string; readonly host: string; readonly path: string } | undefined {
  const canonical = normaliseResource(audience);
  if (canonical === undefined) return undefined;
  const slash = canonical.indexOf('/');
  const authority = slash === -1 ? canonical : canonical.slice(0, slash);
  const path = slash === -1 ? '' : canonical.slice(slash + 1);
  const host = authority.startsWith('[')
    ? authority.slice(0, authority.indexOf(']') + 1)
    : (authority.split(':')[0] ?? authority);
  return { authority, host, path };
}

/** A rule whose scope is moved from the logical host to `authority` (the client's host). */
function rebase(rule: SasRule, logicalHost: string, authority: string): SasRule | undefined {
  const scope = splitAudience(rule.scope);
  if (scope?.host !== logicalHost) return undefined;
  const path = scope.path === '' ? '' : `/${scope.path}`;
  return { ...rule, scope: `sb://${authority}${path}` };
}

/** The CBS state of one connection. Call close() when the connection ends. */
export class CbsSession {
  readonly #policy: CbsPolicy;
  readonly #hosts: ReadonlySet<string>;
  readonly #grants = new Map<string, Grant>();
  readonly #onExpired: (path: string) => void;
  #closed = false;

  constructor(policy: CbsPolicy, onExpired: (path: string) => void) {
    this.#policy = policy;
    this.#hosts = new Set(
      [policy.logicalHost, ...policy.aliases].map((h) =>
        h.includes(':') && !h.startsWith('[') ? `[${h}]` : h.toLowerCase(),
      ),
    );
    this.#onExpired = onExpired;
  }

  /** Verifies a put-token and, when valid, stores the grant for its audience. */
  putToken(audience: unknown, type: unknown, token: unknown): CbsDecision {
    if (typeof audience !== 'string' || audience === '') {
      return refusal(
        400,
        'com.microsoft:argument-error',
        'SIM_E_AMQP_BAD_REQUEST',
        'The put-token request has no audience (name).',
      );
    }
    if (type !== SAS_TOKEN_TYPE) {
      return refusal(
        401,
        'amqp:unauthorized-access',
        'SIM_E_AMQP_CBS_REFUSED',
        `The token type '${typeof type === 'string' ? type.slice(0, 64) : typeof type}' is not supported; the simulator accepts ${SAS_TOKEN_TYPE} only.`,
      );
    }
    const where = splitAudience(audience);
    if (where === undefined || !this.#hosts.has(where.host)) {
      return refusal(
        401,
        'amqp:unauthorized-access',
        'SIM_E_AMQP_CBS_REFUSED',
        'The audience does not name this namespace.',
      );
    }
    const { rules, logicalHost, maxLifetimeSeconds, clock } = this.#policy;
    const rebased = rules
      .map((r) => rebase(r, logicalHost, where.authority))
      .filter((r): r is SasRule => r !== undefined);
    const text = typeof token === 'string' ? token : undefined;
    let grant;
    try {
      grant = verifyAnyRight(
        text,
        `sb://${where.authority}/${where.path}`,
        rebased,
        maxLifetimeSeconds,
        clock,
      );
    } catch (e) {
      if (e instanceof SasError) {
        const status = e.http === 403 ? 403 : 401;
        return {
          ...refusal(status, 'amqp:unauthorized-access', e.code, `Unauthorized: ${e.message}.`),
          path: where.path,
        };
      }
      throw e;
    }
    this.#store(where.path, grant.rights, grant.expiresAt);
    return {
      status: 202,
      description: 'Accepted',
      path: where.path,
      keyName: grant.keyName,
      expiresAt: grant.expiresAt,
    };
  }

  /**
   * Checks that a valid grant covers entity `path` (any case) with `right`. Throws
   * SimAmqpError SIM_E_AMQP_UNAUTHORIZED (amqp:unauthorized-access) otherwise.
   */
  authorize(path: string, right: SasRight | 'Any'): void {
    const wanted = path.toLowerCase();
    const now = this.#policy.clock.now();
    let covered = false;
    for (const g of this.#grants.values()) {
      const covers = g.path === '' || resourceCovers(g.path, wanted);
      if (g.expiresAt * 1000 <= now || !covers) continue;
      covered = true;
      if (right === 'Any' || rightsAllow(g.rights, right)) return;
    }
    const claim = right === 'Any' ? 'Listen, Send or Manage' : `'${right}'`;
    throw new SimAmqpError(
      'SIM_E_AMQP_UNAUTHORIZED',
      covered
        ? `Unauthorized access. ${claim} claim(s) are required to perform this operation. Resource: '${path}'.`
        : `Unauthorized access. No valid token was put on $cbs for '${path}'.`,
      { entity: path, right },
    );
  }

  /** True while some unexpired grant covers `path` with `right`. */
  allows(path: string, right: SasRight | 'Any'): boolean {
    try {
      this.authorize(path, right);
      return true;
    } catch {
      return false;
    }
  }

  close(): void {
    this.#closed = true;
    for (const g of this.#grants.values()) if (g.timer !== undefined) clearTimeout(g.timer);
    this.#grants.clear();
  }

  #store(path: string, rights: ReadonlySet<SasRight>, expiresAt: number): void {
    if (this.#closed) return;
    const old = this.#grants.get(path);
    if (old?.timer !== undefined) clearTimeout(old.timer);
    const grant: Grant = { path, rights, expiresAt, timer: undefined };
    const delay = Math.max(0, expiresAt * 1000 - this.#policy.clock.now());
    // setTimeout holds at most 2^31-1 ms (24.8 days); re-check then if a token lives longer.
    grant.timer = setTimeout(
      () => {
        this.#expire(path, grant);
      },
      Math.min(delay, 2 ** 31 - 1),
    );
    grant.timer.unref();
    this.#grants.set(path, grant);
  }

  #expire(path: string, grant: Grant): void {
    if (this.#closed || this.#grants.get(path) !== grant) return;
    if (grant.expiresAt * 1000 > this.#policy.clock.now()) {
      this.#store(path, grant.rights, grant.expiresAt);
      return;
    }
    this.#grants.delete(path);
    this.#onExpired(path);
  }
}

function refusal(
  status: number,
  condition: string,
  reason: string,
  description: string,
): CbsDecision {
  return { status, condition, reason, description };
}

/** verifySasToken for whichever right the signing rule holds (put-token names no right). */
function verifyAnyRight(
  text: string | undefined,
  resource: string,
  rules: readonly SasRule[],
  maxLifetimeSeconds: number,
  clock: Clock,
): ReturnType<typeof verifySasToken> {
  const options = { resource, rules, maxLifetimeSeconds };
  try {
    return verifySasToken(text, { ...options, right: 'Listen' }, { clock });
  } catch (e) {
    if (e instanceof SasError && e.code === 'SAS_E_RIGHTS') {
      return verifySasToken(text, { ...options, right: 'Send' }, { clock });
    }
    throw e;
  }
}
