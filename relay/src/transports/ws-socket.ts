// The production socket factory (socket.ts): the control channel over `ws` 8, rendezvous
// sockets over the listener's own frame-level client (ws-client.ts) so request bodies stream.
// In: a ws WebSocket constructor (injectable), TLS options, a URL, headers (ServiceBusAuthorization,
// the logical Host when the URL was mapped), the TLS server name and a message size bound. Out:
// HcSockets with real pings, binary fragments (fin) and send callbacks as back-pressure (frames
// sent in one tick leave in one write); an HTTP refusal of the handshake is reported with its
// status.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import WebSocket from 'ws';
import {
  CLOSE,
  type HcSocket,
  type SocketFactory,
  type SocketHandlers,
  type SocketOptions,
  type StreamingSocketHandlers,
} from './socket';
import { openClientSocket, openStreamingSocket, type WsTlsOptions } from './ws-client';

/** The part of ws's WebSocket constructor the adapter uses. */
export type WsConstructor = new (url: string, options: WebSocket.ClientOptions) => WebSocket;

export interface WsSocketFactoryOptions {
  /**
   * TLS options for wss:// (e.g. `ca` for a private CA), given to `ws` and to the streaming
   * client alike. A constructor that adds TLS options itself does not reach the streaming
   * client: give them here.
   */
  readonly tls?: WsTlsOptions;
  /**
   * Rendezvous sockets through the frame-level client, so request bodies stream with
   * back-pressure (default true). false: `ws` for them too (whole messages).
   */
  readonly streamRendezvous?: boolean;
}

/** A SocketFactory over `ws` (default: the real ws WebSocket) and the streaming client. */
export function wsSocketFactory(
  Ctor: WsConstructor = WebSocket,
  factoryOptions: WsSocketFactoryOptions = {},
): SocketFactory {
  const tls = factoryOptions.tls ?? {};
  const open = (options: SocketOptions, handlers: SocketHandlers): HcSocket =>
    openWsSocket(Ctor, tls, options, handlers);
  if (factoryOptions.streamRendezvous === false) {
    return Object.freeze({ canSetHeaders: true, canPing: true, open });
  }
  return Object.freeze({
    canSetHeaders: true,
    canPing: true,
    open,
    openStreaming: (options: SocketOptions, handlers: StreamingSocketHandlers) =>
      openStreamingSocket(options, handlers, tls),
  });
}

export interface ClientSocketFactoryOptions {
  /** TLS options for wss:// (e.g. `ca` for a private CA). */
  readonly tls?: WsTlsOptions;
}

/**
 * The listener's own RFC 6455 client (ws-client.ts) for the control channel (whole messages)
 * as well as for rendezvous sockets (streamed bodies); the alternative to the default
 * wsSocketFactory() where `ws` is not wanted. Measured against it in `bench hybrid`
 * (RELAYCHECK_HYBRID_CONTROL=own).
 */
export function clientSocketFactory(
  factoryOptions: ClientSocketFactoryOptions = {},
): SocketFactory {
  const tls = factoryOptions.tls ?? {};
  return Object.freeze({
    canSetHeaders: true,
    canPing: true,
    open: (options: SocketOptions, handlers: SocketHandlers) =>
      openClientSocket(options, handlers, tls),
    openStreaming: (options: SocketOptions, handlers: StreamingSocketHandlers) =>
      openStreamingSocket(options, handlers, tls),
  });
}

function openWsSocket(
  Ctor: WsConstructor,
  tls: WsTlsOptions,
  options: SocketOptions,
  handlers: SocketHandlers,
): HcSocket {
  let ws: WebSocket;
  try {
    ws = new Ctor(options.url, {
      ...(tls as WebSocket.ClientOptions),
      headers: { ...options.headers },
      maxPayload: options.maxMessageBytes,
      perMessageDeflate: false,
      followRedirects: false,
      // ws hands this to tls.connect (SNI and the certificate check).
      ...(options.servername !== undefined ? { servername: options.servername } : {}),
    });
  } catch (e) {
    // Reported like any failed connection, and never synchronously from open().
    const message = e instanceof Error ? e.message : 'the WebSocket could not be created';
    setImmediate(() => {
      handlers.onError(new Error(message));
      handlers.onClose(CLOSE.abnormal, '');
    });
    return inertSocket();
  }
  ws.binaryType = 'nodebuffer';
  let closed = false;
  // The connection under ws, from its public 'upgrade' event (the 101 response's socket).
  // Sends made in one tick are corked on it and leave in one write: a response's head and
  // body frames then reach the service together instead of as two TCP segments.
  let wire: Duplex | undefined;
  let corked = false;
  const uncork = (): void => {
    corked = false;
    wire?.uncork();
  };
  ws.on('upgrade', (res: IncomingMessage) => {
    wire = res.socket;
  });

  ws.on('open', () => {
    if (!closed) handlers.onOpen();
  });
  ws.on('message', (data: WebSocket.RawData, isBinary: boolean) => {
    if (closed) return;
    const bytes = toBuffer(data);
    if (isBinary) handlers.onBinary(bytes);
    else handlers.onText(bytes.toString('utf8'));
  });
  ws.on('pong', () => {
    if (!closed) handlers.onPong();
  });
  ws.on('unexpected-response', (_req, res) => {
    res.resume();
    if (!closed) handlers.onRefused(res.statusCode ?? 0, res.statusMessage ?? '');
    ws.terminate();
  });
  ws.on('error', (err: Error & { code?: string }) => {
    if (closed) return;
    // ws messages name no query string; keep only the message text.
    handlers.onError(new Error(err.message));
    if (err.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') {
      // ws has sent close 1009 and stopped reading: report it now and drop the socket rather
      // than wait for a closing handshake that can no longer be read.
      closed = true;
      handlers.onClose(CLOSE.tooBig, 'message too big');
      ws.terminate();
    }
  });
  ws.on('close', (code: number, reason: Buffer) => {
    if (closed) return;
    closed = true;
    handlers.onClose(code, reason.toString('utf8'));
  });

  const send = (data: string | Uint8Array, binary: boolean, fin: boolean): Promise<void> =>
    new Promise((resolve, reject) => {
      if (ws.readyState !== WebSocket.OPEN) {
        reject(new Error('the WebSocket is not open'));
        return;
      }
      if (!corked && wire !== undefined) {
        corked = true;
        wire.cork();
        process.nextTick(uncork);
      }
      ws.send(data, { binary, fin, compress: false }, (err) => {
        if (err) reject(new Error(err.message));
        else resolve();
      });
    });

  return {
    sendText: (text) => send(text, false, true),
    sendBinary: (data, fin) => send(data, true, fin),
    ping: () => {
      if (ws.readyState !== WebSocket.OPEN) return false;
      ws.ping();
      return true;
    },
    close: (code, reason) => {
      if (ws.readyState === WebSocket.CONNECTING) ws.terminate();
      else if (ws.readyState === WebSocket.OPEN) ws.close(code, reason);
    },
    terminate: () => {
      ws.terminate();
    },
  };
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

function toBuffer(data: WebSocket.RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}
