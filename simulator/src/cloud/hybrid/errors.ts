// The typed refusals of the simulated Hybrid Connections endpoint. In: a code of the
// `sim-hybrid` family, a message and safe details (path, listener id, request id, status).
// Out: a SimHybridError whose `http` is the status a sender or a listener's handshake gets;
// for the refusals that close a WebSocket, HC_CLOSE_CODES gives the close code. A token, key,
// signature or rendezvous address never goes into a message or details.
import { defineErrors, familyError } from '../../../../relay/src/protocol/errors';

export const SIM_HC_ERRORS = defineErrors('sim-hybrid', {
  SIM_E_HC_CONFIG: {
    summary:
      'The Hybrid Connections namespace configuration or the endpoint options are invalid (details.path names the field).',
    http: 500,
  },
  SIM_E_HC_BIND: {
    summary: 'The endpoint may only listen on a loopback address (127.0.0.1, ::1, localhost).',
  },
  SIM_E_HC_NOT_FOUND: {
    summary: 'No Hybrid Connection has this path (listen, connect or HTTP request).',
    http: 404,
  },
  SIM_E_HC_BAD_REQUEST: {
    summary:
      'The request is not one the endpoint relays: a missing or unknown sb-hc-action, a WebSocket upgrade outside /$hc/, a plain request to /$hc/, or a malformed URL.',
    http: 400,
  },
  SIM_E_HC_METHOD: {
    summary: 'The CONNECT method is never relayed.',
    http: 405,
  },
  SIM_E_HC_LISTENER_LIMIT: {
    summary:
      'The Hybrid Connection already has its maximum of listeners (25): QuotaExceeded, MaximumListenersPerEndpoint.',
    http: 403,
  },
  SIM_E_HC_NO_LISTENER: {
    summary: 'An HTTP request arrived while no listener was connected: 502 Bad Gateway.',
    http: 502,
  },
  SIM_E_HC_ENDPOINT_OFFLINE: {
    summary:
      'A WebSocket sender connected while no listener was connected: "There are no listeners connected for the endpoint".',
    http: 404,
  },
  SIM_E_HC_TIMEOUT: {
    summary:
      'The listener did not answer in time: no response frame within the deadline (default 60 s), no response body within the deadline after it, or no rendezvous within 30 s.',
    http: 504,
  },
  SIM_E_HC_RENDEZVOUS_INVALID: {
    summary:
      'A rendezvous address was used that is unknown, already used, expired (30 s) or for another action: 403 Forbidden ("The URL is not valid / has expired").',
    http: 403,
  },
  SIM_E_HC_REJECT_STATUS: {
    summary:
      'A listener tried to reject a WebSocket sender with an sb-hc-statusCode that is not a whole number from 400 to 599.',
    http: 400,
  },
  SIM_E_HC_REJECTED: {
    summary:
      'The listener rejected a WebSocket sender: its reject handshake ends with 410 Gone, and the sender gets the status the listener chose.',
    http: 410,
  },
  SIM_E_HC_HEADERS_TOO_LARGE: {
    summary:
      'The request line and headers are larger than the endpoint accepts (default 64 KiB): 431 Request Header Fields Too Large.',
    http: 431,
  },
  SIM_E_HC_FRAME: {
    summary:
      'A listener sent a malformed message on a control or rendezvous channel (not JSON, not an object, binary where text belongs, text where a body belongs, a response without requestId or with an unusable statusCode): the channel is closed with 1008.',
  },
  SIM_E_HC_FRAME_TOO_LARGE: {
    summary:
      'A listener sent a message larger than the channel allows (64 KiB on the control channel: larger responses must use rendezvous): the channel is closed with 1009 and waiting senders get 502.',
    http: 502,
  },
  SIM_E_HC_BAD_RESPONSE: {
    summary:
      'The listener answered 502 or 504, which the protocol reserves for the service; the sender gets the service 502 instead.',
    http: 502,
  },
  SIM_E_HC_LISTENER_GONE: {
    summary:
      'The control channel or rendezvous socket carrying a request closed before the response was complete: the sender gets 502 (or its connection is cut if the response had started).',
    http: 502,
  },
  SIM_E_HC_TOKEN_EXPIRED: {
    summary:
      "The listener's token expired (or was expired early through the control API): the control channel is closed with 1008.",
    http: 401,
  },
  SIM_E_HC_RENEW_REFUSED: {
    summary:
      'A renewToken message carried a token that does not verify for Listen on this path: the control channel is closed with 1008.',
    http: 401,
  },
  SIM_E_HC_SHUTDOWN: {
    summary:
      'The endpoint is shutting down or the Hybrid Connection was disabled: channels are closed with 1001.',
    http: 503,
  },
  SIM_E_HC_INTERNAL: {
    summary: 'An unexpected failure inside the endpoint (a bug): 500, or a close with 1011.',
    http: 500,
  },
});

export type SimHybridCode = (typeof SIM_HC_ERRORS.codes)[number];

/** A refusal of the simulated Hybrid Connections endpoint. */
export class SimHybridError extends familyError(SIM_HC_ERRORS) {}

/** The WebSocket close code a refusal that ends a channel uses. */
export const HC_CLOSE_CODES: Readonly<Partial<Record<SimHybridCode, number>>> = Object.freeze({
  SIM_E_HC_FRAME: 1008,
  SIM_E_HC_FRAME_TOO_LARGE: 1009,
  SIM_E_HC_TOKEN_EXPIRED: 1008,
  SIM_E_HC_RENEW_REFUSED: 1008,
  SIM_E_HC_SHUTDOWN: 1001,
  SIM_E_HC_INTERNAL: 1011,
});
