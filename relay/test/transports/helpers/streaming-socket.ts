// A socket factory for streamed-body tests: the control channel over mock-socket (as setup()
// makes it) and rendezvous sockets that the test drives piece by piece. In: calls from the
// test (accept, text, piece, serverClose). Out: what the listener sent on each rendezvous
// socket, whether it is paused, how often it paused and resumed, and how it was closed.
import { WebSocket } from 'mock-socket';
import {
  browserSocketFactory,
  type BrowserWebSocketConstructor,
} from '../../../src/transports/browser-socket';
import type {
  HcSocket,
  SocketFactory,
  SocketHandlers,
  SocketOptions,
  StreamingHcSocket,
  StreamingSocketHandlers,
} from '../../../src/transports/socket';
import { Inbox } from './mock-service';

export class StreamingScriptedSocket implements StreamingHcSocket {
  readonly options: SocketOptions;
  readonly #h: StreamingSocketHandlers;
  readonly sent: (string | Buffer)[] = [];
  readonly #sentInbox = new Inbox<string | Buffer>();
  closedWith: { code: number; reason: string } | 'terminated' | undefined;
  paused = false;
  pauses = 0;
  resumes = 0;
  /** What the test says the socket holds unread (reported as bufferedBytes). */
  held = 0;
  #state: 'connecting' | 'open' | 'closed' = 'connecting';
  readonly #resumeWaiters: (() => void)[] = [];
  readonly closed: Promise<{ code: number; reason: string } | 'terminated'>;
  #resolveClosed: (v: { code: number; reason: string } | 'terminated') => void = () => undefined;

  constructor(options: SocketOptions, handlers: StreamingSocketHandlers) {
    this.options = options;
    this.#h = handlers;
    this.closed = new Promise((resolve) => {
      this.#resolveClosed = resolve;
    });
  }

  // --- driven by the test

  accept(): void {
    this.#state = 'open';
    this.#h.onOpen();
  }

  text(text: string): void {
    this.#h.onText(text);
  }

  json(v: unknown): void {
    this.#h.onText(JSON.stringify(v));
  }

  /** Hands a piece of a binary message over (as a transport would, whether paused or not). */
  piece(data: Buffer, fin: boolean): void {
    this.#h.onBinaryPiece(data, fin);
  }

  serverClose(code: number, reason = ''): void {
    this.#end(code, reason);
  }

  /** The next thing the listener sent here. */
  next(): Promise<string | Buffer> {
    return this.#sentInbox.take();
  }

  async nextJson(): Promise<Record<string, unknown>> {
    const m = await this.next();
    if (typeof m !== 'string') throw new Error(`expected text, got ${m.length} binary bytes`);
    return JSON.parse(m) as Record<string, unknown>;
  }

  get isClosed(): boolean {
    return this.#state === 'closed';
  }

  // --- StreamingHcSocket, used by the listener

  get bufferedBytes(): number {
    return this.held;
  }

  pause(): void {
    if (!this.paused) this.pauses++;
    this.paused = true;
  }

  resume(): void {
    if (this.paused) this.resumes++;
    this.paused = false;
    for (const w of this.#resumeWaiters.splice(0)) w();
  }

  /** Resolves when the socket is not paused (at once, or at the next resume()). */
  whenReading(): Promise<void> {
    if (!this.paused) return Promise.resolve();
    return new Promise((resolve) => this.#resumeWaiters.push(resolve));
  }

  sendText(text: string): Promise<void> {
    if (this.#state !== 'open') return Promise.reject(new Error('not open'));
    this.sent.push(text);
    this.#sentInbox.put(text);
    return Promise.resolve();
  }

  sendBinary(data: Uint8Array, _fin: boolean): Promise<void> {
    if (this.#state !== 'open') return Promise.reject(new Error('not open'));
    const copy = Buffer.from(data);
    this.sent.push(copy);
    this.#sentInbox.put(copy);
    return Promise.resolve();
  }

  ping(): boolean {
    return false;
  }

  close(code: number, reason: string): void {
    if (this.#state === 'closed') return;
    this.closedWith = { code, reason };
    queueMicrotask(() => {
      this.#end(code, reason);
    });
  }

  terminate(): void {
    if (this.#state === 'closed') return;
    this.closedWith = 'terminated';
    queueMicrotask(() => {
      this.#end(1006, '');
    });
  }

  #end(code: number, reason: string): void {
    if (this.#state === 'closed') return;
    this.#state = 'closed';
    this.#resolveClosed(this.closedWith ?? { code, reason });
    this.#h.onClose(code, reason);
  }
}

/** mock-socket for the control channel, scripted streaming sockets for rendezvous. */
export class StreamingFactory implements SocketFactory {
  readonly canSetHeaders = false;
  readonly canPing = false;
  readonly rendezvous = new Inbox<StreamingScriptedSocket>();
  readonly all: StreamingScriptedSocket[] = [];
  readonly #control = browserSocketFactory(WebSocket as unknown as BrowserWebSocketConstructor);

  open(options: SocketOptions, handlers: SocketHandlers): HcSocket {
    return this.#control.open(options, handlers);
  }

  openStreaming(options: SocketOptions, handlers: StreamingSocketHandlers): StreamingHcSocket {
    const socket = new StreamingScriptedSocket(options, handlers);
    this.all.push(socket);
    this.rendezvous.put(socket);
    return socket;
  }

  /** The next rendezvous socket the listener opens (not yet accepted). */
  next(): Promise<StreamingScriptedSocket> {
    return this.rendezvous.take();
  }
}
