// The typed refusals of the simulated namespace's AMQP edge: framing and abuse, CBS and link
// authorization, malformed $management and $cbs requests. In: a `SIM_E_AMQP_*` code, a
// message and safe details (never a token, key or signature). Out: a SimAmqpError whose `amqp`
// is the condition sent on the wire (close, detach, disposition) and whose `http` is the
// status of a $cbs or $management answer. Broker refusals are the engine's SIM_E_SB_* family.
import { defineErrors, familyError } from '../../../../../relay/src/protocol/errors';

export const SIM_AMQP_ERRORS = defineErrors('sim-amqp', {
  SIM_E_AMQP_PROTOCOL_HEADER: {
    summary:
      'The peer did not open with an AMQP 1.0 or SASL protocol header; the simulator answers with its own header and closes the socket.',
  },
  SIM_E_AMQP_FRAME_TOO_LARGE: {
    summary:
      'A frame is larger than the max-frame-size the simulator announced (or than 64 KiB before open); the connection is closed.',
    amqp: 'amqp:connection:framing-error',
  },
  SIM_E_AMQP_FRAMING: {
    summary:
      'The byte stream is not a sequence of AMQP frames (a frame size under 8 bytes, a bad data offset or frame type); the connection is closed.',
    amqp: 'amqp:connection:framing-error',
  },
  SIM_E_AMQP_DECODE: {
    summary:
      'A frame could not be decoded, or it carries an unknown or out-of-place performative; the connection is closed.',
    amqp: 'amqp:decode-error',
  },
  SIM_E_AMQP_LINK_LIMIT: {
    summary:
      'The connection attached more links than the per-connection limit (default 1000); the connection is closed.',
    amqp: 'amqp:resource-limit-exceeded',
  },
  SIM_E_AMQP_CONNECTION_LIMIT: {
    summary: 'The namespace already has the maximum number of open AMQP connections (5000).',
    amqp: 'amqp:resource-limit-exceeded',
  },
  SIM_E_AMQP_UNAUTHORIZED: {
    summary:
      'A link was attached before a valid CBS token for its entity (and the right it needs) was put on the connection.',
    http: 401,
    amqp: 'amqp:unauthorized-access',
  },
  SIM_E_AMQP_TOKEN_EXPIRED: {
    summary:
      'The CBS token a link was authorized with expired and no newer token covers it; the link is detached.',
    http: 401,
    amqp: 'amqp:unauthorized-access',
  },
  SIM_E_AMQP_CBS_REFUSED: {
    summary:
      'A CBS put-token was refused (details.sasCode gives the SAS reason: signature, expiry, audience, rights); answered 401 or 403.',
    http: 401,
    amqp: 'amqp:unauthorized-access',
  },
  SIM_E_AMQP_BAD_REQUEST: {
    summary:
      'A $cbs or $management request is malformed: missing operation, reply-to, message-id, or a body field of the wrong type.',
    http: 400,
    amqp: 'com.microsoft:argument-error',
  },
  SIM_E_AMQP_NOT_IMPLEMENTED: {
    summary:
      'The $management operation exists in Azure but not in the simulator (see docs/differences-from-azure.md).',
    http: 501,
    amqp: 'amqp:not-implemented',
  },
  SIM_E_AMQP_LINK: {
    summary:
      'A link attach is not usable: no address, a sender attached to a receive-only path, or a settle mode the entity cannot honour.',
    http: 400,
    amqp: 'amqp:not-allowed',
  },
  SIM_E_AMQP_INTERNAL: {
    summary: 'An unexpected failure inside the simulator edge (a bug); the link or request fails.',
    http: 500,
    amqp: 'amqp:internal-error',
  },
  SIM_E_AMQP_FAULT: {
    summary:
      'A fault injected through the simulator options or control API (e.g. refuse CBS) produced this refusal.',
    http: 503,
    amqp: 'com.microsoft:server-busy',
  },
});

export type SimAmqpCode = (typeof SIM_AMQP_ERRORS.codes)[number];

/** A refusal of the AMQP edge. */
export class SimAmqpError extends familyError(SIM_AMQP_ERRORS) {}
