// The listener's own small RFC 6455 client, used for rendezvous sockets so that request bodies
// stream. In: a ws:// or wss:// URL, handshake headers, the TLS server name and options, and
// the bytes the server sends. Out: a StreamingHcSocket — the HTTP/1.1 Upgrade made with
// http.request/https.request (Sec-WebSocket-Accept checked, no extension or subprotocol
// accepted), binary messages handed over piece by piece as frames arrive, reading stopped while
// the receiver is full (pause/resume), masked client frames with write callbacks as
// back-pressure, pings answered, the closing handshake, and exactly one onClose.
import { createHash, randomBytes, randomFillSync } from 'node:crypto';
import { request as httpRequest, type ClientRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP, type Socket } from 'node:net';
import type { ConnectionOptions } from 'node:tls';
import type { HcError } from './errors';
import {
  CLOSE,
  type HcSocket,
  type SocketHandlers,
  type SocketOptions,
  type StreamingHcSocket,
  type StreamingSocketHandlers,
} from './socket';
import {
  FrameReader,
  OPCODE,
  closePayload,
  maskedFrame,
  maskedFrameSize,
  maskedTextFrame,
} from './ws-frames';

/** TLS options for wss:// sockets (e.g. `ca` for a private CA). */
export type WsTlsOptions = Readonly<
  Pick<
    ConnectionOptions,
    | 'ca'
    | 'cert'
    | 'key'
    | 'pfx'
    | 'passphrase'
    | 'rejectUnauthorized'
    | 'checkServerIdentity'
    | 'minVersion'
    | 'ciphers'
  >
>;

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
/** Frames at least this large are built in a buffer the socket reuses once it was written. */
const REUSE_FROM = 16 * 1024;
/** After both close frames, the TCP connection may take this long to end before it is cut. */
const CLOSE_LINGER_MS = 5_000;

/** The Sec-WebSocket-Accept value a server must answer `key` with. */
export function acceptFor(key: string): string {
  return createHash('sha1')
    .update(key + GUID)
    .digest('base64');
}

/** 4 unpredictable bytes per frame, drawn from a pool refilled from the CSPRNG. */
class MaskSource {
  readonly #pool = Buffer.allocUnsafe(4 * 1024);
  #at = this.#pool.length;

  next(): Buffer {
    if (this.#at + 4 > this.#pool.length) {
      randomFillSync(this.#pool);
      this.#at = 0;
    }
    const mask = this.#pool.subarray(this.#at, this.#at + 4);
    this.#at += 4;
    return mask;
  }
}

const masks = new MaskSource();

type State = 'connecting' | 'open' | 'closing' | 'closed';

/** Opens one client WebSocket whose binary messages are handed over as they arrive. */
export function openStreamingSocket(
  options: SocketOptions,
  handlers: StreamingSocketHandlers,
  tls: WsTlsOptions = {},
): StreamingHcSocket {
  return new StreamingClient(options, handlers, tls, false);
}

/**
 * Opens one client WebSocket that hands binary messages over whole (joined from their pieces);
 * a binary message over options.maxMessageBytes closes the socket with 1009.
 */
export function openClientSocket(
  options: SocketOptions,
  handlers: SocketHandlers,
  tls: WsTlsOptions = {},
): HcSocket {
  let parts: Buffer[] = [];
  return new StreamingClient(
    options,
    {
      onOpen: () => {
        handlers.onOpen();
      },
      onText: (text) => {
        handlers.onText(text);
      },
      onBinaryPiece: (data, fin) => {
        if (!fin) {
          if (data.length > 0) parts.push(data);
          return;
        }
        if (parts.length === 0) {
          handlers.onBinary(data);
          return;
        }
        parts.push(data);
        const whole = Buffer.concat(parts);
        parts = [];
        handlers.onBinary(whole);
      },
      onPong: () => {
        handlers.onPong();
      },
      onRefused: (status, description) => {
        handlers.onRefused(status, description);
      },
      onError: (error) => {
        handlers.onError(error);
      },
      onClose: (code, reason) => {
        parts = [];
        handlers.onClose(code, reason);
      },
    },
    tls,
    true,
  );
}

class StreamingClient implements StreamingHcSocket {
  readonly #h: StreamingSocketHandlers;
  readonly #reader: FrameReader;
  #req: ClientRequest | undefined;
  #socket: Socket | undefined;
  #state: State = 'connecting';
  #reported = false;
  #closeSent = false;
  #closeReceived: { code: number; reason: string } | undefined;
  #closeCode = CLOSE.abnormal as number;
  #closeReason = '';
  #sendingFragments = false;
  #paused = false;
  #corked = false;
  /** A frame buffer whose write completed: the next large frame is built in it. */
  #spare: Buffer | undefined;
  readonly #uncork = (): void => {
    this.#corked = false;
    this.#socket?.uncork();
  };

  /** `whole`: the receiver joins binary pieces, so binary messages are bounded as text ones. */
  constructor(
    options: SocketOptions,
    handlers: StreamingSocketHandlers,
    tls: WsTlsOptions,
    whole: boolean,
  ) {
    this.#h = handlers;
    this.#reader = new FrameReader(
      whole
        ? { maxTextBytes: options.maxMessageBytes, maxBinaryBytes: options.maxMessageBytes }
        : { maxTextBytes: options.maxMessageBytes },
      {
        text: (text) => {
          if (this.#state === 'open') this.#h.onText(text);
        },
        binary: (data, fin) => {
          if (this.#state === 'open') this.#h.onBinaryPiece(data, fin);
        },
        ping: (data) => {
          this.#write(OPCODE.pong, data, true).catch(() => undefined);
        },
        pong: () => {
          if (this.#state === 'open') this.#h.onPong();
        },
        close: (code, reason) => {
          this.#onCloseFrame(code, reason);
        },
        error: (error) => {
          this.#onMalformed(error);
        },
      },
    );
    let url: URL;
    try {
      url = new URL(options.url);
      if (url.protocol !== 'ws:' && url.protocol !== 'wss:') throw new Error('not ws/wss');
    } catch {
      this.#failLater('the WebSocket URL is not a ws:// or wss:// URL');
      return;
    }
    const secure = url.protocol === 'wss:';
    const key = randomBytes(16).toString('base64');
    const hostname = url.hostname.replace(/^\[(.*)\]$/, '$1');
    const headers: Record<string, string> = {
      Host: url.host,
      ...options.headers,
      Connection: 'Upgrade',
      Upgrade: 'websocket',
      'Sec-WebSocket-Version': '13',
      'Sec-WebSocket-Key': key,
    };
    const servername = options.servername ?? (isIP(hostname) === 0 ? hostname : undefined);
    let req: ClientRequest;
    try {
      const common = {
        hostname,
        port: url.port === '' ? (secure ? 443 : 80) : Number(url.port),
        path: `${url.pathname}${url.search}`,
        method: 'GET',
        headers,
        agent: false as const,
      };
      req = secure
        ? httpsRequest({
            ...common,
            ...tls,
            ...(servername !== undefined ? { servername } : {}),
          })
        : httpRequest(common);
    } catch (e) {
      this.#failLater(e instanceof Error ? e.message : 'the WebSocket could not be created');
      return;
    }
    this.#req = req;
    req.on('upgrade', (res: IncomingMessage, socket: Socket, head: Buffer) => {
      this.#onUpgrade(res, socket, head, acceptFor(key));
    });
    req.on('response', (res: IncomingMessage) => {
      res.resume();
      if (this.#state !== 'connecting') return;
      this.#h.onRefused(res.statusCode ?? 0, res.statusMessage ?? '');
      this.#error(`Unexpected server response: ${res.statusCode ?? 0}`);
      req.destroy();
    });
    req.on('error', (err: Error) => {
      this.#error(err.message);
      this.#report(CLOSE.abnormal, '');
    });
    req.on('close', () => {
      if (this.#state === 'connecting') this.#report(CLOSE.abnormal, '');
    });
    req.end();
  }

  get bufferedBytes(): number {
    return this.#reader.bufferedBytes;
  }

  // --- HcSocket

  sendText(text: string): Promise<void> {
    if (this.#state !== 'open') return Promise.reject(new Error('the WebSocket is not open'));
    const socket = this.#socket;
    if (socket === undefined || socket.destroyed || !socket.writable) {
      return Promise.reject(new Error('the WebSocket is not open'));
    }
    return this.#flush(socket, maskedTextFrame(text, masks.next()), undefined);
  }

  sendBinary(data: Uint8Array, fin: boolean): Promise<void> {
    const opcode = this.#sendingFragments ? OPCODE.continuation : OPCODE.binary;
    this.#sendingFragments = !fin;
    return this.#send(opcode, data, fin);
  }

  ping(): boolean {
    if (this.#state !== 'open') return false;
    this.#write(OPCODE.ping, Buffer.alloc(0), true).catch(() => undefined);
    return true;
  }

  close(code: number, reason: string): void {
    if (this.#state === 'connecting') {
      this.terminate();
      return;
    }
    if (this.#state !== 'open') return;
    this.#state = 'closing';
    this.#closeCode = code;
    this.#closeReason = reason;
    this.#sendClose(code, reason);
    // Read on (and drop data) until the server's close frame ends the handshake.
    this.#unpause();
  }

  terminate(): void {
    if (this.#state === 'closed') return;
    if (this.#socket !== undefined) this.#socket.destroy();
    else this.#req?.destroy();
    // 'close' follows from the socket or request; report now if neither exists.
    if (this.#socket === undefined && this.#req === undefined) this.#report(CLOSE.abnormal, '');
  }

  pause(): void {
    if (this.#paused) return;
    this.#paused = true;
    this.#reader.pause();
    this.#socket?.pause();
  }

  resume(): void {
    if (!this.#paused) return;
    this.#paused = false;
    this.#reader.resume(); // hands over what is kept; the receiver may pause again
    if (!this.#reader.paused) this.#socket?.resume();
  }

  // --- internals

  #onUpgrade(res: IncomingMessage, socket: Socket, head: Buffer, accept: string): void {
    if (this.#state !== 'connecting') {
      socket.destroy();
      return;
    }
    const problem = handshakeProblem(res, accept);
    if (problem !== undefined) {
      this.#error(problem);
      socket.destroy();
      this.#report(CLOSE.abnormal, '');
      return;
    }
    this.#socket = socket;
    this.#state = 'open';
    socket.setNoDelay(true);
    socket.setTimeout(0);
    socket.on('data', (chunk: Buffer) => {
      this.#reader.push(chunk);
    });
    socket.on('end', () => {
      // The server ended the TCP connection: without a close frame that is 1006.
      socket.end();
    });
    socket.on('error', (err: Error) => {
      this.#error(err.message);
      socket.destroy();
    });
    socket.on('close', () => {
      const received = this.#closeReceived;
      if (received !== undefined) this.#report(received.code, received.reason);
      else this.#report(this.#closeCode, this.#closeReason);
    });
    this.#h.onOpen();
    if (head.length > 0) this.#reader.push(head);
  }

  #onCloseFrame(code: number, reason: string): void {
    this.#closeReceived = { code, reason };
    if (!this.#closeSent) this.#sendClose(code, reason);
    this.#state = 'closing';
    this.#endSocket();
  }

  #onMalformed(error: HcError): void {
    const code = typeof error.details.closeCode === 'number' ? error.details.closeCode : 1002;
    this.#error(error.message);
    this.#closeCode = code;
    this.#closeReason = '';
    this.#closeReceived = { code, reason: '' };
    if (!this.#closeSent) this.#sendClose(code, '');
    this.#state = 'closing';
    this.#endSocket();
  }

  #sendClose(code: number, reason: string): void {
    this.#closeSent = true;
    this.#write(OPCODE.close, closePayload(code, reason), true).catch(() => undefined);
  }

  /** Ends our side once what is written is out; cut it if the server does not end its side. */
  #endSocket(): void {
    const socket = this.#socket;
    if (socket === undefined) return;
    this.#unpause();
    socket.end();
    socket.setTimeout(CLOSE_LINGER_MS, () => {
      socket.destroy();
    });
  }

  #unpause(): void {
    this.#paused = false;
    this.#reader.resume();
    this.#socket?.resume();
  }

  #send(opcode: number, payload: Uint8Array, fin: boolean): Promise<void> {
    if (this.#state !== 'open') return Promise.reject(new Error('the WebSocket is not open'));
    return this.#write(opcode, payload, fin);
  }

  #write(opcode: number, payload: Uint8Array, fin: boolean): Promise<void> {
    const socket = this.#socket;
    if (socket === undefined || socket.destroyed || !socket.writable) {
      return Promise.reject(new Error('the WebSocket is not open'));
    }
    let spare: Buffer | undefined;
    if (payload.length >= REUSE_FROM) {
      // Streamed bodies go one frame at a time (each sent once the last was written), so one
      // buffer serves a whole body instead of a new one per frame left to the collector.
      spare = this.#spare;
      this.#spare = undefined;
      if (spare === undefined || spare.length < maskedFrameSize(payload.length)) {
        spare = Buffer.allocUnsafeSlow(maskedFrameSize(Math.max(payload.length, 64 * 1024)));
      }
    }
    return this.#flush(socket, maskedFrame(opcode, payload, fin, masks.next(), spare), spare);
  }

  /** Writes a frame; `spare` (the buffer it was built in) is reused once it was written. */
  #flush(socket: Socket, frame: Buffer, spare: Buffer | undefined): Promise<void> {
    if (!this.#corked) {
      // Frames sent in the same tick (a response head and its body) leave in one write.
      this.#corked = true;
      socket.cork();
      process.nextTick(this.#uncork);
    }
    return new Promise((resolve, reject) => {
      socket.write(frame, (err) => {
        if (err) {
          reject(new Error(err.message));
          return;
        }
        // Written: the socket holds no reference to it any more.
        if (spare !== undefined) this.#spare = spare;
        resolve();
      });
    });
  }

  #error(message: string): void {
    if (!this.#reported) this.#h.onError(new Error(message));
  }

  #failLater(message: string): void {
    setImmediate(() => {
      this.#error(message);
      this.#report(CLOSE.abnormal, '');
    });
  }

  #report(code: number, reason: string): void {
    if (this.#reported) return;
    this.#reported = true;
    this.#state = 'closed';
    this.#h.onClose(code, reason);
  }
}

/** Why a 101 answer is not an acceptable WebSocket handshake, or undefined. */
function handshakeProblem(res: IncomingMessage, accept: string): string | undefined {
  if (res.statusCode !== 101) return `the server answered ${res.statusCode ?? 0}, not 101`;
  if (res.headers.upgrade?.toLowerCase() !== 'websocket') {
    return 'the server did not upgrade to websocket';
  }
  if (
    !(res.headers.connection ?? '')
      .toLowerCase()
      .split(',')
      .some((t) => t.trim() === 'upgrade')
  ) {
    return 'the server did not answer Connection: Upgrade';
  }
  if (res.headers['sec-websocket-accept'] !== accept) {
    return 'the server answered a wrong Sec-WebSocket-Accept';
  }
  if (res.headers['sec-websocket-extensions'] !== undefined) {
    return 'the server named an extension the client did not offer';
  }
  if (res.headers['sec-websocket-protocol'] !== undefined) {
    return 'the server named a subprotocol the client did not offer';
  }
  return undefined;
}
