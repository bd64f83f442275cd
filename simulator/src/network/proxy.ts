// The endpoint proxies: the sockets of the network model. In: connections from the relay to
// a loopback port that stands for one logical endpoint (address:port), the firewall's verdict
// for that endpoint, the faults that apply to it. Out: a TCP stream to the real simulator
// listener (the endpoint's loopback target), bytes copied as they are (TLS is never
// terminated) through the fault stages of each direction, with back-pressure; a refused
// port (listener closed: ECONNREFUSED), a silent one (accepted, never answered), resets and
// closes; events for every dial, open and close.
import { createServer, connect, type Server, type Socket } from 'node:net';
import type { Decision } from './firewall';
import { SimNetError } from './errors';
import type { NetEvents } from './events';
import { FAULT_KINDS, Flow, type Direction, type EndpointKey, type Fault } from './faults';
import { createPrng, deriveSeed, type Prng } from './prng';
import type { Scheduler } from './scheduler';

/** One logical endpoint and where its proxy forwards to. */
export interface EndpointSpec extends EndpointKey {
  /** The real simulator listener behind the endpoint (always loopback). */
  readonly target: { readonly host: string; readonly port: number };
  /** The loopback address the proxy listens on. */
  readonly listenHost: string;
}

/** "51.140.146.50:5671", "[2603:1020::1]:443". */
export function endpointKey(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}

/** The seeded stream that decides, connection by connection, whether a fault hits. */
export function toxicityStream(seed: number, faultName: string, key: string): Prng {
  return createPrng(deriveSeed(seed, 'toxicity', faultName, key));
}

/** What the proxies ask of the model. */
export interface ProxyEnv {
  readonly scheduler: Scheduler;
  readonly events: NetEvents;
  readonly seed: number;
  readonly maxConnections: number;
  decide(spec: EndpointSpec): Decision;
  /** Whether a `down` fault holds the endpoint. */
  isDown(spec: EndpointSpec): boolean;
  /** The connection-scope faults that apply to the endpoint, in order. */
  faultsFor(spec: EndpointSpec): readonly Fault[];
  /** The next toxicity roll for (fault, endpoint): true when the connection is hit. */
  roll(fault: Fault, spec: EndpointSpec): boolean;
}

export type EndpointState = 'new' | 'listening' | 'refusing' | 'closed';

function ruleFields(decision: Decision): Record<string, string | number> {
  return decision.rule === undefined
    ? { rule: '(default policy)', rulePosition: 0 }
    : { rule: decision.rule.name, rulePosition: decision.rule.position };
}

/**
 * Sends a TCP RST and destroys the socket. libuv refuses a reset while a shutdown (our FIN)
 * is still pending (uv_tcp_close_reset: EINVAL) and the handle would then never close, so
 * such a socket is destroyed plainly instead: its FIN is already on the way.
 */
function resetSocket(socket: Socket | undefined): void {
  if (socket === undefined || socket.destroyed) return;
  if (socket.writableEnded && !socket.writableFinished) {
    socket.destroy();
    return;
  }
  try {
    socket.resetAndDestroy();
  } catch {
    socket.destroy();
  }
}

/** One logical endpoint's proxy: a loopback listener that can refuse and listen again. */
export class EndpointProxy {
  readonly spec: EndpointSpec;
  readonly key: string;
  readonly #env: ProxyEnv;
  #server: Server | undefined;
  #port: number | undefined;
  #state: EndpointState = 'new';
  readonly #connections = new Set<ProxyConnection>();
  readonly #held = new Set<Socket>();
  #seq = 0;

  constructor(spec: EndpointSpec, env: ProxyEnv) {
    this.spec = spec;
    this.key = endpointKey(spec.address, spec.port);
    this.#env = env;
  }

  get state(): EndpointState {
    return this.#state;
  }

  /** The loopback port the relay dials for this endpoint (known after the first listen). */
  get dialPort(): number | undefined {
    return this.#port;
  }

  get openConnections(): number {
    return this.#connections.size;
  }

  get silentConnections(): number {
    return this.#held.size;
  }

  #emitState(reason: string): void {
    this.#env.events.emit('sim:net:endpoint', {
      host: this.spec.host,
      address: this.spec.address,
      port: this.spec.port,
      state: this.#state,
      dialHost: this.spec.listenHost,
      dialPort: this.#port,
      reason,
    });
  }

  /** Listens (again) on its loopback port; the first time on a free port. */
  async listen(reason: string): Promise<void> {
    if (this.#state === 'listening' || this.#state === 'closed') return;
    const server = createServer({ allowHalfOpen: true, pauseOnConnect: true }, (socket) => {
      this.#accept(socket);
    });
    const bind = (port: number): Promise<void> =>
      new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen({ host: this.spec.listenHost, port }, () => {
          server.off('error', reject);
          resolve();
        });
      });
    try {
      try {
        await bind(this.#port ?? 0);
      } catch (e) {
        // While refusing, the port was free for anyone (another process's listener on port 0
        // may have taken it): listen on a new free port instead. The network map is rewritten
        // after every change, so a relay dials the new port from its next dial on.
        if (this.#port === undefined || (e as NodeJS.ErrnoException).code !== 'EADDRINUSE') {
          throw e;
        }
        await bind(0);
      }
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code ?? 'error';
      this.#env.events.emit('sim:net:endpoint', {
        host: this.spec.host,
        address: this.spec.address,
        port: this.spec.port,
        state: this.#state,
        reason: `listen failed: ${code}`,
      });
      throw new SimNetError(
        'SIM_E_NET_BIND',
        `the proxy for ${this.key} cannot listen on ${endpointKey(this.spec.listenHost, this.#port ?? 0)}: ${code}`,
        { endpoint: this.key, errno: code },
      );
    }
    server.on('error', () => undefined);
    if ((this.#state as EndpointState) === 'closed') {
      server.close();
      return;
    }
    const address = server.address();
    if (address !== null && typeof address === 'object') this.#port = address.port;
    this.#server = server;
    this.#state = 'listening';
    this.#emitState(reason);
  }

  /**
   * Refuses connections: the listener is closed, so the kernel answers a dial with a RST to
   * its SYN and the client gets ECONNREFUSED. The port number is kept for the next listen.
   */
  refuse(reason: string): void {
    if (this.#state === 'refusing' || this.#state === 'closed') return;
    this.#server?.close();
    this.#server = undefined;
    this.#state = 'refusing';
    this.#emitState(reason);
  }

  /** Applies the current faults to every open connection (armed, removed). */
  refreshFaults(): void {
    for (const c of this.#connections) c.applyFaults(this.#env.faultsFor(this.spec));
  }

  /** Resets every open connection (RST) and drops the silent ones. */
  resetAll(reason: string): void {
    for (const c of [...this.#connections]) c.reset(reason);
    for (const s of [...this.#held]) resetSocket(s);
  }

  /** Closes every open connection gracefully (a FIN both ways). */
  closeAll(reason: string): void {
    for (const c of [...this.#connections]) c.close(reason);
    for (const s of [...this.#held]) s.destroy();
  }

  /** Makes every open connection silent: nothing more is forwarded either way. */
  silenceAll(reason: string): void {
    for (const c of [...this.#connections]) c.silence(reason);
  }

  async close(): Promise<void> {
    if (this.#state === 'closed') return;
    const server = this.#server;
    this.#server = undefined;
    this.#state = 'closed';
    for (const c of [...this.#connections]) c.reset('model closed');
    for (const s of [...this.#held]) resetSocket(s);
    this.#emitState('closed');
    if (server !== undefined) {
      await new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
      });
    }
  }

  #accept(client: Socket): void {
    client.on('error', () => undefined);
    this.#seq += 1;
    const id = `${this.key}#${this.#seq}`;
    const source = endpointKey(client.remoteAddress ?? '?', client.remotePort ?? 0);
    const decision = this.#env.decide(this.spec);
    const down = this.#env.isDown(this.spec);
    const full = this.#connections.size + this.#held.size >= this.#env.maxConnections;
    const verdict = down ? 'reject' : decision.verdict;
    this.#env.events.emit('sim:net:dial', {
      connection: id,
      source,
      host: this.spec.host,
      address: this.spec.address,
      port: this.spec.port,
      verdict,
      ...ruleFields(decision),
      ...(down ? { down: true } : {}),
      ...(full ? { overLimit: true } : {}),
    });
    if (this.#state !== 'listening' || verdict === 'reject' || full) {
      // The listener is closing (a race with refuse()) or the endpoint is at its bound.
      resetSocket(client);
      return;
    }
    if (verdict === 'drop') {
      this.#hold(client, id);
      return;
    }
    const conn = new ProxyConnection(id, this.#seq, this.spec, this.key, client, this.#env, () => {
      this.#connections.delete(conn);
    });
    this.#connections.add(conn);
    conn.start(this.#env.faultsFor(this.spec));
  }

  /** A dropped dial: accepted, read and discarded, never answered nor forwarded. */
  #hold(client: Socket, id: string): void {
    let bytes = 0;
    this.#held.add(client);
    client.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
    });
    // The server socket is half-open capable: when the client gives up, finish it here.
    client.once('end', () => {
      client.destroy();
    });
    client.once('close', () => {
      this.#held.delete(client);
      this.#env.events.emit('sim:net:proxy-close', {
        connection: id,
        host: this.spec.host,
        address: this.spec.address,
        port: this.spec.port,
        verdict: 'drop',
        bytesUp: 0,
        bytesDown: 0,
        bytesFromClient: bytes,
        bytesFromTarget: 0,
        reason: 'dropped',
      });
    });
    client.resume();
  }
}

/** One proxied connection: the client's socket, the target's socket and two flows. */
export class ProxyConnection {
  readonly id: string;
  readonly #seq: number;
  readonly #spec: EndpointSpec;
  readonly #key: string;
  readonly #env: ProxyEnv;
  readonly #client: Socket;
  #upstream: Socket | undefined;
  readonly #up: Flow;
  readonly #down: Flow;
  /** Fault instance → [hit, stage key] once its toxicity was rolled for this connection. */
  readonly #decided = new Map<number, { hit: boolean; key: string; direction: Direction }>();
  #connected = false;
  #upPaused = false;
  #downPaused = false;
  #clientClosed = false;
  #upstreamClosed = false;
  #finished = false;
  #reason = 'closed';
  readonly #onDone: () => void;

  constructor(
    id: string,
    seq: number,
    spec: EndpointSpec,
    key: string,
    client: Socket,
    env: ProxyEnv,
    onDone: () => void,
  ) {
    this.id = id;
    this.#seq = seq;
    this.#spec = spec;
    this.#key = key;
    this.#env = env;
    this.#client = client;
    this.#onDone = onDone;
    const hooks = (direction: Direction) => ({
      scheduler: env.scheduler,
      sink: {
        write: (chunk: Buffer): boolean => {
          const s = direction === 'upstream' ? this.#upstream : this.#client;
          if (s === undefined || s.destroyed || !s.writable) return true;
          return s.write(chunk);
        },
        end: (): void => {
          const s = direction === 'upstream' ? this.#upstream : this.#client;
          if (s !== undefined && !s.destroyed && s.writable) s.end();
        },
      },
      pressure: (paused: boolean) => {
        if (direction === 'upstream') this.#upPaused = paused;
        else this.#downPaused = paused;
        this.#flowControl();
      },
      sinkEnded: (closeReason: string | undefined) => {
        if (closeReason !== undefined) this.close(closeReason);
        else this.#maybeDone();
      },
      close: (reason: string) => {
        this.close(reason);
      },
      reset: (reason: string) => {
        this.reset(reason);
      },
      note: (fault: string, type: string, action: string, data = {}) => {
        this.#note(fault, type, direction, action, data);
      },
    });
    this.#up = new Flow('upstream', hooks('upstream'));
    this.#down = new Flow('downstream', hooks('downstream'));
  }

  #note(
    fault: string,
    type: string,
    direction: Direction,
    action: string,
    data: Readonly<Record<string, string | number | boolean | undefined>>,
  ): void {
    this.#env.events.emit('sim:net:fault', {
      connection: this.id,
      host: this.#spec.host,
      address: this.#spec.address,
      port: this.#spec.port,
      fault,
      type,
      direction,
      action,
      ...data,
    });
  }

  start(faults: readonly Fault[]): void {
    const client = this.#client;
    client.setNoDelay(true);
    this.applyFaults(faults, true);
    const upstream = connect({
      host: this.#spec.target.host,
      port: this.#spec.target.port,
      allowHalfOpen: true,
      noDelay: true,
    });
    this.#upstream = upstream;
    upstream.on('error', (e: NodeJS.ErrnoException) => {
      if (!this.#connected) {
        this.#reason = `target unreachable (${e.code ?? 'error'})`;
        resetSocket(client);
      } else {
        this.#reason = `target error (${e.code ?? 'error'})`;
      }
    });
    upstream.once('connect', () => {
      this.#connected = true;
      this.#env.events.emit('sim:net:proxy-open', {
        connection: this.id,
        host: this.#spec.host,
        address: this.#spec.address,
        port: this.#spec.port,
        target: endpointKey(this.#spec.target.host, this.#spec.target.port),
        faults: [...this.#up.armed(), ...this.#down.armed()].join(','),
      });
      this.#flowControl();
    });
    client.on('data', (chunk: Buffer) => {
      this.#up.write(chunk);
    });
    client.on('end', () => {
      this.#up.end();
    });
    client.on('drain', () => {
      this.#down.drained();
    });
    upstream.on('data', (chunk: Buffer) => {
      this.#down.write(chunk);
    });
    upstream.on('end', () => {
      this.#down.end();
    });
    upstream.on('drain', () => {
      this.#up.drained();
    });
    client.on('close', (hadError: boolean) => {
      this.#clientClosed = true;
      if (hadError) {
        this.#reason = 'client reset';
        this.#up.close();
        this.#down.close();
        resetSocket(this.#upstream);
      }
      this.#maybeDone();
    });
    upstream.on('close', (hadError: boolean) => {
      this.#upstreamClosed = true;
      if (hadError || !this.#connected) {
        this.#up.close();
        this.#down.close();
        resetSocket(client);
      }
      this.#maybeDone();
    });
  }

  #flowControl(): void {
    const client = this.#client;
    const upstream = this.#upstream;
    if (!this.#connected || this.#upPaused) client.pause();
    else if (!client.destroyed) client.resume();
    if (upstream !== undefined) {
      if (this.#downPaused) upstream.pause();
      else if (!upstream.destroyed) upstream.resume();
    }
  }

  /** Arms faults not yet rolled for (by toxicity), removes those no longer active. */
  applyFaults(faults: readonly Fault[], opening = false): void {
    const active = new Set<number>();
    for (const f of faults) {
      if (f.scope !== 'connection') continue;
      active.add(f.instance);
      if (this.#decided.has(f.instance)) continue;
      const key = `${f.name}#${f.instance}`;
      // A fault for the connections open when it was added passes the ones opened later by,
      // and one for new connections passes those already open, without a toxicity roll.
      if (f.connections === (opening ? 'open' : 'new')) {
        this.#decided.set(f.instance, { hit: false, key, direction: f.direction });
        this.#note(f.name, f.type, f.direction, 'skipped', { connections: f.connections });
        continue;
      }
      const hit = this.#env.roll(f, this.#spec);
      this.#decided.set(f.instance, { hit, key, direction: f.direction });
      this.#note(f.name, f.type, f.direction, hit ? 'armed' : 'skipped', { toxicity: f.toxicity });
      if (!hit) continue;
      const kind = FAULT_KINDS.get(f.type);
      if (kind === undefined) continue;
      const flow = f.direction === 'upstream' ? this.#up : this.#down;
      const random = createPrng(
        deriveSeed(this.#env.seed, 'stage', f.name, this.#key, this.#seq, f.direction),
      );
      flow.arm(key, f.name, f.type, (ctx) => kind.create(f.attributes, ctx), random);
    }
    for (const [instance, d] of [...this.#decided]) {
      if (active.has(instance)) continue;
      this.#decided.delete(instance);
      if (d.hit) (d.direction === 'upstream' ? this.#up : this.#down).detach(d.key);
    }
  }

  /** Closes gracefully: a FIN both ways; whatever the stages hold is lost. */
  close(reason: string): void {
    if (this.#finished) return;
    this.#reason = reason;
    this.#up.close();
    this.#down.close();
    for (const s of [this.#client, this.#upstream]) {
      if (s === undefined || s.destroyed) continue;
      s.resume();
      s.end(() => {
        s.destroy();
      });
    }
  }

  /** Resets: a TCP RST both ways. */
  reset(reason: string): void {
    if (this.#finished) return;
    this.#reason = reason;
    this.#up.close();
    this.#down.close();
    resetSocket(this.#client);
    resetSocket(this.#upstream);
  }

  /** Goes silent: nothing more is forwarded either way; input is read and discarded. */
  silence(reason: string): void {
    this.#reason = reason;
    this.#up.close();
    this.#down.close();
    this.#client.resume();
    this.#upstream?.resume();
  }

  #maybeDone(): void {
    if (this.#finished) return;
    const upstream = this.#upstream;
    const upstreamGone = upstream === undefined || this.#upstreamClosed;
    if (this.#clientClosed && !upstreamGone && this.#up.ended && this.#down.ended) {
      upstream.destroy();
      return;
    }
    if (this.#upstreamClosed && !this.#clientClosed && this.#up.ended && this.#down.ended) {
      this.#client.destroy();
      return;
    }
    if (!this.#clientClosed || !upstreamGone) return;
    this.#finished = true;
    this.#up.close();
    this.#down.close();
    this.#env.events.emit('sim:net:proxy-close', {
      connection: this.id,
      host: this.#spec.host,
      address: this.#spec.address,
      port: this.#spec.port,
      verdict: 'accept',
      bytesUp: this.#up.bytesOut,
      bytesDown: this.#down.bytesOut,
      bytesFromClient: this.#up.bytesIn,
      bytesFromTarget: this.#down.bytesIn,
      reason: this.#reason,
    });
    this.#onDone();
  }
}
