// How far this relay's clock is from the Service Bus namespace's, read from a handshake answer
// (docs/protocol/messaging.md, "Clock skew"). In: this relay's clock when the answer arrived,
// the answer's enqueued time (stamped by the namespace's own clock) and the handshake's skew
// window. Out: the estimate and a verdict (ok, drifting, outside the window) with a sentence
// naming the offset and what to do about it. Pure: no IO, no clock of its own.
//
// The estimate is an upper bound for a fast clock (and a lower one for a slow clock): the
// answer travelled from the namespace to the relay after it was stamped, and that time is
// counted as skew. The relay reads its answer as soon as it is enqueued, so the error is the
// delivery latency: milliseconds, at most a second or two on a slow link.

/** A clock further off than this fraction of the window is reported as drifting. */
export const DRIFT_FRACTION = 0.25;

export type ClockVerdict = 'ok' | 'drifting' | 'outside';

export interface ClockReading {
  /** This relay's clock minus the namespace's, ms (positive: the relay is ahead). */
  readonly aheadMs: number;
  readonly verdict: ClockVerdict;
  /** What the reading means and what to do, for the log and error messages. */
  readonly text: string;
}

function seconds(ms: number): string {
  return String(Math.round(Math.abs(ms) / 1000));
}

/**
 * Reads this relay's clock against the namespace's: `nowMs` is this relay's clock when the
 * answer arrived, `namespaceMs` the answer's enqueued time (undefined: no reading).
 */
export function readClockSkew(
  nowMs: number,
  namespaceMs: number | undefined,
  windowMs: number,
): ClockReading | undefined {
  if (namespaceMs === undefined || !Number.isFinite(namespaceMs) || !Number.isFinite(nowMs)) {
    return undefined;
  }
  const aheadMs = Math.round(nowMs - namespaceMs);
  const direction = aheadMs >= 0 ? 'ahead of' : 'behind';
  const offset = `this relay's clock is about ${seconds(aheadMs)} s ${direction} the Service Bus namespace's (read from the enqueued time of the namespace's answer)`;
  const window = `±${seconds(windowMs)} s`;
  const ntp =
    'synchronise this server with a time source (NTP: `w32tm /resync` on Windows, `chronyc makestep` or `timedatectl set-ntp true` on Linux)';
  if (Math.abs(aheadMs) > windowMs) {
    return {
      aheadMs,
      verdict: 'outside',
      text:
        `${offset}, outside the ${window} the cloud side allows for a HELLO's timestamp, so it ` +
        `refuses every handshake (HS_E_SKEW in its log) until the clock is right: ${ntp}; the ` +
        'relay tries again by itself',
    };
  }
  if (Math.abs(aheadMs) > windowMs * DRIFT_FRACTION) {
    return {
      aheadMs,
      verdict: 'drifting',
      text:
        `${offset}: still inside the ${window} handshake window, so handshakes work, but ` +
        `beyond it the cloud side refuses them: ${ntp}`,
    };
  }
  return { aheadMs, verdict: 'ok', text: offset };
}
