// The typed errors of the relay's file drop (family `relay-filedrop`) and what a caller does with
// them. In: a code, a message and safe details (form type clipped, file name, errno, step — never
// a key, a body or a path outside the folder). Out: RelayFileDropError, the permanent and
// transient code sets, and fileDropSettlementOf(): dead-letter or abandon a message whose drop failed.
import { defineErrors, familyError, isRelaycheckError } from '../../protocol/errors';
import type { Settlement } from '../backoffice/errors';

export const RELAY_FILEDROP_ERRORS = defineErrors('relay-filedrop', {
  RELAY_E_FILEDROP_CONFIG: {
    summary:
      'The file drop configuration is invalid (a folder that is not an absolute path, a form type outside [a-z0-9-], no folders or too many, a limit out of range, an unknown field): the relay does not start; details.path names the field.',
  },
  RELAY_E_FILEDROP_REQUEST: {
    summary:
      'A drop is unusable: an idempotency key that is not 1-200 printable ASCII characters, a body that is neither bytes nor a readable stream, or a bad sweep bound. Nothing is written; the message is dead-lettered.',
    http: 400,
  },
  RELAY_E_FILEDROP_FORM_TYPE: {
    summary:
      'No folder is configured for the form type the message names: a permanent refusal, nothing is written and the message is dead-lettered.',
    http: 404,
  },
  RELAY_E_FILEDROP_CONFLICT: {
    summary:
      'A different file (other bytes, or not a regular file) already has the name the relay derives from this idempotency key: it is never overwritten; the new body is discarded and the message dead-lettered.',
    http: 409,
  },
  RELAY_E_FILEDROP_IO: {
    summary:
      'The folder could not be created, written or synced (disk full, permissions, the folder is a file, I/O error): nothing is published under the final name; the message is held and abandoned (retried), and on its last delivery dead-lettered with this code and the system code in its description. details.errno holds the system code.',
    http: 503,
  },
  RELAY_E_FILEDROP_BODY: {
    summary:
      'The body stream failed before its end (the transport broke off, the sender reset): nothing is published under the final name; the message is abandoned and retried.',
    http: 503,
  },
  RELAY_E_FILEDROP_ABORTED: {
    summary:
      "The caller's signal fired during the drop (shutdown, lost lock): the temporary file is removed, nothing is published; the message is abandoned.",
    http: 503,
  },
});

export type RelayFileDropErrorCode = (typeof RELAY_FILEDROP_ERRORS.codes)[number];

/** A failed or refused drop, or a bad file drop configuration. */
export class RelayFileDropError extends familyError(RELAY_FILEDROP_ERRORS) {}

export function isFileDropError(
  e: unknown,
  code?: RelayFileDropErrorCode,
): e is RelayFileDropError {
  return e instanceof RelayFileDropError && (code === undefined || e.code === code);
}

/**
 * Codes after which the message is dead-lettered: retrying cannot help. RELAY_E_CONTENT_PDF (the
 * content module's refusal of a body that is not an acceptable PDF), RELAY_E_CONTENT_NAME (a
 * declared file name the policy refuses) and the scanner's permanent verdicts (infected,
 * unscannable) are among them; RELAY_E_AV_UNAVAILABLE is not: the scan is retried.
 */
export const FILEDROP_DEAD_LETTER_CODES: ReadonlySet<string> = new Set([
  'RELAY_E_FILEDROP_REQUEST',
  'RELAY_E_FILEDROP_FORM_TYPE',
  'RELAY_E_FILEDROP_CONFLICT',
  'RELAY_E_CONTENT_PDF',
  'RELAY_E_CONTENT_NAME',
  'RELAY_E_AV_INFECTED',
  'RELAY_E_AV_UNSCANNABLE',
]);

/** Codes after which the message is abandoned: it comes back later and the drop is retried. */
export const FILEDROP_ABANDON_CODES: ReadonlySet<string> = new Set([
  'RELAY_E_FILEDROP_IO',
  'RELAY_E_FILEDROP_BODY',
  'RELAY_E_FILEDROP_ABORTED',
]);

/** True when a drop that failed with `e` must not be retried (dead-letter it). */
export function isPermanentDropError(e: unknown): boolean {
  return isRelaycheckError(e) && FILEDROP_DEAD_LETTER_CODES.has(e.code);
}

/**
 * What to do with a message whose drop failed with `e`: dead-letter for the codes of
 * FILEDROP_DEAD_LETTER_CODES, abandon for everything else (an unknown error included, so that
 * Service Bus's max delivery count decides in the end).
 */
export function fileDropSettlementOf(e: unknown): Settlement {
  if (isRelaycheckError(e) && FILEDROP_DEAD_LETTER_CODES.has(e.code)) {
    return { action: 'dead-letter', reason: e.code, description: e.message.slice(0, 1024) };
  }
  return { action: 'abandon', code: isRelaycheckError(e) ? e.code : 'unknown' };
}
