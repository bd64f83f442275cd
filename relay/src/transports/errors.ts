// The typed errors of the Hybrid Connections listener (relay/src/transports/). In: a code of
// the `relay-hc` family, a message and safe details (status, close code, request id). Out: an
// HcError whose `http` is the status the listener answers with when the error ends a request.
// Tokens, keys and signatures never go into a message or into details.
import { defineErrors, familyError } from '../protocol/errors';

export const RELAY_HC_ERRORS = defineErrors('relay-hc', {
  RELAY_E_HC_CONFIG: {
    summary:
      'The listener configuration is invalid (the message and details.path name the field), or a token could not be made from it.',
  },
  RELAY_E_HC_UNAUTHORIZED: {
    summary:
      'The service refused the control channel with 401: the token is missing, malformed, expired or signed with a wrong key.',
    http: 401,
  },
  RELAY_E_HC_FORBIDDEN: {
    summary:
      'The service refused the control channel with 403: the token does not carry the Listen right for this hybrid connection.',
    http: 403,
  },
  RELAY_E_HC_NOT_FOUND: {
    summary: 'The service refused the control channel with 404: no such hybrid connection.',
    http: 404,
  },
  RELAY_E_HC_HANDSHAKE: {
    summary:
      'The control channel could not be opened for another reason: a network error, a handshake timeout, or an HTTP status other than 401, 403 or 404.',
  },
  RELAY_E_HC_CLOSED: {
    summary:
      'The service closed an open control channel (1001 entity gone, 1008 token expired or renewal refused, 1011 service error, or the connection dropped).',
  },
  RELAY_E_HC_PING_TIMEOUT: {
    summary:
      'No pong (or any other frame) came back within the bound after a keep-alive ping: the channel is taken as half-open and dropped.',
  },
  RELAY_E_HC_FRAME: {
    summary:
      'The service sent a frame the listener cannot use: not JSON, an unknown verb, a field of the wrong type, a binary frame nobody expects, or a malformed WebSocket frame (details.closeCode: 1002, 1007 or 1009, the code the socket is closed with).',
  },
  RELAY_E_HC_BAD_REQUEST: {
    summary:
      'A request frame names an id but is otherwise unusable (bad method, target or headers, CONNECT, or its body frame is missing); it is answered 400.',
    http: 400,
  },
  RELAY_E_HC_ADDRESS: {
    summary:
      'An address is not acceptable: a rendezvous address that is not a ws/wss URL, plain ws without the development flag, or outside the namespace; or any address the dial policy refuses (throws, rejects, or does not answer within the handshake bound; for the control channel that is a failed connect, retried).',
  },
  RELAY_E_HC_RENDEZVOUS: {
    summary:
      'A rendezvous WebSocket could not be opened or was lost, so a request could not be read or its response could not be delivered.',
  },
  RELAY_E_HC_TOO_LARGE: {
    summary:
      'The request body (declared, or counted as it arrives) is larger than maxRequestBytes; it is answered 413 and, by rendezvous, the socket is closed (1009) without reading the rest. A dispatcher that already started sees its body stream fail with this error.',
    http: 413,
  },
  RELAY_E_HC_BUSY: {
    summary:
      'maxConcurrent requests are in flight and the wait queue (maxQueued) is full; the request is answered 503 at once.',
    http: 503,
  },
  RELAY_E_HC_DEADLINE: {
    summary:
      'The dispatcher did not set a response status within responseDeadlineMs (or the request waited in the queue that long); it is answered 503.',
    http: 503,
  },
  RELAY_E_HC_HANDLER: {
    summary:
      'The dispatcher threw or failed before its response was committed; it is answered 500 with a body that carries only this code and the request id.',
    http: 500,
  },
  RELAY_E_HC_STATUS: {
    summary:
      'The dispatcher gave an unusable response: a status outside 200-599, 502 or 504 (reserved to the service), a bad header, or status() called twice.',
    http: 500,
  },
  RELAY_E_HC_SHUTDOWN: {
    summary:
      'The listener is shutting down: a request that had not started is answered 503, one still running after the grace period is aborted.',
    http: 503,
  },
});

export type HcErrorCode = (typeof RELAY_HC_ERRORS.codes)[number];

/** A typed failure of the Hybrid Connections listener. */
export class HcError extends familyError(RELAY_HC_ERRORS) {}

/** True when `e` is an HcError (optionally with the given code). */
export function isHcError(e: unknown, code?: HcErrorCode): e is HcError {
  return e instanceof HcError && (code === undefined || e.code === code);
}
