// The tenant driver's registry of live relay sessions. In: sessions the verifier granted (one
// per relay instance id, the newest wins), sessions the verifier dropped (key retired), the
// clock. Out: the live sessions (expired ones pruned), the one work should go to, and what
// changed, so the driver can publish it. Pure: no IO, no timers.
import type { CloudSession } from '../../../../relay/src/protocol/handshake';

/** A session as the driver's callers see it (no key). */
export interface TenantSessionView {
  readonly instanceId: string;
  readonly kid: string;
  readonly sid: string;
  readonly ttl: number;
  readonly createdAt: number;
  readonly expiresAt: number;
  readonly caps: readonly string[];
}

export type SessionChange =
  | { readonly state: 'live'; readonly session: CloudSession }
  | { readonly state: 'replaced'; readonly session: CloudSession }
  | { readonly state: 'dropped'; readonly session: CloudSession; readonly reason: string }
  | { readonly state: 'expired'; readonly session: CloudSession };

export function viewOf(s: CloudSession): TenantSessionView {
  return Object.freeze({
    instanceId: s.relay,
    kid: s.kid,
    sid: s.sid,
    ttl: s.ttl,
    createdAt: s.createdAt,
    expiresAt: s.expiresAt,
    caps: s.caps,
  });
}

export class SessionRegistry {
  /** instance id → its current session. */
  readonly #byInstance = new Map<string, CloudSession>();

  /** Records a new session for its relay; the previous one of that relay is replaced. */
  record(session: CloudSession): SessionChange[] {
    const changes: SessionChange[] = [];
    const previous = this.#byInstance.get(session.relay);
    if (previous !== undefined && previous.sid !== session.sid) {
      changes.push({ state: 'replaced', session: previous });
    }
    this.#byInstance.delete(session.relay); // re-insert: newest last
    this.#byInstance.set(session.relay, session);
    changes.push({ state: 'live', session });
    return changes;
  }

  /** Removes the sessions with these ids (the verifier dropped them). */
  drop(sessions: readonly CloudSession[], reason: string): SessionChange[] {
    const sids = new Set(sessions.map((s) => s.sid));
    const changes: SessionChange[] = [];
    for (const [instance, s] of this.#byInstance) {
      if (!sids.has(s.sid)) continue;
      this.#byInstance.delete(instance);
      changes.push({ state: 'dropped', session: s, reason });
    }
    return changes;
  }

  /** Removes expired sessions (and those `stillLive` denies); returns what went. */
  prune(now: number, stillLive: (s: CloudSession) => boolean): SessionChange[] {
    const changes: SessionChange[] = [];
    for (const [instance, s] of this.#byInstance) {
      if (s.expiresAt > now && stillLive(s)) continue;
      this.#byInstance.delete(instance);
      changes.push(
        s.expiresAt > now
          ? { state: 'dropped', session: s, reason: 'no longer live at the verifier' }
          : { state: 'expired', session: s },
      );
    }
    return changes;
  }

  /** The current sessions, oldest first. */
  all(): readonly CloudSession[] {
    return [...this.#byInstance.values()];
  }

  get(instanceId: string): CloudSession | undefined {
    return this.#byInstance.get(instanceId);
  }

  /** The session work goes to: the given relay's, else the newest. */
  pick(instanceId?: string): CloudSession | undefined {
    if (instanceId !== undefined) return this.#byInstance.get(instanceId);
    let newest: CloudSession | undefined;
    for (const s of this.#byInstance.values()) {
      if (newest === undefined || s.createdAt >= newest.createdAt) newest = s;
    }
    return newest;
  }
}
