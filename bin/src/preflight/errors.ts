// The typed refusals of `relaycheck preflight`. In: a code of the `preflight` family, a
// message and safe details (the option, the file, the field). Out: a PreflightError. Usage and
// input codes make the command exit 2; PREFLIGHT_E_RUN (the checks could not be carried out)
// makes it exit 3. A check that fails is a result, never one of these.
import { defineErrors, familyError } from '../../../relay/src/protocol/errors';

export const PREFLIGHT_ERRORS = defineErrors('preflight', {
  PREFLIGHT_E_OPTION: {
    summary:
      'A preflight option is missing, malformed or inconsistent (a namespace that is not a host name, a port the guide does not name, --regions without --source); nothing was contacted.',
  },
  PREFLIGHT_E_MAP: {
    summary:
      'The --map file cannot be read, is not JSON, is not a network map (or a world description holding one), or sends a dial somewhere other than loopback; nothing was contacted.',
  },
  PREFLIGHT_E_RUN: {
    summary:
      'Preflight itself could not run to the end on this machine (an unexpected failure of a check, not a check that failed); the message says what broke.',
  },
});

export type PreflightErrorCode = (typeof PREFLIGHT_ERRORS.codes)[number];

/** A refusal of preflight's inputs, or a failure of preflight itself. */
export class PreflightError extends familyError(PREFLIGHT_ERRORS) {}

/** True when `e` is a PreflightError (optionally with the given code). */
export function isPreflightError(e: unknown, code?: PreflightErrorCode): e is PreflightError {
  return e instanceof PreflightError && (code === undefined || e.code === code);
}
