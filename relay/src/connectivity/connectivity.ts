// Connectivity auto-detect. In: the connectivity settings (mode auto | tcp | https, probe
// timeout, re-probe interval, reconnect delays and jitter), the egress layer, and injected
// time, randomness and (for tests) the prober. Out: probe rounds run in parallel with a
// concurrency bound and a time bound per probe; the mode (tcp, https, none) chosen by the
// mode table; a re-probe timer in https mode (to move back to tcp); retries on the reconnect
// delays + jitter while nothing works; reprobe() on demand; a JSON snapshot for /healthz;
// 'mode' and 'round' events and `relay:connectivity:*` channels; the clients for the mode.
import { EventEmitter } from 'node:events';
import type { ServiceBusClient } from '@azure/service-bus';
import pino, { type Logger } from 'pino';
import { reconnectDelay } from '../transports/hc-backoff';
import type { SocketFactory } from '../transports/socket';
import {
  systemScheduler,
  type RandomSource,
  type Scheduler,
  type TimerHandle,
} from '../transports/scheduler';
import {
  connectivitySettings,
  type ConnectivityConfigInput,
  type ConnectivityMode,
  type ConnectivitySettings,
} from './config';
import type { Egress } from './egress';
import { CONNECTIVITY_CHANNELS, publish } from './events';
import { hybridDial, hybridEndpointFor, hybridSockets, type HybridDial } from './hybrid';
import { chooseMode, type Mode } from './modes';
import { egressProber, probeResult, probeTargets, type ProbeResult, type Prober } from './probe';
import { serviceBusClientFor, type ServiceBusClientChoice } from './servicebus';

/** Default number of probes in flight at once (a round has at most 8). */
export const DEFAULT_MAX_PARALLEL_PROBES = 8;

export interface ConnectivityDeps {
  readonly egress: Egress;
  readonly scheduler?: Scheduler;
  /** Jitter source, uniform in [0, 1) (default Math.random). */
  readonly random?: RandomSource;
  /** Runs one probe (default: a TLS handshake through the egress layer). */
  readonly prober?: Prober;
  /** Probes in flight at once (default 8). */
  readonly maxParallel?: number;
  /** pino logger (default silent): mode changes at info/warn, diagnosis changes at info. */
  readonly logger?: Logger;
}

export interface ModeChange {
  readonly mode: Mode;
  readonly previous: Mode | 'unknown';
  readonly reason: string;
  readonly amqp: Mode;
  readonly hc: Mode;
}

/** What /healthz shows. JSON-serialisable. */
export interface ConnectivitySnapshot {
  readonly mode: Mode;
  readonly configured: ConnectivityMode;
  /** The best working path of each transport (tcp preferred), for diagnosis. */
  readonly amqp: Mode;
  readonly hc: Mode;
  readonly reason: string;
  /** When the current mode was chosen (ms since the epoch); undefined before the first round. */
  readonly since: number | undefined;
  /** When the last round ended. */
  readonly probedAt: number | undefined;
  /** Rounds run so far. */
  readonly rounds: number;
  /** Consecutive rounds in which nothing worked. */
  readonly failures: number;
  readonly probing: boolean;
  /** The next scheduled round: a re-probe (https mode) or a retry (none). */
  readonly next:
    | { readonly kind: 'reprobe' | 'retry'; readonly at: number; readonly delayMs: number }
    | undefined;
  /** The per-port diagnosis of the last round, in probe order. */
  readonly ports: readonly ProbeResult[];
}

export interface ConnectivityEvents {
  /** The mode changed (or was first chosen). */
  mode: [change: ModeChange];
  /** A probe round ended. */
  round: [snapshot: ConnectivitySnapshot];
}

/** Runs `fn` over `items` with at most `limit` in flight; results keep the input order. */
async function pooled<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return out;
}

function portsLine(results: readonly ProbeResult[]): string {
  return results.map((r) => `${r.target}:${r.port}=${r.diagnosis}`).join(' ');
}

/**
 * Why each decisive port failed, for the log (the typed reason: a refusal outside the ranges
 * names the missing one); undefined when none failed.
 */
function failureReasons(results: readonly ProbeResult[]): string[] | undefined {
  const out = results
    .filter((r) => r.role === 'primary' && r.diagnosis !== 'allowed' && r.reason !== undefined)
    .map((r) => `${r.target}:${String(r.port)}: ${r.reason ?? ''}`);
  return out.length === 0 ? undefined : out;
}

export class Connectivity extends EventEmitter<ConnectivityEvents> {
  readonly settings: ConnectivitySettings;
  readonly egress: Egress;
  readonly #scheduler: Scheduler;
  readonly #random: RandomSource;
  readonly #prober: Prober;
  readonly #maxParallel: number;
  readonly #log: Logger;
  #mode: Mode = 'none';
  #chosen = false;
  #amqp: Mode = 'none';
  #hc: Mode = 'none';
  #reason = 'not probed yet';
  #since: number | undefined;
  #probedAt: number | undefined;
  #rounds = 0;
  #failures = 0;
  #ports: readonly ProbeResult[] = [];
  #running: Promise<ConnectivitySnapshot> | undefined;
  #abort: AbortController | undefined;
  #timer: TimerHandle | undefined;
  #next: ConnectivitySnapshot['next'];
  #closed = false;

  constructor(settings: ConnectivitySettings, deps: ConnectivityDeps) {
    super();
    this.settings = settings;
    this.egress = deps.egress;
    this.#scheduler = deps.scheduler ?? systemScheduler;
    this.#random = deps.random ?? Math.random;
    this.#prober = deps.prober ?? egressProber(deps.egress);
    this.#maxParallel = Math.max(1, Math.floor(deps.maxParallel ?? DEFAULT_MAX_PARALLEL_PROBES));
    this.#log = (deps.logger ?? pino({ level: 'silent' })).child({ component: 'connectivity' });
  }

  /** The current mode ('none' before the first round and while nothing works). */
  get mode(): Mode {
    return this.#mode;
  }

  /** Runs the first round (or joins the running one). */
  start(): Promise<ConnectivitySnapshot> {
    if (this.#rounds > 0 && this.#running === undefined) return Promise.resolve(this.snapshot());
    return this.reprobe();
  }

  /**
   * Probes now (a transport dropped, an operator asked): cancels the scheduled round; joins
   * a round already running. Resolves with the snapshot after the round.
   */
  reprobe(): Promise<ConnectivitySnapshot> {
    if (this.#closed) return Promise.resolve(this.snapshot());
    if (this.#running !== undefined) return this.#running;
    this.#cancelTimer();
    const running = this.#round().then(
      (snap) => {
        // Finished before anyone hears of it: a listener may call reprobe() at once.
        if (this.#running === running) this.#running = undefined;
        const done: ConnectivitySnapshot = Object.freeze({ ...snap, probing: false });
        if (!this.#closed) this.emit('round', done);
        return done;
      },
      (e: unknown) => {
        if (this.#running === running) this.#running = undefined;
        throw e;
      },
    );
    this.#running = running;
    return running;
  }

  snapshot(): ConnectivitySnapshot {
    return Object.freeze({
      mode: this.#mode,
      configured: this.settings.connectivity.mode,
      amqp: this.#amqp,
      hc: this.#hc,
      reason: this.#reason,
      since: this.#since,
      probedAt: this.#probedAt,
      rounds: this.#rounds,
      failures: this.#failures,
      probing: this.#running !== undefined,
      next: this.#next,
      ports: this.#ports,
    });
  }

  /** A ServiceBusClient for `mode` (default: the current mode). */
  serviceBusClientFor(
    mode: Mode = this.#mode,
    choice: ServiceBusClientChoice = {},
  ): Promise<ServiceBusClient> {
    return serviceBusClientFor(mode, this.egress, choice);
  }

  /** The Hybrid Connections listener endpoint for `mode` (default: the current mode). */
  hybridEndpointFor(mode: Mode = this.#mode): string {
    return hybridEndpointFor(mode, this.egress);
  }

  /** The HC listener's `deps.dial` and `deps.sockets`. */
  hybridListenerDeps(): { readonly dial: HybridDial; readonly sockets: SocketFactory } {
    return { dial: hybridDial(this.egress), sockets: hybridSockets(this.egress) };
  }

  /** Stops timers and cancels probes in flight. */
  close(): void {
    this.#closed = true;
    this.#cancelTimer();
    this.#abort?.abort();
  }

  #cancelTimer(): void {
    if (this.#timer !== undefined) this.#scheduler.clearTimer(this.#timer);
    this.#timer = undefined;
    this.#next = undefined;
  }

  #schedule(kind: 'reprobe' | 'retry', delayMs: number): void {
    this.#next = Object.freeze({ kind, at: this.#scheduler.now() + delayMs, delayMs });
    this.#timer = this.#scheduler.setTimer(() => {
      this.#timer = undefined;
      this.#next = undefined;
      void this.reprobe();
    }, delayMs);
  }

  async #round(): Promise<ConnectivitySnapshot> {
    const abort = new AbortController();
    this.#abort = abort;
    const c = this.settings.connectivity;
    const results = await pooled(probeTargets(this.settings), this.#maxParallel, async (t) => {
      const started = this.#scheduler.now();
      try {
        return await this.#prober(t, {
          timeoutMs: c.probeTimeoutMs,
          scheduler: this.#scheduler,
          signal: abort.signal,
        });
      } catch {
        const at = this.#scheduler.now();
        return probeResult(t, 'failed', { reason: 'the probe failed', ms: at - started, at });
      }
    });
    if (this.#abort === abort) this.#abort = undefined;
    if (this.#closed) return this.snapshot();

    const choice = chooseMode(results, c.mode);
    const previous: Mode | 'unknown' = this.#chosen ? this.#mode : 'unknown';
    const diagnosisChanged = portsLine(results) !== portsLine(this.#ports);
    const now = this.#scheduler.now();
    this.#rounds += 1;
    this.#ports = Object.freeze([...results]);
    this.#probedAt = now;
    this.#amqp = choice.amqp;
    this.#hc = choice.hc;
    this.#reason = choice.reason;
    if (previous !== choice.mode) {
      this.#mode = choice.mode;
      this.#chosen = true;
      this.#since = now;
      const change: ModeChange = Object.freeze({
        mode: choice.mode,
        previous,
        reason: choice.reason,
        amqp: choice.amqp,
        hc: choice.hc,
      });
      publish(CONNECTIVITY_CHANNELS.mode, { ...change });
      const failed = failureReasons(results);
      const line = {
        ...change,
        ports: portsLine(results),
        ...(failed === undefined ? {} : { failed }),
      };
      if (choice.mode === 'none') this.#log.warn(line, 'no connectivity path works');
      else this.#log.info(line, `connectivity mode ${choice.mode}`);
      this.emit('mode', change);
    } else if (diagnosisChanged) {
      const failed = failureReasons(results);
      this.#log.info(
        {
          mode: choice.mode,
          ports: portsLine(results),
          ...(failed === undefined ? {} : { failed }),
        },
        'port diagnosis changed',
      );
    } else {
      this.#log.debug({ mode: choice.mode, ports: portsLine(results) }, 'probe round');
    }

    if (choice.mode === 'none') {
      const delay = reconnectDelay(
        this.#failures,
        c.reconnectDelaysMs,
        c.reconnectJitter,
        this.#random,
      );
      this.#failures += 1;
      this.#schedule('retry', delay);
    } else {
      this.#failures = 0;
      if (choice.mode === 'https' && c.mode === 'auto') {
        this.#schedule('reprobe', c.reprobeIntervalMs);
      }
    }
    publish(CONNECTIVITY_CHANNELS.round, {
      mode: choice.mode,
      round: this.#rounds,
      failures: this.#failures,
      next: this.#next?.kind,
      delayMs: this.#next?.delayMs,
    });
    return this.snapshot();
  }
}

/**
 * Makes the auto-detect (not started: call start()). `config`: the relay config (or parsed
 * settings; normally `egress.settings`). Throws RELAY_E_EGRESS_CONFIG.
 */
export function createConnectivity(
  config: ConnectivityConfigInput | ConnectivitySettings,
  deps: ConnectivityDeps,
): Connectivity {
  return new Connectivity(connectivitySettings(config), deps);
}
