// The typed errors of the tenant driver ("the digital services"). In: a code of the
// `sim-tenant` family, a message and safe details (route, message id, key id, dead-letter
// reason). Out: a SimTenantError whose `http` says how a caller of the driver would render it.
// A key, token, signature or body never goes into a message or details.
import { defineErrors, familyError } from '../../../../relay/src/protocol/errors';

export const SIM_TENANT_ERRORS = defineErrors('sim-tenant', {
  SIM_E_TENANT_CONFIG: {
    summary:
      'The tenant driver options are invalid (details.path names the field), or a call needs a part that was not configured (the Hybrid Connections sender).',
    http: 500,
  },
  SIM_E_TENANT_NO_SESSION: {
    summary:
      'No relay handshake session is live for the tenant: the driver sends no work until a relay completes a handshake.',
    http: 503,
  },
  SIM_E_TENANT_TIMEOUT: {
    summary: 'No reply to a request arrived on the replies session within the reply timeout.',
    http: 504,
  },
  SIM_E_TENANT_REPLY: {
    summary:
      'The reply or HTTP answer cannot be accepted: its envelope does not open (details.envCode), it is unsealed under the production profile, its status is missing, or it is too large.',
    http: 502,
  },
  SIM_E_TENANT_DEAD_LETTERED: {
    summary:
      'The relay dead-lettered the request; details.reason and details.description say why (read from the dead-letter queue).',
    http: 422,
  },
  SIM_E_TENANT_TRANSPORT: {
    summary:
      'Service Bus or the Hybrid Connections sender front failed while the driver sent a request or an answer (details.sbCode or the HTTP error).',
    http: 503,
  },
  SIM_E_TENANT_HELLO: {
    summary:
      'A message on the handshake queue cannot be answered as a HELLO: no usable replyToSessionId, a body that is not bytes, or an instance id inside the HELLO other than its replyToSessionId (answered REJECT where possible).',
  },
  SIM_E_TENANT_CLOSED: {
    summary: 'The tenant driver was closed; requests waiting for replies are refused.',
    http: 503,
  },
});

export type SimTenantCode = (typeof SIM_TENANT_ERRORS.codes)[number];

export class SimTenantError extends familyError(SIM_TENANT_ERRORS) {}
