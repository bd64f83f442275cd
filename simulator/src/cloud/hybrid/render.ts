// The wire rendering of the endpoint's own answers, in one place. In: a typed error (or a
// status and a message) and where it goes: a sender's HTTP response, or a raw socket whose
// WebSocket handshake is refused. Out: an HTTP answer whose status comes from the error, an
// XML body `<Error><Code/><Detail/></Error>` as Azure's REST gateway sends, and a status
// description carrying a tracking id (as Azure's does). Never a token or a key.
import { randomUUID } from 'node:crypto';
import { STATUS_CODES, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { RelaycheckError } from '../../../../relay/src/protocol/errors';

/** Printable ASCII only, at most `max` characters: safe as a reason phrase. */
export function safePhrase(text: string, max = 400): string {
  const clean = text.replace(/[^\x20-\x7e]/g, '?');
  return clean.length > max ? clean.slice(0, max) : clean;
}

function escapeXml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');
}

export interface Rendered {
  readonly status: number;
  readonly trackingId: string;
  readonly detail: string;
  readonly body: string;
}

/** The status, tracking id and XML body for `error`. */
export function renderError(error: RelaycheckError, host: string): Rendered {
  const status = error.http ?? 500;
  const trackingId = randomUUID();
  const detail = safePhrase(
    `${error.code}: ${error.message}. TrackingId:${trackingId}, SystemTracker:${host}`,
    900,
  );
  const body = `<Error><Code>${status}</Code><Detail>${escapeXml(detail)}</Detail></Error>`;
  return { status, trackingId, detail, body };
}

/** Answers a sender's HTTP request with `error` (when no header was sent yet). */
export function answerSender(res: ServerResponse, error: RelaycheckError, host: string): Rendered {
  const r = renderError(error, host);
  if (res.headersSent) {
    res.destroy();
    return r;
  }
  res.writeHead(r.status, STATUS_CODES[r.status] ?? 'Error', {
    'Content-Type': 'application/xml; charset=utf-8',
    'Content-Length': Buffer.byteLength(r.body),
  });
  res.end(r.body);
  return r;
}

/** Ends a socket with a bare HTTP answer: a refused WebSocket handshake. */
export function answerSocket(
  socket: Duplex,
  status: number,
  description: string,
  body: string,
  contentType = 'application/xml; charset=utf-8',
): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const phrase = safePhrase(description) || (STATUS_CODES[status] ?? 'Error');
  const bytes = Buffer.byteLength(body);
  socket.end(
    `HTTP/1.1 ${status} ${phrase}\r\nContent-Type: ${contentType}\r\nContent-Length: ${bytes}\r\nConnection: close\r\n\r\n${body}`,
  );
}

/** Refuses a WebSocket handshake with `error`; the status description names the reason. */
export function refuseHandshake(socket: Duplex, error: RelaycheckError, host: string): Rendered {
  const r = renderError(error, host);
  answerSocket(socket, r.status, r.detail, r.body);
  return r;
}
