// The typed refusals of the mock back-office systems. In: a `SIM_E_BO_*` code, a message and
// safe details (a service name, a reference, a form type, a file name; never a header value
// that could hold a secret). Out: a SimBackOfficeError whose `http` is the status the
// service answers with; the XML error body is rendered in one place (xml.ts, errorXml).
import { defineErrors, familyError } from '../../../relay/src/protocol/errors';

export const SIM_BO_ERRORS = defineErrors('sim-backoffice', {
  SIM_E_BO_CONFIG: {
    summary:
      'The back-office configuration is invalid (the message and details.path name the offending field).',
    http: 500,
  },
  SIM_E_BO_BIND: {
    summary:
      'A back-office service could not listen: the address is not loopback (127.0.0.0/8 or ::1), or the port is taken.',
  },
  SIM_E_BO_SERVICE: {
    summary: 'No back-office service of that name is running (unknown or not enabled).',
    http: 404,
  },
  SIM_E_BO_ROUTE: {
    summary: 'No route of this service has this path (an unmatched request).',
    http: 404,
  },
  SIM_E_BO_METHOD: {
    summary: 'The path exists but not for this method (the Allow header lists the methods).',
    http: 405,
  },
  SIM_E_BO_REFERENCE: {
    summary:
      'A reference in the path is malformed: not the service reference format, or a wrong check digit.',
    http: 400,
  },
  SIM_E_BO_NOT_FOUND: {
    summary: 'A well-formed reference is not in the service data set (or no longer held).',
    http: 404,
  },
  SIM_E_BO_ARGUMENT: {
    summary: 'A query parameter is malformed or out of range (e.g. a document size).',
    http: 400,
  },
  SIM_E_BO_CONTENT_TYPE: {
    summary: 'The request body has the wrong media type (XML intake wants application/xml).',
    http: 415,
  },
  SIM_E_BO_TOO_LARGE: {
    summary: 'The request body is larger than the service accepts.',
    http: 413,
  },
  SIM_E_BO_XML_MALFORMED: {
    summary:
      'The body is not well-formed UTF-8 XML (empty, a syntax error, an undefined entity, another encoding).',
    http: 400,
  },
  SIM_E_BO_XML_DOCTYPE: {
    summary:
      'The XML holds a DOCTYPE (with or without entity declarations); refused as soon as the parser meets it, and no entity is ever expanded.',
    http: 400,
  },
  SIM_E_BO_XML_ROOT: {
    summary: 'The XML is well-formed but its root element is not one this service accepts.',
    http: 400,
  },
  SIM_E_BO_FORM_TYPE: {
    summary: 'No file share folder is configured for this form type.',
    http: 404,
  },
  SIM_E_BO_FILE_NAME: {
    summary:
      'The file name is refused: a path separator, "..", a leading dot, a control character, a reserved Windows name, or too long.',
    http: 400,
  },
  SIM_E_BO_FILE_EXISTS: {
    summary: 'A different file of that name is already in the folder (same bytes are accepted).',
    http: 409,
  },
  SIM_E_BO_KEY_REUSED: {
    summary:
      'An intake POST carries an Idempotency-Key already held for another body (a different SHA-256); the same body again gets the original receipt.',
    http: 409,
  },
  SIM_E_BO_INCOMPLETE: {
    summary: 'The request body ended early: the client aborted or closed mid-upload.',
    http: 400,
  },
  SIM_E_BO_WRITE: {
    summary: 'The file could not be written to the share folder (a disk or permission error).',
    http: 500,
  },
  SIM_E_BO_FAULT: {
    summary:
      "An answer produced by an injected fault; the status is the fault rule's (500, 503, 429, ...), 503 by default.",
    http: 503,
  },
  SIM_E_BO_INTERNAL: {
    summary: 'An unexpected failure inside a mock service (a bug); answered as 500, never a crash.',
    http: 500,
  },
});

export type SimBackOfficeCode = (typeof SIM_BO_ERRORS.codes)[number];

/** A refusal of a back-office mock; `http` is the status it answers with. */
export class SimBackOfficeError extends familyError(SIM_BO_ERRORS) {}
