// The dispatcher interface of the Hybrid Connections listener: what the relay's router sees of
// one relayed HTTP request and how it answers. In (to the handler): method, target, headers and
// the body as a Readable. Out (from the handler): a status, headers and the body written to a
// Writable; the listener decides the channel (control or rendezvous) and streams it.
import type { Readable, Writable } from 'node:stream';

/** Where a request arrived (and, for `rendezvous`, where its response goes). */
export type HcMode = 'control' | 'rendezvous';

export interface HcRequest {
  /** The service's request id (echoed as requestId in the response). */
  readonly id: string;
  readonly method: string;
  /** Path and query, as the sender sent them (sb-hc-* parameters stripped by the service). */
  readonly target: string;
  /** Lower-case names; repeated headers joined with ", ". No authorization the service strips. */
  readonly headers: Readonly<Record<string, string>>;
  /**
   * The request body. Empty when the request has none. By rendezvous it streams as it arrives
   * (reading stops while 64 KiB wait unread); if it then passes maxRequestBytes it fails with
   * HcError RELAY_E_HC_TOO_LARGE (the listener answers 413 itself).
   */
  readonly body: Readable;
  /**
   * Body bytes received so far: the whole size once `body` has ended. (Control-channel bodies
   * arrive whole, so there it is final from the start.)
   */
  readonly size: number;
  readonly mode: HcMode;
  /**
   * Aborted when the listener gives up on this request: the response deadline passed with no
   * status, the channel was lost, or close() ran out of grace. Stop work and return.
   */
  readonly signal: AbortSignal;
}

export type HcHeaders = Readonly<Record<string, string | number>>;

export interface HcResponse {
  /**
   * Sets the status, an optional reason phrase and headers. Call it once, before the body.
   * Throws HcError RELAY_E_HC_STATUS for a status outside 200-599, for 502 or 504 (reserved to
   * the service), for a malformed header, or when called a second time. RFC 7230 connection
   * headers (Content-Length, Transfer-Encoding, Connection, ...) are dropped; a Content-Length
   * above 64 KiB sends the response straight to a rendezvous socket.
   */
  status(code: number, description?: string, headers?: HcHeaders): void;
  /**
   * The body. Write and end() it (or pipe into it); its write callbacks are the back-pressure.
   * Writing before status() sends 200. end() completes the response.
   */
  readonly body: Writable;
  /** True once status() was called (or implied by a write). */
  readonly statusSet: boolean;
  /** Convenience: status() then body.end(data); resolves when the response is complete. */
  send(code: number, data?: string | Uint8Array, headers?: HcHeaders): Promise<void>;
}

/**
 * The relay's dispatcher. It may answer synchronously or asynchronously. If it throws (or its
 * promise rejects) before the response is committed, the listener answers 500 with a safe
 * body; after that, a rendezvous response is aborted (the socket is closed with 1011).
 */
export type HcHandler = (req: HcRequest, res: HcResponse) => void | Promise<void>;
