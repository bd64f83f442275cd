// Observability of the antivirus scan for tests and suites. In: the verdict of one scan. Out: a
// message on node:diagnostics_channel `relay:av`: {verdict, virus?, code?, bytes, ms, formType?}.
// Never any of the body: only the signature name clamd reported (clipped) and counts.
import diagnostics from 'node:diagnostics_channel';

export const AV_CHANNELS = Object.freeze({
  /** {verdict, virus?, code?, bytes, ms, formType?} — one scan's verdict. */
  scan: 'relay:av',
} as const);

/**
 * `clean`: clamd found nothing; `infected`: clamd named a signature (RELAY_E_AV_INFECTED);
 * `unscanned`: the scan could not be done and fail-open let the body through (code says why);
 * `failed`: the scan could not be done and the body is refused or retried (code says why).
 */
export type AvVerdict = 'clean' | 'infected' | 'unscanned' | 'failed';

export interface AvEvent {
  readonly verdict: AvVerdict;
  /**
   * The signature clamd reported (clipped to 120 printable ASCII characters), when infected.
   * Not called `signature`: evidence capture redacts fields of that name as SAS signatures.
   */
  readonly virus?: string;
  /** The error code of an infected, unscanned or failed scan. */
  readonly code?: string;
  /** Body bytes read. */
  readonly bytes: number;
  /** Milliseconds from the call to the verdict. */
  readonly ms: number;
  /** The form type the caller named (clipped to 60 printable characters). */
  readonly formType?: string;
}

export function publishAv(event: AvEvent): void {
  const channel = diagnostics.channel(AV_CHANNELS.scan);
  if (channel.hasSubscribers) channel.publish(event);
}
