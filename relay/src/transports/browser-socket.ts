// The browser-style adapter of the listener's socket interface (socket.ts), for WebSocket
// classes shaped like the WHATWG one — mock-socket in unit tests, a runtime's global
// WebSocket in development. In: such a constructor and a URL. Out: an HcSocket without
// headers (the token must go in the query) and without pings; binary fragments are joined
// and sent as one message at `fin`; close codes a browser may not send are mapped to 4000+.
import type { HcSocket, SocketFactory, SocketHandlers, SocketOptions } from './socket';
import { CLOSE } from './socket';

/** The WHATWG WebSocket surface the adapter needs. */
export interface BrowserWebSocket {
  binaryType: string;
  readonly readyState: number;
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onerror: ((event: unknown) => void) | null;
  onclose: ((event: { code?: number; reason?: string }) => void) | null;
  send(data: string | ArrayBuffer): void;
  close(code?: number, reason?: string): void;
}

export type BrowserWebSocketConstructor = new (url: string) => BrowserWebSocket;

const OPEN = 1;

/**
 * Maps a close code to one a browser-style socket may send (1000 or 3000-4999): 1001-1015
 * become 4001-4015 (so 1008 is sent as 4008); anything else becomes 1000.
 */
export function browserCloseCode(code: number): number {
  if (code === 1000 || (code >= 3000 && code <= 4999)) return code;
  if (code > 1000 && code < 2000 && code - 1000 + 4000 <= 4999) return code - 1000 + 4000;
  return 1000;
}

/** A SocketFactory over a browser-style WebSocket class (e.g. mock-socket's WebSocket). */
export function browserSocketFactory(Ctor: BrowserWebSocketConstructor): SocketFactory {
  return Object.freeze({
    canSetHeaders: false,
    canPing: false,
    open: (options: SocketOptions, handlers: SocketHandlers) =>
      openBrowserSocket(Ctor, options, handlers),
  });
}

function openBrowserSocket(
  Ctor: BrowserWebSocketConstructor,
  options: SocketOptions,
  handlers: SocketHandlers,
): HcSocket {
  let closed = false;
  let fragments: Buffer[] = [];
  const finish = (code: number, reason: string): void => {
    if (closed) return;
    closed = true;
    handlers.onClose(code, reason);
  };
  let ws: BrowserWebSocket;
  try {
    ws = new Ctor(options.url);
  } catch (e) {
    const message = e instanceof Error ? e.message : 'the WebSocket could not be created';
    queueMicrotask(() => {
      handlers.onError(new Error(message));
      finish(CLOSE.abnormal, '');
    });
    return inertSocket();
  }
  ws.binaryType = 'arraybuffer';

  ws.onopen = () => {
    if (!closed) handlers.onOpen();
  };
  ws.onmessage = (event) => {
    if (closed) return;
    const { data } = event;
    if (typeof data === 'string') {
      handlers.onText(data);
      return;
    }
    const bytes = toBuffer(data);
    if (bytes === undefined) {
      handlers.onError(new Error('a message of an unsupported data type was ignored'));
      return;
    }
    if (bytes.length > options.maxMessageBytes) {
      handlers.onError(new Error('a message larger than the limit arrived'));
      ws.close(browserCloseCode(CLOSE.tooBig), 'message too big');
      finish(CLOSE.tooBig, 'message too big');
      return;
    }
    handlers.onBinary(bytes);
  };
  ws.onerror = () => {
    if (!closed) handlers.onError(new Error('the WebSocket reported an error'));
  };
  ws.onclose = (event) => {
    finish(event.code ?? CLOSE.abnormal, event.reason ?? '');
  };

  const sendNow = (data: string | ArrayBuffer): Promise<void> => {
    if (closed || ws.readyState !== OPEN) {
      return Promise.reject(new Error('the WebSocket is not open'));
    }
    try {
      ws.send(data);
      return Promise.resolve();
    } catch (e) {
      return Promise.reject(e instanceof Error ? e : new Error('send failed'));
    }
  };

  return {
    sendText: (text) => sendNow(text),
    sendBinary: (data, fin) => {
      fragments.push(Buffer.from(data));
      if (!fin)
        return closed ? Promise.reject(new Error('the WebSocket is not open')) : Promise.resolve();
      const whole = Buffer.concat(fragments);
      fragments = [];
      return sendNow(toArrayBuffer(whole));
    },
    ping: () => false,
    close: (code, reason) => {
      if (closed) return;
      ws.close(browserCloseCode(code), reason);
    },
    terminate: () => {
      if (closed) return;
      try {
        ws.close(browserCloseCode(CLOSE.abnormal), 'terminated');
      } catch {
        // the socket is gone either way
      }
      queueMicrotask(() => {
        finish(CLOSE.abnormal, 'terminated');
      });
    },
  };
}

function toBuffer(data: unknown): Buffer | undefined {
  if (data instanceof ArrayBuffer) return Buffer.from(data);
  if (ArrayBuffer.isView(data)) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return undefined;
}

/** A copy of `bytes` in its own ArrayBuffer (what a browser-style send takes as binary). */
function toArrayBuffer(bytes: Buffer): ArrayBuffer {
  const copy = new ArrayBuffer(bytes.byteLength);
  new Uint8Array(copy).set(bytes);
  return copy;
}

function inertSocket(): HcSocket {
  const notOpen = (): Promise<void> => Promise.reject(new Error('the WebSocket is not open'));
  return {
    sendText: notOpen,
    sendBinary: notOpen,
    ping: () => false,
    close: () => undefined,
    terminate: () => undefined,
  };
}
