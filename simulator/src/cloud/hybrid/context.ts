// What every part of the endpoint shares, passed down once: the parsed namespace and limits,
// the scheduler (clock and timers), the event publisher, the token policy, the rendezvous
// table and the fault switches the control API sets. Types only.
import type { HcAuthPolicy } from './auth';
import type { HybridLimits, HybridNamespaceConfig } from './config';
import type { HcEvents } from './events';
import type { RendezvousTable } from './rendezvous';
import type { Scheduler } from './scheduler';

/** Which server socket a connection came in on: logical 443, logical 9352, or plain dev. */
export type HybridListenerKind = 'https' | 'tcp' | 'plain';

/** Fault switches, read on every decision they affect. */
export interface HybridFaults {
  /**
   * Rendezvous faults: `drop` destroys the listener's rendezvous socket without an answer
   * (the address stays usable until it expires); `delay` holds the handshake `delayMs`.
   * `remaining` counts the rendezvous still to affect (undefined: every one).
   */
  rendezvous?:
    | {
        readonly mode: 'drop' | 'delay';
        readonly delayMs: number;
        remaining: number | undefined;
      }
    | undefined;
}

export interface EndpointContext<P> {
  readonly config: HybridNamespaceConfig;
  readonly limits: HybridLimits;
  readonly scheduler: Scheduler;
  readonly events: HcEvents;
  readonly auth: HcAuthPolicy;
  readonly rendezvous: RendezvousTable<P>;
  readonly faults: HybridFaults;
}
