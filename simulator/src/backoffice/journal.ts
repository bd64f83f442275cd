// The request journal of the back-office mocks: what every service was asked and what it
// answered, and every file written to a share. In: finished entries from the HTTP edge and
// the file shares. Out: queries for suites (count, find by header or idempotency key,
// unmatched requests) and waiters that resolve when a matching entry arrives (no polling).
// Bounded: a ring buffer of `capacity` entries; older entries are dropped and counted.
// Entries hold only the configured headers, and never one that can carry a secret.

/** How an exchange ended. */
export type Outcome =
  /** A complete answer was sent. */
  | 'answered'
  /** A fault reset the connection (RST). */
  | 'reset'
  /** A fault closed the connection without a byte of answer. */
  | 'empty'
  /** A fault never answered; the connection closed later (client or shutdown). */
  | 'hung'
  /** A fault sent a malformed chunked body. */
  | 'malformed'
  /** A fault sent fewer bytes than Content-Length. */
  | 'truncated'
  /** The client went away before the answer was complete. */
  | 'client-closed'
  /** The service was closed while the exchange was pending (a delay, a dribble). */
  | 'shutdown'
  /** The client sent something that is not HTTP; the server answered 400 and closed. */
  | 'bad-request'
  /** A file was written to a share (kind "file"). */
  | 'written';

export interface FileFacts {
  readonly formType: string;
  /** The form type's folder, relative to shares/ (always with "/"). */
  readonly folder: string;
  readonly name: string;
  /** Absolute path on this machine. */
  readonly path: string;
  readonly size: number;
  readonly sha256: string;
  /** created: a new file; replaced: an older one was replaced; unchanged: same bytes again. */
  readonly result: 'created' | 'replaced' | 'unchanged';
}

export interface JournalEntry {
  /** Sequence number, from 1, in the order entries were recorded. */
  readonly seq: number;
  readonly kind: 'request' | 'file';
  readonly service: string;
  readonly method: string;
  /** The request path (percent-encoded, as sent), without the query. */
  readonly path: string;
  /** The query string without "?", or "". */
  readonly query: string;
  /** The selected request headers, names lower-case. */
  readonly headers: Readonly<Record<string, string>>;
  readonly idempotencyKey: string | undefined;
  /** Clock time (ms since the epoch) when the request arrived and when the exchange ended. */
  readonly startedAt: number;
  readonly endedAt: number;
  /** endedAt − startedAt: injected time, so a test's manual clock shows here. */
  readonly durationMs: number;
  /** Real elapsed time (monotonic, fractional milliseconds). */
  readonly elapsedMs: number;
  /** The status line sent, when one was. */
  readonly status: number | undefined;
  readonly outcome: Outcome;
  /** False when no route of the service had this path or method (404/405). */
  readonly matched: boolean;
  readonly requestBytes: number;
  readonly responseBytes: number;
  /** The SIM_E_BO_* code of a refusal. */
  readonly error: string | undefined;
  /** The fault rule that shaped this exchange. */
  readonly fault: { readonly ruleId: string; readonly type: string } | undefined;
  /** A reference looked up, or given to an intake submission. */
  readonly reference: string | undefined;
  readonly file: FileFacts | undefined;
  /** True when an intake answered a repeated Idempotency-Key from its record (no new effect). */
  readonly replayed?: true;
}

export type NewEntry = Omit<JournalEntry, 'seq'>;

export interface JournalFilter {
  readonly kind?: 'request' | 'file' | undefined;
  readonly service?: string | undefined;
  readonly method?: string | undefined;
  readonly path?: string | undefined;
  readonly pathPrefix?: string | undefined;
  readonly status?: number | undefined;
  readonly outcome?: Outcome | undefined;
  readonly matched?: boolean | undefined;
  readonly idempotencyKey?: string | undefined;
  readonly reference?: string | undefined;
  /** A recorded header's exact value (name case-insensitive). */
  readonly header?: { readonly name: string; readonly value: string } | undefined;
  /** Only entries with a greater sequence number. */
  readonly after?: number | undefined;
}

/** True when `e` satisfies every field given in `f`. Pure. */
export function matchesFilter(e: JournalEntry, f: JournalFilter): boolean {
  return (
    (f.kind === undefined || e.kind === f.kind) &&
    (f.service === undefined || e.service === f.service) &&
    (f.method === undefined || e.method === f.method.toUpperCase()) &&
    (f.path === undefined || e.path === f.path) &&
    (f.pathPrefix === undefined || e.path.startsWith(f.pathPrefix)) &&
    (f.status === undefined || e.status === f.status) &&
    (f.outcome === undefined || e.outcome === f.outcome) &&
    (f.matched === undefined || e.matched === f.matched) &&
    (f.idempotencyKey === undefined || e.idempotencyKey === f.idempotencyKey) &&
    (f.reference === undefined || e.reference === f.reference) &&
    (f.header === undefined || e.headers[f.header.name.toLowerCase()] === f.header.value) &&
    (f.after === undefined || e.seq > f.after)
  );
}

interface Waiter {
  readonly filter: JournalFilter;
  readonly resolve: (e: JournalEntry) => void;
  readonly reject: (e: Error) => void;
}

export interface JournalStats {
  readonly capacity: number;
  /** Entries held now. */
  readonly held: number;
  /** Entries ever recorded. */
  readonly total: number;
  /** Entries pushed out of the ring buffer. */
  readonly dropped: number;
}

export class Journal {
  readonly capacity: number;
  readonly #ring: (JournalEntry | undefined)[];
  #start = 0;
  #size = 0;
  #seq = 0;
  #dropped = 0;
  #waiters = new Set<Waiter>();
  #closed = false;

  constructor(capacity: number) {
    if (!Number.isSafeInteger(capacity) || capacity < 1) {
      throw new RangeError('Journal: capacity must be a whole number ≥ 1');
    }
    this.capacity = capacity;
    this.#ring = new Array<JournalEntry | undefined>(capacity);
  }

  /** Appends an entry (the oldest is dropped when full) and wakes matching waiters. */
  record(entry: NewEntry): JournalEntry {
    const e: JournalEntry = Object.freeze({ ...entry, seq: ++this.#seq });
    if (this.#size < this.capacity) {
      this.#ring[(this.#start + this.#size) % this.capacity] = e;
      this.#size++;
    } else {
      this.#ring[this.#start] = e;
      this.#start = (this.#start + 1) % this.capacity;
      this.#dropped++;
    }
    for (const w of this.#waiters) {
      if (matchesFilter(e, w.filter)) {
        this.#waiters.delete(w);
        w.resolve(e);
      }
    }
    return e;
  }

  /** Entries held, oldest first, that match `filter`. */
  entries(filter: JournalFilter = {}): JournalEntry[] {
    const out: JournalEntry[] = [];
    for (let i = 0; i < this.#size; i++) {
      const e = this.#ring[(this.#start + i) % this.capacity];
      if (e !== undefined && matchesFilter(e, filter)) out.push(e);
    }
    return out;
  }

  count(filter: JournalFilter = {}): number {
    return this.entries(filter).length;
  }

  /** The first (oldest) held entry that matches, if any. */
  find(filter: JournalFilter): JournalEntry | undefined {
    return this.entries(filter)[0];
  }

  /** Every held entry whose idempotency key is `key`. */
  byIdempotencyKey(key: string): JournalEntry[] {
    return this.entries({ idempotencyKey: key });
  }

  /** Requests no route matched (404 no route, 405 wrong method). */
  unmatched(): JournalEntry[] {
    return this.entries({ kind: 'request', matched: false });
  }

  /**
   * Resolves with the first held entry that matches, or the next one recorded. Rejected
   * when the journal is closed first. Waits on events, never polls.
   */
  waitFor(filter: JournalFilter): Promise<JournalEntry> {
    const held = this.find(filter);
    if (held !== undefined) return Promise.resolve(held);
    if (this.#closed) return Promise.reject(new Error('the journal is closed'));
    return new Promise((resolve, reject) => {
      this.#waiters.add({ filter, resolve, reject });
    });
  }

  stats(): JournalStats {
    return {
      capacity: this.capacity,
      held: this.#size,
      total: this.#seq,
      dropped: this.#dropped,
    };
  }

  get dropped(): number {
    return this.#dropped;
  }

  /** Forgets every entry and the dropped count; sequence numbers go on. */
  clear(): void {
    this.#ring.fill(undefined);
    this.#start = 0;
    this.#size = 0;
    this.#dropped = 0;
  }

  /** Rejects every pending waiter; later waitFor calls reject unless an entry is held. */
  close(): void {
    this.#closed = true;
    for (const w of this.#waiters) w.reject(new Error('the journal is closed'));
    this.#waiters.clear();
  }
}
