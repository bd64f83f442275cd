// Observability of the back-office mocks for suites. In: the edge's and the file shares'
// facts (a request arrived, an answer ended, a fault applied, a file written, a service
// listening). Out: messages on node:diagnostics_channel channels named `sim:bo:*`. Payloads
// are flat objects of strings, numbers and booleans; no header value, body, key, signature or
// token is ever published.
import diagnostics from 'node:diagnostics_channel';

export const BO_CHANNELS = Object.freeze({
  request: 'sim:bo:request',
  response: 'sim:bo:response',
  fault: 'sim:bo:fault',
  fileWritten: 'sim:bo:file-written',
  listening: 'sim:bo:listening',
} as const);

export type BoChannel = (typeof BO_CHANNELS)[keyof typeof BO_CHANNELS];
export type BoEventData = Readonly<Record<string, string | number | boolean | undefined>>;

/** Publishes on one channel; cheap when nobody listens. */
export function publish(channel: BoChannel, data: BoEventData): void {
  const c = diagnostics.channel(channel);
  if (c.hasSubscribers) c.publish(data);
}
