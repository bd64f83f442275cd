// Turns the service's messages on one socket (control channel or rendezvous) into requests.
// In: text and binary messages in arrival order — binary whole (control channel) or piece by
// piece as frames arrive (rendezvous, streaming mode). Out: whole requests (header + body
// bytes), or in streaming mode a request head followed by its body pieces, end or failure;
// requests to refuse at once (400 malformed, 413 too large: declared, or counted as the body
// arrives), rendezvous notices, accept offers, and typed faults for frames that cannot be
// used. Pure: no IO.
import { HcError } from './errors';
import { excerpt, parseServiceFrame, type RequestHead } from './hc-frames';

/** A request to refuse without dispatching: what the answer needs. */
export interface RefusedRequest {
  readonly id: string;
  readonly method: string | undefined;
  readonly address: string | undefined;
}

export type AssembledRequest =
  | {
      readonly kind: 'request';
      readonly head: RequestHead;
      readonly body: Buffer | undefined;
      readonly size: number;
    }
  | {
      /** Streaming mode: the body follows through the BodySink, piece by piece. */
      readonly kind: 'streamed';
      readonly head: RequestHead;
      readonly size: 0;
    }
  | {
      readonly kind: 'refused';
      readonly head: RefusedRequest;
      readonly error: HcError;
      readonly size: number;
    };

export interface AssemblerSink {
  request(item: AssembledRequest): void;
  rendezvous(address: string, id: string | undefined): void;
  accept(id: string, address: string): void;
  fault(error: HcError): void;
}

/** Streaming mode: where the body of the last `streamed` request goes. */
export interface BodySink {
  /** A piece of the body (never empty). */
  data(chunk: Buffer): void;
  /** The body is complete: `size` bytes in all. */
  end(size: number): void;
  /**
   * The body will not complete: over maxRequestBytes after `size` bytes (RELAY_E_HC_TOO_LARGE;
   * the rest of the message is skipped), or cut off (RELAY_E_HC_BAD_REQUEST).
   */
  failed(error: HcError, size: number): void;
}

type State =
  | { readonly kind: 'idle' }
  | { readonly kind: 'body'; readonly head: RequestHead }
  | { readonly kind: 'stream'; readonly head: RequestHead }
  /** Until the end of the current binary message (one whole message when not streaming). */
  | { readonly kind: 'skip' };

const IDLE: State = Object.freeze({ kind: 'idle' });
const SKIP: State = Object.freeze({ kind: 'skip' });

/** The declared body size from a content-length header, when there is a well-formed one. */
export function declaredLength(headers: Readonly<Record<string, string>>): number | undefined {
  const v = headers['content-length'];
  if (v === undefined || !/^[0-9]{1,15}$/.test(v.trim())) return undefined;
  return Number(v.trim());
}

export class RequestAssembler {
  readonly #maxRequestBytes: number;
  readonly #sink: AssemblerSink;
  readonly #ignore: (id: string) => boolean;
  readonly #body: BodySink | undefined;
  #state: State = IDLE;
  /** Body bytes of the `stream` state so far. */
  #streamed = 0;

  /**
   * `ignore(id)`: a repeated announcement of a request already being handled here. With a
   * `body` sink the assembler is in streaming mode: feed binary messages through piece().
   */
  constructor(
    maxRequestBytes: number,
    sink: AssemblerSink,
    ignore: (id: string) => boolean = () => false,
    body?: BodySink,
  ) {
    this.#maxRequestBytes = maxRequestBytes;
    this.#sink = sink;
    this.#ignore = ignore;
    this.#body = body;
  }

  /** True while a body message is expected. */
  get awaitingBody(): boolean {
    return this.#state.kind !== 'idle';
  }

  /** The id of the request whose body is expected, if any. */
  get pendingId(): string | undefined {
    return this.#state.kind === 'body' ? this.#state.head.id : undefined;
  }

  text(text: string): void {
    const state = this.#state;
    this.#state = IDLE;
    if (state.kind === 'stream') {
      // A WebSocket cannot interleave messages: only a broken transport gets here.
      const error = new HcError('RELAY_E_HC_BAD_REQUEST', 'a text frame cut off a request body', {
        requestId: excerpt(state.head.id),
      });
      this.#sink.fault(error);
      this.#body?.failed(error, this.#streamed);
    } else if (state.kind === 'body') {
      const error = new HcError(
        'RELAY_E_HC_BAD_REQUEST',
        'the body frame announced by a request did not follow it',
        { requestId: excerpt(state.head.id) },
      );
      this.#sink.fault(error);
      this.#sink.request({ kind: 'refused', head: refusedHead(state.head), error, size: 0 });
    } else if (state.kind === 'skip') {
      this.#sink.fault(
        new HcError('RELAY_E_HC_FRAME', 'a text frame came where a body frame was expected'),
      );
    }
    let frame;
    try {
      frame = parseServiceFrame(text);
    } catch (e) {
      this.#sink.fault(
        e instanceof HcError ? e : new HcError('RELAY_E_HC_FRAME', 'unreadable frame'),
      );
      return;
    }
    switch (frame.verb) {
      case 'request': {
        const { head } = frame;
        if (this.#ignore(head.id)) {
          if (head.body) this.#state = SKIP;
          return;
        }
        const declared = declaredLength(head.headers);
        if (declared !== undefined && declared > this.#maxRequestBytes) {
          this.#sink.request({
            kind: 'refused',
            head: refusedHead(head),
            error: tooLarge(head.id, declared, this.#maxRequestBytes),
            size: declared,
          });
          if (head.body) this.#state = SKIP;
          return;
        }
        if (head.body) this.#state = { kind: 'body', head };
        else this.#sink.request({ kind: 'request', head, body: undefined, size: 0 });
        return;
      }
      case 'bad-request':
        this.#sink.fault(frame.error);
        this.#sink.request({
          kind: 'refused',
          head: { id: frame.id, method: undefined, address: frame.address },
          error: frame.error,
          size: 0,
        });
        if (frame.body) this.#state = SKIP;
        return;
      case 'rendezvous':
        this.#sink.rendezvous(frame.address, frame.id);
        return;
      case 'accept':
        this.#sink.accept(frame.id, frame.address);
        return;
    }
  }

  binary(data: Buffer): void {
    const state = this.#state;
    this.#state = IDLE;
    if (state.kind === 'skip') return;
    if (state.kind === 'idle') {
      this.#sink.fault(
        new HcError('RELAY_E_HC_FRAME', 'a binary frame arrived that no request announced', {
          bytes: data.length,
        }),
      );
      return;
    }
    if (state.kind === 'stream') return; // streaming mode uses piece()
    const { head } = state;
    if (data.length > this.#maxRequestBytes) {
      this.#sink.request({
        kind: 'refused',
        head: refusedHead(head),
        error: tooLarge(head.id, data.length, this.#maxRequestBytes),
        size: data.length,
      });
      return;
    }
    this.#sink.request({ kind: 'request', head, body: data, size: data.length });
  }

  /**
   * Streaming mode: a piece of a binary message as it arrived (`fin` on its last piece). The
   * body of a request is handed on piece by piece, counted against maxRequestBytes as it comes.
   */
  piece(data: Buffer, fin: boolean): void {
    const body = this.#body;
    if (body === undefined) {
      if (fin) this.binary(data);
      return;
    }
    const state = this.#state;
    switch (state.kind) {
      case 'skip':
        if (fin) this.#state = IDLE;
        return;
      case 'idle':
        this.#sink.fault(
          new HcError('RELAY_E_HC_FRAME', 'a binary frame arrived that no request announced', {
            bytes: data.length,
          }),
        );
        if (!fin) this.#state = SKIP;
        return;
      case 'body': {
        const { head } = state;
        if (data.length > this.#maxRequestBytes) {
          this.#state = fin ? IDLE : SKIP;
          this.#sink.request({
            kind: 'refused',
            head: refusedHead(head),
            error: tooLarge(head.id, data.length, this.#maxRequestBytes),
            size: data.length,
          });
          return;
        }
        this.#state = fin ? IDLE : { kind: 'stream', head };
        this.#streamed = data.length;
        this.#sink.request({ kind: 'streamed', head, size: 0 });
        if (data.length > 0) body.data(data);
        if (fin) body.end(data.length);
        return;
      }
      case 'stream': {
        const size = this.#streamed + data.length;
        this.#streamed = size;
        if (size > this.#maxRequestBytes) {
          this.#state = fin ? IDLE : SKIP;
          body.failed(tooLarge(state.head.id, size, this.#maxRequestBytes), size);
          return;
        }
        if (fin) this.#state = IDLE;
        if (data.length > 0) body.data(data);
        if (fin) body.end(size);
        return;
      }
    }
  }
}

function refusedHead(head: RequestHead): RefusedRequest {
  return { id: head.id, method: head.method, address: head.address };
}

function tooLarge(id: string, size: number, max: number): HcError {
  return new HcError(
    'RELAY_E_HC_TOO_LARGE',
    `the request body (${size} bytes) is larger than the limit (${max} bytes)`,
    { requestId: excerpt(id), size, max },
  );
}
