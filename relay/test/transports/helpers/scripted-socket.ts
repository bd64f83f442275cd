// A SocketFactory whose sockets do exactly what the test says: open, refuse with a status,
// deliver frames and pongs, close. In: calls from the test. Out: what the listener sent (text,
// binary, pings, closes) per socket. Nothing is ever reported from inside open().
import type {
  HcSocket,
  SocketFactory,
  SocketHandlers,
  SocketOptions,
} from '../../../src/transports/socket';
import { Inbox } from './mock-service';

export class ScriptedSocket implements HcSocket {
  readonly options: SocketOptions;
  readonly #h: SocketHandlers;
  readonly sent: (string | Buffer)[] = [];
  pings = 0;
  closedWith: { code: number; reason: string } | 'terminated' | undefined;
  #state: 'connecting' | 'open' | 'closed' = 'connecting';

  constructor(options: SocketOptions, handlers: SocketHandlers) {
    this.options = options;
    this.#h = handlers;
  }

  // --- driven by the test

  accept(): void {
    this.#state = 'open';
    this.#h.onOpen();
  }

  refuse(status: number, description = ''): void {
    this.#h.onRefused(status, description);
    this.#h.onError(new Error(`Unexpected server response: ${status}`));
    this.#end(1006, '');
  }

  text(text: string): void {
    this.#h.onText(text);
  }

  pong(): void {
    this.#h.onPong();
  }

  serverClose(code: number, reason = ''): void {
    this.#end(code, reason);
  }

  // --- HcSocket, used by the listener

  sendText(text: string): Promise<void> {
    if (this.#state !== 'open') return Promise.reject(new Error('not open'));
    this.sent.push(text);
    return Promise.resolve();
  }

  sendBinary(data: Uint8Array, _fin: boolean): Promise<void> {
    if (this.#state !== 'open') return Promise.reject(new Error('not open'));
    this.sent.push(Buffer.from(data));
    return Promise.resolve();
  }

  ping(): boolean {
    if (this.#state !== 'open') return false;
    this.pings++;
    return true;
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
    this.#h.onClose(code, reason);
  }
}

export class ScriptedFactory implements SocketFactory {
  readonly canSetHeaders = true;
  readonly canPing: boolean;
  readonly sockets = new Inbox<ScriptedSocket>();
  readonly all: ScriptedSocket[] = [];

  constructor(canPing = true) {
    this.canPing = canPing;
  }

  open(options: SocketOptions, handlers: SocketHandlers): HcSocket {
    const socket = new ScriptedSocket(options, handlers);
    this.all.push(socket);
    this.sockets.put(socket);
    return socket;
  }

  next(): Promise<ScriptedSocket> {
    return this.sockets.take();
  }
}
