// Records the listener's relay:hc:* diagnostics events for assertions. In: a tap test. Out: the
// list of events per channel and promises that resolve on the first matching event (past or
// future), so tests wait on events instead of sleeping. Unsubscribes on teardown.
import diagnostics from 'node:diagnostics_channel';
import { HC_CHANNELS, type HcChannel } from '../../../src/transports/hc-events';

export type Event = Readonly<Record<string, unknown>>;

interface Waiter {
  readonly channel: HcChannel;
  readonly match: (e: Event) => boolean;
  readonly resolve: (e: Event) => void;
}

export class EventLog {
  readonly #events = new Map<HcChannel, Event[]>();
  #waiters: Waiter[] = [];
  readonly #subs: [HcChannel, (m: unknown) => void][] = [];

  constructor(t: tap.Test, listener?: string) {
    for (const channel of Object.values(HC_CHANNELS)) {
      const fn = (message: unknown): void => {
        const e = message as Event;
        if (listener !== undefined && e.listener !== listener) return;
        const list = this.#events.get(channel) ?? [];
        list.push(e);
        this.#events.set(channel, list);
        this.#waiters = this.#waiters.filter((w) => {
          if (w.channel !== channel || !w.match(e)) return true;
          w.resolve(e);
          return false;
        });
      };
      diagnostics.subscribe(channel, fn);
      this.#subs.push([channel, fn]);
    }
    t.teardown(() => {
      for (const [channel, fn] of this.#subs) diagnostics.unsubscribe(channel, fn);
    });
  }

  list(channel: HcChannel): Event[] {
    return [...(this.#events.get(channel) ?? [])];
  }

  /** The first event on `channel` matching `match`, already seen or still to come. */
  until(channel: HcChannel, match: (e: Event) => boolean = () => true): Promise<Event> {
    const seen = (this.#events.get(channel) ?? []).find(match);
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve) => {
      this.#waiters.push({ channel, match, resolve });
    });
  }

  /** The `n`-th event (1-based) on `channel`. */
  nth(channel: HcChannel, n: number): Promise<Event> {
    let count = 0;
    return this.until(channel, () => ++count === n);
  }
}
