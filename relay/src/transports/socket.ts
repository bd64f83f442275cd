// The small WebSocket interface the listener core is written against, so the same core runs
// over `ws` and the listener's own frame-level client (ws-socket.ts, ws-client.ts) and over
// browser-style sockets such as mock-socket (browser-socket.ts). In: a URL, headers and
// limits. Out: a socket that sends text, binary fragments and pings, and reports open,
// messages (whole, or binary piece by piece with pause/resume), pongs, refusals and one close.

/** What a socket reports. After onClose nothing else is reported. */
export interface SocketHandlers {
  /** The opening handshake completed. */
  onOpen(): void;
  /** A whole text message. */
  onText(text: string): void;
  /** A whole binary message (fragments already joined by the transport). */
  onBinary(data: Buffer): void;
  /** A pong arrived. */
  onPong(): void;
  /** The opening handshake was answered with this HTTP status instead of 101. */
  onRefused(status: number, description: string): void;
  /** A transport error; onClose follows. The message is safe to log (no URL query). */
  onError(error: Error): void;
  /** The socket is closed (exactly once). 1006 when no close frame was received. */
  onClose(code: number, reason: string): void;
}

export interface SocketOptions {
  /** ws:// or wss:// URL, exactly as dialled (it may carry sb-hc-token: never log it). */
  readonly url: string;
  /** Handshake headers; ignored by transports that cannot set them (see canSetHeaders). */
  readonly headers: Readonly<Record<string, string>>;
  /**
   * The largest message accepted; a larger one closes the socket with 1009. A streaming socket
   * applies it to text messages only: binary pieces are counted by the receiver.
   */
  readonly maxMessageBytes: number;
  /**
   * The name to verify the server's TLS certificate against (SNI) when the dial policy sent
   * the socket to another address than the logical one (default: the host of `url`).
   */
  readonly servername?: string;
}

/**
 * Where a socket is dialled: the URL, plus (when the dial policy mapped a logical address
 * elsewhere) the logical `Host` header and TLS server name, so the service still sees its own
 * name through an endpoint map or a TCP proxy.
 */
export interface DialTarget {
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly servername?: string;
}

/**
 * One WebSocket, client side. Sends go out in call order; a socket that fails one send fails
 * every later one.
 */
export interface HcSocket {
  /** Sends one text message; resolves when handed to the network (rejects if not open). */
  sendText(text: string): Promise<void>;
  /**
   * Sends a binary fragment; `fin` ends the message. Resolves when the transport has taken
   * the bytes (this is the back-pressure point for streamed responses).
   */
  sendBinary(data: Uint8Array, fin: boolean): Promise<void>;
  /** Sends a ping; false when the socket is not open or the transport cannot ping. */
  ping(): boolean;
  /** Starts the closing handshake (during CONNECTING: aborts). */
  close(code: number, reason: string): void;
  /** Drops the connection without a closing handshake; onClose(1006) follows. */
  terminate(): void;
}

/** What a streaming socket reports: binary messages piece by piece instead of whole. */
export interface StreamingSocketHandlers extends Omit<SocketHandlers, 'onBinary'> {
  /**
   * A piece of a binary message as it arrived; `fin` on the message's last piece (which may
   * be empty). The buffer is the receiver's to keep.
   */
  onBinaryPiece(data: Buffer, fin: boolean): void;
}

/** A socket whose reading can be stopped: the back-pressure point of streamed request bodies. */
export interface StreamingHcSocket extends HcSocket {
  /** Stops handing messages over (and reading the network) until resume(). */
  pause(): void;
  /** Hands over what was kept, then reads on (unless a handler paused again). */
  resume(): void;
  /** Bytes read from the network and not yet handed over. */
  readonly bufferedBytes: number;
}

/** Opens sockets. One adapter per WebSocket implementation. */
export interface SocketFactory {
  /** False for browser-style sockets: the token then goes in the sb-hc-token query parameter. */
  readonly canSetHeaders: boolean;
  /** False for browser-style sockets: keep-alive pings and half-open detection are then off. */
  readonly canPing: boolean;
  open(options: SocketOptions, handlers: SocketHandlers): HcSocket;
  /**
   * Optional streaming hook, used for rendezvous sockets: binary messages are handed over piece
   * by piece as frames arrive, and reading stops while the receiver is full. A factory without
   * it (browser-style sockets) serves rendezvous sockets through open(), whole messages.
   */
  openStreaming?(options: SocketOptions, handlers: StreamingSocketHandlers): StreamingHcSocket;
}

/** Close codes a listener uses (RFC 6455 section 7.4.1). */
export const CLOSE = Object.freeze({
  normal: 1000,
  goingAway: 1001,
  protocolError: 1002,
  abnormal: 1006,
  policy: 1008,
  tooBig: 1009,
  internalError: 1011,
});
