// What the network model tells the world. In: the model's own happenings (DNS queries and
// answers, dial attempts with the firewall's verdict, endpoint listeners starting to refuse
// or listen again, proxied connections opening and closing with their byte counts, faults
// armed or acting, rule changes, resets). Out: messages on node:diagnostics_channel channels
// `sim:net:*` and a bounded in-memory log the control API serves. Payloads are flat objects
// of strings, numbers and booleans; no key, token or payload byte ever goes into one.
import diagnostics from 'node:diagnostics_channel';

export const NET_CHANNELS = Object.freeze({
  dnsQuery: 'sim:net:dns-query',
  dnsAnswer: 'sim:net:dns-answer',
  dnsChange: 'sim:net:dns-change',
  dial: 'sim:net:dial',
  endpoint: 'sim:net:endpoint',
  proxyOpen: 'sim:net:proxy-open',
  proxyClose: 'sim:net:proxy-close',
  fault: 'sim:net:fault',
  firewall: 'sim:net:firewall',
  reset: 'sim:net:reset',
} as const);

export type NetChannel = (typeof NET_CHANNELS)[keyof typeof NET_CHANNELS];

export const ALL_NET_CHANNELS: readonly NetChannel[] = Object.freeze(Object.values(NET_CHANNELS));

export type NetEventData = Readonly<Record<string, string | number | boolean | undefined>>;

/** One entry of the event log. `seq` counts from 1 and never repeats within a model. */
export interface NetEvent {
  readonly seq: number;
  /** The model scheduler's clock (ms). */
  readonly time: number;
  readonly channel: NetChannel;
  readonly data: NetEventData;
}

/**
 * The model's event sink: appends to a bounded log (oldest entries dropped first, and
 * counted) and publishes on the diagnostics channel.
 */
export class NetEvents {
  readonly #limit: number;
  readonly #now: () => number;
  readonly #model: string;
  #log: NetEvent[] = [];
  #seq = 0;
  #dropped = 0;

  constructor(options: { limit: number; now: () => number; model: string }) {
    this.#limit = options.limit;
    this.#now = options.now;
    this.#model = options.model;
  }

  emit(channel: NetChannel, data: NetEventData): void {
    this.#seq += 1;
    const event: NetEvent = Object.freeze({
      seq: this.#seq,
      time: this.#now(),
      channel,
      data: Object.freeze({ model: this.#model, ...data }),
    });
    this.#log.push(event);
    if (this.#log.length > this.#limit) {
      const excess = this.#log.length - this.#limit;
      this.#log.splice(0, excess);
      this.#dropped += excess;
    }
    const ch = diagnostics.channel(channel);
    if (ch.hasSubscribers) ch.publish(event.data);
  }

  /** Events with seq > `after`, oldest first, at most `limit`. */
  since(after = 0, limit = 1000): NetEvent[] {
    const out: NetEvent[] = [];
    for (const e of this.#log) {
      if (e.seq > after) out.push(e);
      if (out.length >= limit) break;
    }
    return out;
  }

  /** The seq of the newest event (0 when none yet). */
  get lastSeq(): number {
    return this.#seq;
  }

  /** How many old events the bound has pushed out of the log. */
  get dropped(): number {
    return this.#dropped;
  }

  /** Empties the log (seq keeps counting, so readers never see a number twice). */
  clear(): void {
    this.#log = [];
    this.#dropped = 0;
  }
}
