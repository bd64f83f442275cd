// The life of one content check, shared by the XML and PDF checks. In: the check's own parts
// (take a piece, finish at the end, the size refusal, how to type an unexpected error). Out:
// push/end that enforce maxBytes on the chunk that passes it, refuse once and then keep
// refusing with the same error, refuse use after end, and publish one verdict per body.
import { isRelayContentError, RelayContentError } from './errors';
import { publishContent } from './events';

export interface CheckParts<S> {
  readonly kind: 'xml' | 'pdf';
  readonly maxBytes: number;
  /** Bytes taken so far. */
  bytes(): number;
  /** Takes a piece within maxBytes; throws a refusal. */
  take(piece: Uint8Array): void;
  /** The checks only the end can make; returns the summary or throws a refusal. */
  finish(): S;
  /** The refusal of a body over maxBytes. */
  tooLarge(): RelayContentError;
  /** Types an error that is not already a RelayContentError. */
  typed(e: unknown): RelayContentError;
}

export interface CheckLifecycle<S> {
  readonly push: (chunk: Uint8Array) => void;
  readonly end: () => S;
}

export function checkLifecycle<S>(parts: CheckParts<S>): CheckLifecycle<S> {
  let failed: RelayContentError | undefined;
  let ended = false;
  const name = parts.kind.toUpperCase();
  const fail = (e: unknown): never => {
    failed = isRelayContentError(e) ? e : parts.typed(e);
    publishContent({
      kind: parts.kind,
      outcome: 'refused',
      rule: String(failed.details.rule),
      bytes: parts.bytes(),
    });
    throw failed;
  };
  const usable = (): void => {
    if (failed !== undefined) throw failed;
    if (ended) throw new RelayContentError('RELAY_E_CONTENT_CONFIG', `the ${name} check has ended`);
  };
  return {
    push: (chunk) => {
      usable();
      try {
        const room = parts.maxBytes - parts.bytes();
        parts.take(chunk.length > room ? chunk.subarray(0, room) : chunk);
        if (chunk.length > room) throw parts.tooLarge();
      } catch (e) {
        fail(e);
      }
    },
    end: () => {
      usable();
      try {
        const summary = parts.finish();
        ended = true;
        publishContent({ kind: parts.kind, outcome: 'accepted', bytes: parts.bytes() });
        return summary;
      } catch (e) {
        return fail(e);
      }
    },
  };
}
