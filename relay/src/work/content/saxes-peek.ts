// A read-only look at what saxes 6.0.0 holds between two writes, so that a limit breaks on the
// chunk that crosses it instead of when saxes emits the finished token. In: a SaxesParser. Out:
// what it is in the middle of (a name, text, an attribute value, a DOCTYPE, a PI) and how long.
// It reads private fields of the pinned version; if they change, it answers 'none' (limits then
// hold at the token's event, still before the token is passed on) and the tests say so.
export type Pending =
  | { readonly kind: 'none' }
  | { readonly kind: 'doctype' }
  | { readonly kind: 'pi' }
  /** Character data, a comment or a CDATA section being read. */
  | { readonly kind: 'text'; readonly length: number }
  /** An element or attribute name being read (`value` once the attribute value has started). */
  | { readonly kind: 'name'; readonly length: number; readonly value?: number }
  /** A closing tag's name being read. */
  | { readonly kind: 'close'; readonly length: number }
  /** A name or value inside the XML declaration being read. */
  | { readonly kind: 'decl'; readonly length: number };

// The state numbers of saxes 6.0.0 (lib/saxes.ts, S_*).
const S_DOCTYPE_FIRST = 2;
const S_DOCTYPE_LAST = 12;
const S_TEXT = 13;
const S_ENTITY = 14;
const S_COMMENT_FIRST = 17;
const S_CDATA_LAST = 22;
const S_PI_REST = 24;
const S_PI_BODY = 25;
const S_PI_ENDING = 26;
const S_XML_DECL_FIRST = 27;
const S_XML_DECL_LAST = 33;
const S_OPEN_TAG = 34;
const S_ATTRIB_NAME = 37;
const S_ATTRIB_VALUE = 39;
const S_ATTRIB_VALUE_QUOTED = 40;
const S_CLOSE_TAG = 43;

const NONE: Pending = Object.freeze({ kind: 'none' });

interface Internals {
  readonly state?: unknown;
  readonly text?: unknown;
  readonly name?: unknown;
  readonly piTarget?: unknown;
  readonly entityReturnState?: unknown;
}

const len = (v: unknown): number => (typeof v === 'string' ? v.length : 0);

/** What `parser` is in the middle of, from its private state (saxes 6.0.0). */
export function pendingOf(parser: object): Pending {
  const p = parser as unknown as Internals;
  const state = p.state;
  if (typeof state !== 'number') return NONE;
  if (state >= S_DOCTYPE_FIRST && state <= S_DOCTYPE_LAST) return { kind: 'doctype' };
  if (state === S_TEXT || (state >= S_COMMENT_FIRST && state <= S_CDATA_LAST)) {
    return { kind: 'text', length: len(p.text) };
  }
  if (state === S_ENTITY) {
    if (p.entityReturnState === S_TEXT) return { kind: 'text', length: len(p.text) };
    if (p.entityReturnState === S_ATTRIB_VALUE_QUOTED) {
      return { kind: 'name', length: len(p.name), value: len(p.text) };
    }
    return NONE;
  }
  if (state === S_PI_REST || state === S_PI_BODY || state === S_PI_ENDING) {
    const target = typeof p.piTarget === 'string' ? p.piTarget.toLowerCase() : 'xml';
    // Only `<?xml` can still become the XML declaration (or a case error saxes reports itself).
    return 'xml'.startsWith(target) && (state === S_PI_REST || target === 'xml')
      ? NONE
      : { kind: 'pi' };
  }
  if (state >= S_XML_DECL_FIRST && state <= S_XML_DECL_LAST) {
    return { kind: 'decl', length: Math.max(len(p.name), len(p.text)) };
  }
  if (state === S_OPEN_TAG || (state >= S_ATTRIB_NAME && state <= S_ATTRIB_VALUE)) {
    return { kind: 'name', length: len(p.name) };
  }
  if (state === S_ATTRIB_VALUE_QUOTED) {
    return { kind: 'name', length: len(p.name), value: len(p.text) };
  }
  if (state === S_CLOSE_TAG) return { kind: 'close', length: len(p.name) };
  return NONE;
}
