// Observability of the file drop for tests and suites. In: the outcome of one drop. Out: a message
// on node:diagnostics_channel `relay:filedrop`: {formType, name, size, replayed, outcome, code?,
// rule?, virus?, declaredName?, findings?, scan?}. Never an idempotency key, any of the body,
// or a path: only the relay-generated file name and the declared name in its clipped form.
import diagnostics from 'node:diagnostics_channel';

export const FILEDROP_CHANNELS = Object.freeze({
  /** {formType, name, size, replayed, outcome, code?} — one drop's outcome. */
  drop: 'relay:filedrop',
} as const);

/**
 * `written`: published under its final name; `replayed`: the same bytes were already there (a
 * redelivery after a crash); `refused`: a permanent refusal (dead-letter); `failed`: a transient
 * failure (abandon and retry).
 */
export type DropOutcome = 'written' | 'replayed' | 'refused' | 'failed';

export interface DropEvent {
  /** The form type (clipped to 64 printable characters when it is not a configured one). */
  readonly formType: string;
  /** The relay-generated file name; '' when the drop was refused before one was derived. */
  readonly name: string;
  /** Body bytes taken (written, or checked before the refusal). */
  readonly size: number;
  readonly replayed: boolean;
  readonly outcome: DropOutcome;
  /** The error code of a refused or failed drop. */
  readonly code?: string;
  /** The rule a content or name check found broken (details.rule of the error). */
  readonly rule?: string;
  /**
   * The signature clamd named (RELAY_E_AV_INFECTED). Not called `signature`: evidence capture
   * redacts fields of that name as SAS signatures.
   */
  readonly virus?: string;
  /** The declared file name in its loggable form (clipped, printable). */
  readonly declaredName?: string;
  /** What the checks flagged but let through (written drops). */
  readonly findings?: readonly string[];
  /** The virus scan of a written drop. */
  readonly scan?: 'clean' | 'unscanned' | 'off';
}

export function publishDrop(event: DropEvent): void {
  const channel = diagnostics.channel(FILEDROP_CHANNELS.drop);
  if (channel.hasSubscribers) channel.publish(event);
}
