// A log of diagnostics-channel events for the harness. In: channel names (simulator and relay
// events published in this process). Out: every event on them in order, a wait for the first
// event (already seen or future) that matches, and close(): unsubscribe and end the waits
// still pending with an error naming what never came. Shared by the case worlds
// (relay-world.ts) and the external-relay set-up of a run (suites/runner/external.ts).
import diagnostics from 'node:diagnostics_channel';

export interface ChannelEvent {
  readonly channel: string;
  readonly data: Readonly<Record<string, unknown>>;
}

export interface ChannelLog {
  readonly events: readonly ChannelEvent[];
  /** Resolves with the first event matching `match`; rejects at close() if none came. */
  waitFor(match: (e: ChannelEvent) => boolean, what: string): Promise<ChannelEvent>;
  close(): void;
}

/** `who` names the observer in the error of a wait that never ended (e.g. 'the world'). */
export function channelLog(channels: readonly string[], who: string): ChannelLog {
  const events: ChannelEvent[] = [];
  const waiters = new Set<{
    readonly match: (e: ChannelEvent) => boolean;
    readonly what: string;
    readonly resolve: (e: ChannelEvent) => void;
    readonly reject: (e: Error) => void;
  }>();
  const subs = channels.map((channel) => {
    const fn = (m: unknown): void => {
      const e = { channel, data: m as ChannelEvent['data'] };
      events.push(e);
      for (const w of [...waiters]) {
        if (w.match(e)) {
          waiters.delete(w);
          w.resolve(e);
        }
      }
    };
    diagnostics.subscribe(channel, fn);
    return { channel, fn };
  });
  let closed = false;
  return {
    events,
    waitFor: (match, what) => {
      const seen = events.find(match);
      if (seen !== undefined) return Promise.resolve(seen);
      if (closed) return Promise.reject(new Error(`${who} never saw ${what}`));
      return new Promise((resolve, reject) => {
        waiters.add({ match, what, resolve, reject });
      });
    },
    close: () => {
      if (closed) return;
      closed = true;
      for (const s of subs) diagnostics.unsubscribe(s.channel, s.fn);
      for (const w of [...waiters]) {
        waiters.delete(w);
        w.reject(new Error(`${who} never saw ${w.what}`));
      }
    },
  };
}
