// The few rhea internals the server side needs, typed in one place. In: rhea links,
// connections and deliveries. Out: typed access to local attach fields, credit and delivery
// counts, the drain flag, and a way to hold an attach answer back (rhea answers a peer's
// attach on its own, on the next tick). Everything here was read from rhea 3.0.5's lib/.
import {
  message as rheaMessage,
  type AmqpError,
  type Connection,
  type Delivery,
  type link as RheaLink,
  type Sender,
} from 'rhea';

export interface LocalAttach {
  source?: unknown;
  target?: unknown;
  snd_settle_mode?: number;
  rcv_settle_mode?: number;
  max_message_size?: number;
  properties?: unknown;
}

export interface RemoteAttach {
  readonly name?: string;
  readonly source?: {
    readonly address?: string | null;
    readonly filter?: Record<string, unknown> | null;
  } | null;
  readonly target?: { readonly address?: string | null } | null;
  readonly snd_settle_mode?: number;
  readonly rcv_settle_mode?: number;
  readonly properties?: Record<string, unknown> | null;
}

interface LinkInternals {
  local: { attach: LocalAttach };
  remote: { attach?: RemoteAttach };
  state: { local_open: boolean; open_requests: number };
  credit: number;
  delivery_count: number;
  _draining?: boolean;
}

interface ConnectionInternals {
  accept(socket: unknown): Connection;
  remote: {
    open?: { container_id?: string; hostname?: string; properties?: Record<string, unknown> };
  };
  socket?: unknown;
}

interface SessionInternals {
  outgoing: { available(): number };
}

export function linkInternals(link: RheaLink): LinkInternals {
  return link as unknown as LinkInternals;
}

export function remoteAttach(link: RheaLink): RemoteAttach {
  return linkInternals(link).remote.attach ?? {};
}

export function localAttach(link: RheaLink): LocalAttach {
  return linkInternals(link).local.attach;
}

/** Credit the peer gave that no delivery has used yet (rhea decrements it on transfer). */
export function senderCredit(sender: Sender): number {
  return linkInternals(sender).credit;
}

export function senderDeliveryCount(sender: Sender): number {
  return linkInternals(sender).delivery_count;
}

export function senderDraining(sender: Sender): boolean {
  return linkInternals(sender)._draining === true;
}

/** Room in the session's outgoing delivery buffer (2048 unsettled deliveries by default). */
export function outgoingRoom(sender: Sender): number {
  return (sender.session as unknown as SessionInternals).outgoing.available();
}

/**
 * Holds back the attach rhea is about to send for a peer-initiated link (its on_attach calls
 * open() before the event handlers run). Call link.open() later to send it.
 */
export function holdAttach(link: RheaLink): void {
  const s = linkInternals(link).state;
  if (s.local_open && s.open_requests > 0) {
    s.local_open = false;
    s.open_requests -= 1;
  }
}

export function acceptSocket(connection: Connection, socket: unknown): void {
  (connection as unknown as ConnectionInternals).accept(socket);
}

export function remoteOpen(connection: Connection): ConnectionInternals['remote']['open'] {
  return (connection as unknown as ConnectionInternals).remote.open;
}

/** Settles an incoming or outgoing delivery with an outcome (a described rhea outcome). */
export function settle(delivery: Delivery, outcome: unknown): void {
  delivery.update(true, outcome);
}

/**
 * Answers the peer's disposition of an outgoing delivery with a settled one. In
 * rcv-settle-mode second the peer settles locally on receipt and sends nothing more, so rhea
 * would keep the delivery in the session's 2048-slot buffer for ever (and stop sending after
 * 2048 peekLock deliveries): mark it settled on both ends once the answer is queued.
 */
export function settleOutgoing(delivery: Delivery, outcome: unknown): void {
  delivery.update(true, outcome);
  (delivery as unknown as { remote_settled: boolean }).remote_settled = true;
}

export type { AmqpError };

interface Outcome {
  described(): unknown;
}

interface OutcomeFactory {
  accepted(): Outcome;
  released(): Outcome;
  rejected(fields: { error?: AmqpError }): Outcome;
  modified(fields: { delivery_failed?: boolean; undeliverable_here?: boolean }): Outcome;
}

/** rhea's outcome constructors (present in lib/message.js, missing from its typings). */
export const outcomes = rheaMessage as unknown as OutcomeFactory;
