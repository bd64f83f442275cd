// Writes the relay's diagnostics events to a stream, one JSON line each, for a harness in
// another process (`relaycheck relay --events-fd 3`). In: channel names and a Writable. Out:
// lines `{"channel":"relay:egress:dial","data":{...}}`; unsubscribe() detaches. The events
// themselves never carry keys, tokens, signatures or bodies (each publisher guarantees it).
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import type { Writable } from 'node:stream';

export interface EventSink {
  close(): void;
}

/** Subscribes to every channel in `channels` and writes each message as one JSON line. */
export function createEventSink(channels: readonly string[], out: Writable): EventSink {
  // A channel named twice is written once: a second subscription would write each event twice.
  const handlers = [...new Set(channels)].map((channel) => {
    const handler = (data: unknown): void => {
      if (out.destroyed || out.writableEnded) return;
      let line: string;
      try {
        line = JSON.stringify({ channel, at: Date.now(), data });
      } catch {
        line = JSON.stringify({ channel, at: Date.now(), data: { unserialisable: true } });
      }
      out.write(line + '\n');
    };
    subscribe(channel, handler);
    return { channel, handler };
  });
  return {
    close() {
      for (const { channel, handler } of handlers) unsubscribe(channel, handler);
    },
  };
}
