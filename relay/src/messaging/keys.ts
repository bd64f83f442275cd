// The tenant key ring the relay's messaging shares. In: one or two tenant keys (kid + 32-byte
// K). Out: the primary key (the one HELLO uses) and a lookup by kid for opening envelopes, both
// replaceable at run time for a key rotation. Keys are private copies and never enumerable, so
// logging or serialising the ring shows key ids only.
import { KID_PATTERN } from '../protocol/handshake';
import { RelaySessionError } from './errors';

export interface TenantKeyInput {
  readonly kid: string;
  /** K: exactly 32 bytes. */
  readonly key: Uint8Array;
}

export interface TenantKeyView {
  readonly kid: string;
}

interface Entry {
  readonly kid: string;
  readonly key: Buffer;
}

function check(keys: readonly TenantKeyInput[]): Entry[] {
  const list: unknown = keys;
  if (!Array.isArray(list) || list.length < 1 || list.length > 2) {
    throw new RelaySessionError('RELAY_E_SESSION_CONFIG', 'keys: give one or two tenant keys', {
      path: 'keys',
    });
  }
  const seen = new Set<string>();
  return keys.map((k, i) => {
    const kid: unknown = k.kid;
    if (typeof kid !== 'string' || !KID_PATTERN.test(kid)) {
      throw new RelaySessionError(
        'RELAY_E_SESSION_CONFIG',
        `keys[${i}].kid: must match [A-Za-z0-9._-]{1,64}`,
        { path: `keys[${i}].kid` },
      );
    }
    if (seen.has(kid)) {
      throw new RelaySessionError('RELAY_E_SESSION_CONFIG', `keys[${i}].kid: ${kid} is repeated`, {
        path: `keys[${i}].kid`,
      });
    }
    seen.add(kid);
    const key: unknown = k.key;
    if (!(key instanceof Uint8Array) || key.byteLength !== 32) {
      throw new RelaySessionError(
        'RELAY_E_SESSION_CONFIG',
        `keys[${i}].key: the key of ${kid} must be exactly 32 bytes`,
        { path: `keys[${i}].key` },
      );
    }
    return { kid, key: Buffer.from(key) };
  });
}

/** One or two tenant keys; the first is the primary (HELLO uses it). */
export class TenantKeys {
  #entries: Entry[];

  constructor(keys: readonly TenantKeyInput[]) {
    this.#entries = check(keys);
  }

  /** The key HELLO uses: the first one given. */
  get primary(): { readonly kid: string; readonly key: Buffer } {
    const first = this.#entries[0];
    if (first === undefined) throw new Error('unreachable: the ring is never empty');
    return first;
  }

  /** The key with this id, or undefined. */
  get(kid: string): Buffer | undefined {
    return this.#entries.find((e) => e.kid === kid)?.key;
  }

  /** The key ids, primary first. */
  kids(): readonly string[] {
    return this.#entries.map((e) => e.kid);
  }

  /**
   * Replaces the ring (a rotation: `[new, old]` first, later `[new]`). Takes effect for the
   * next HELLO and the next envelope; a live session stays live until it is renewed.
   */
  set(keys: readonly TenantKeyInput[]): void {
    this.#entries = check(keys);
  }

  toJSON(): { readonly kids: readonly string[] } {
    return { kids: this.kids() };
  }
}
