// Collects what a diagnostics channel publishes during one test. In: a tap test and a channel
// name. Out: the array the messages are pushed to, unsubscribed when the test ends.
import diagnostics from 'node:diagnostics_channel';

/** Every message published on `channel` until `t` ends, in order. */
export function channelEvents<T>(t: tap.Test, channel: string): T[] {
  const seen: T[] = [];
  const listener = (message: unknown): void => {
    seen.push(message as T);
  };
  diagnostics.subscribe(channel, listener);
  t.teardown(() => {
    diagnostics.unsubscribe(channel, listener);
  });
  return seen;
}
