// The fault proxies' small core, in Toxiproxy's shape. In: bytes and end-of-stream of one
// direction of one proxied connection, and the faults ("toxics") armed on it. Out: the same
// bytes, delayed, sliced, held, cut or replaced by a close or a reset, delivered to the
// socket of the other side, with back-pressure: the source is paused while the sink wants a
// drain or while the stages hold more than HIGH_WATER bytes. No sockets here: the sink is an
// interface and time comes from the injected Scheduler, so every fault is testable alone.
import type { z } from 'zod';
import type { NetEventData } from '../events';
import type { Prng } from '../prng';
import type { Scheduler, TimerHandle } from '../scheduler';

/** upstream: client → simulator (what the relay sends); downstream: simulator → client. */
export type Direction = 'upstream' | 'downstream';
export const DIRECTIONS: readonly Direction[] = Object.freeze(['upstream', 'downstream']);

/** Bytes a flow may hold in its stages before it pauses its source. */
export const HIGH_WATER = 64 * 1024;

/** What a stage can do to its direction and to the whole connection. */
export interface StageContext {
  readonly scheduler: Scheduler;
  /** This stage's own stream (jitter, slice sizes), seeded per fault, endpoint, connection. */
  readonly random: Prng;
  /** Passes bytes on to the next stage (or the socket). */
  forward(chunk: Buffer): void;
  /** Passes the end of the stream (a FIN) on. */
  end(): void;
  /** Bytes taken and never to be passed on (limit_data): back-pressure bookkeeping. */
  discard(bytes: number): void;
  /** Passes the end on, then closes the whole connection once it reaches the socket. */
  finish(reason: string): void;
  /** Closes the whole connection now, gracefully (FIN both ways; held data is lost). */
  close(reason: string): void;
  /** Resets the whole connection now (RST both ways). */
  reset(reason: string): void;
  /** Publishes a sim:net:fault event for this stage. */
  note(action: string, data?: NetEventData): void;
}

/** One fault's work on one direction of one connection. */
export interface Stage {
  write(chunk: Buffer): void;
  end(): void;
  /** The fault was removed at run time: pass on everything held, in order, and stop. */
  remove(): void;
  /** The connection is gone: cancel timers and drop what is held. */
  destroy(): void;
}

/** A fault type: its attributes' schema and how it makes a stage. */
export interface FaultKind<A extends object = object> {
  readonly type: string;
  /** connection: a stage per connection and direction. endpoint: acts on the listener. */
  readonly scope: 'connection' | 'endpoint';
  /** One line for docs and errors. */
  readonly summary: string;
  readonly attributes: z.ZodType<A>;
  create(attributes: A, ctx: StageContext): Stage;
}

/** A stage that forwards everything unchanged (scope: endpoint kinds use it, never armed). */
export function passThrough(ctx: StageContext): Stage {
  return {
    write: (chunk) => {
      ctx.forward(chunk);
    },
    end: () => {
      ctx.end();
    },
    remove: () => undefined,
    destroy: () => undefined,
  };
}

/** A context that does nothing: the placeholder of a stage being made. */
const NO_CONTEXT: StageContext = {
  scheduler: { now: () => 0, schedule: () => ({ cancel: () => undefined }) },
  random: { next: () => 0, int: () => 0 },
  forward: () => undefined,
  end: () => undefined,
  discard: () => undefined,
  finish: () => undefined,
  close: () => undefined,
  reset: () => undefined,
  note: () => undefined,
};

type QueueItem =
  | { readonly kind: 'data'; readonly chunk: Buffer; delayMs: number; due: number | undefined }
  | { readonly kind: 'end' };

/**
 * An ordered queue that releases each item after a delay: `delayMs` counted from when the
 * item reaches the head (pacing: bandwidth, slicer), or a fixed `due` time (latency). The end
 * of the stream leaves in order, after every byte before it.
 */
export class PacedQueue {
  readonly #ctx: StageContext;
  #items: QueueItem[] = [];
  #timer: TimerHandle | undefined;
  #dead = false;

  constructor(ctx: StageContext) {
    this.#ctx = ctx;
  }

  /** Queues bytes released `delayMs` after they reach the head of the queue. */
  pace(chunk: Buffer, delayMs: number): void {
    this.#items.push({ kind: 'data', chunk, delayMs, due: undefined });
    this.#pump();
  }

  /** Queues bytes released at `due` on the scheduler's clock (or when they reach the head). */
  at(chunk: Buffer, due: number): void {
    this.#items.push({ kind: 'data', chunk, delayMs: 0, due });
    this.#pump();
  }

  end(): void {
    this.#items.push({ kind: 'end' });
    this.#pump();
  }

  #pump(): void {
    while (this.#timer === undefined && !this.#dead) {
      const head = this.#items[0];
      if (head === undefined) return;
      if (head.kind === 'end') {
        this.#items.shift();
        this.#ctx.end();
        continue;
      }
      const wait = head.due !== undefined ? head.due - this.#ctx.scheduler.now() : head.delayMs;
      if (wait > 0) {
        // Once waited for, a paced item leaves when the timer fires.
        head.delayMs = 0;
        head.due = undefined;
        this.#timer = this.#ctx.scheduler.schedule(wait, () => {
          this.#timer = undefined;
          this.#pump();
        });
        return;
      }
      this.#items.shift();
      this.#ctx.forward(head.chunk);
    }
  }

  /** Releases everything now, in order (the fault was removed). */
  flush(): void {
    this.#timer?.cancel();
    this.#timer = undefined;
    this.#dead = true;
    const items = this.#items;
    this.#items = [];
    for (const item of items) {
      if (item.kind === 'end') this.#ctx.end();
      else this.#ctx.forward(item.chunk);
    }
  }

  destroy(): void {
    this.#timer?.cancel();
    this.#timer = undefined;
    this.#dead = true;
    this.#items = [];
  }
}

/** What a flow reports to the connection that owns it. */
export interface FlowHooks {
  /** The sink: the socket on the far side. write() returns false when it wants a drain. */
  readonly sink: { write(chunk: Buffer): boolean; end(): void };
  readonly scheduler: Scheduler;
  pressure(paused: boolean): void;
  /** The end reached the sink; `closeReason` set when a stage asked to close after it. */
  sinkEnded(closeReason: string | undefined): void;
  close(reason: string): void;
  reset(reason: string): void;
  note(fault: string, type: string, action: string, data?: NetEventData): void;
}

interface FlowNode {
  readonly fault: string;
  readonly type: string;
  readonly key: string;
  stage: Stage;
  detached: boolean;
}

/**
 * One direction of one connection: the stages in the order the faults were added, then the
 * sink. Tracks bytes in, out and discarded, so that what the stages hold is known.
 */
export class Flow {
  readonly direction: Direction;
  readonly #hooks: FlowHooks;
  #nodes: FlowNode[] = [];
  #bytesIn = 0;
  #bytesOut = 0;
  #discarded = 0;
  #sinkBlocked = false;
  #paused = false;
  #closed = false;
  #endedIn = false;
  #endedOut = false;
  #closeAfterEnd: string | undefined;

  constructor(direction: Direction, hooks: FlowHooks) {
    this.direction = direction;
    this.#hooks = hooks;
  }

  get bytesIn(): number {
    return this.#bytesIn;
  }

  /** Bytes written to the sink. */
  get bytesOut(): number {
    return this.#bytesOut;
  }

  get ended(): boolean {
    return this.#endedOut;
  }

  /** Keys of the armed stages, in chain order. */
  armed(): string[] {
    return this.#nodes.map((n) => n.key);
  }

  write(chunk: Buffer): void {
    if (this.#closed || this.#endedIn) return;
    this.#bytesIn += chunk.length;
    this.#deliver(0, chunk);
    this.#check();
  }

  end(): void {
    if (this.#closed || this.#endedIn) return;
    this.#endedIn = true;
    this.#deliverEnd(0);
  }

  /** The sink drained. */
  drained(): void {
    this.#sinkBlocked = false;
    this.#check();
  }

  /** Arms a stage at the end of the chain; `key` identifies it for detach(). */
  arm(
    key: string,
    fault: string,
    type: string,
    make: (ctx: StageContext) => Stage,
    random: Prng,
  ): void {
    if (this.#closed) return;
    const node: FlowNode = { fault, type, key, stage: passThrough(NO_CONTEXT), detached: false };
    this.#nodes.push(node);
    node.stage = make(this.#contextFor(node, random));
  }

  /** Removes a stage: what it holds goes on, in order. */
  detach(key: string): void {
    const node = this.#nodes.find((n) => n.key === key);
    if (node === undefined) return;
    node.stage.remove();
    node.detached = true;
    this.#nodes = this.#nodes.filter((n) => n !== node);
    this.#check();
  }

  /** Stops the flow: timers cancelled, held bytes dropped, later input ignored. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    const nodes = this.#nodes;
    this.#nodes = [];
    for (const n of nodes) {
      n.detached = true;
      n.stage.destroy();
    }
  }

  #contextFor(node: FlowNode, random: Prng): StageContext {
    const at = (): number => this.#nodes.indexOf(node);
    return {
      scheduler: this.#hooks.scheduler,
      random,
      forward: (chunk) => {
        if (node.detached || this.#closed) {
          this.#discard(chunk.length);
          return;
        }
        this.#deliver(at() + 1, chunk);
        this.#check();
      },
      end: () => {
        if (node.detached || this.#closed) return;
        this.#deliverEnd(at() + 1);
      },
      discard: (bytes) => {
        this.#discard(bytes);
      },
      finish: (reason) => {
        if (node.detached || this.#closed) return;
        this.#closeAfterEnd = reason;
        this.#deliverEnd(at() + 1);
      },
      close: (reason) => {
        if (!this.#closed) this.#hooks.close(reason);
      },
      reset: (reason) => {
        if (!this.#closed) this.#hooks.reset(reason);
      },
      note: (action, data) => {
        this.#hooks.note(node.fault, node.type, action, data);
      },
    };
  }

  #deliver(index: number, chunk: Buffer): void {
    const node = this.#nodes[index];
    if (node !== undefined) {
      node.stage.write(chunk);
      return;
    }
    if (this.#endedOut || this.#closed) {
      this.#discard(chunk.length);
      return;
    }
    this.#bytesOut += chunk.length;
    if (!this.#hooks.sink.write(chunk)) this.#sinkBlocked = true;
  }

  #deliverEnd(index: number): void {
    const node = this.#nodes[index];
    if (node !== undefined) {
      node.stage.end();
      return;
    }
    if (this.#endedOut || this.#closed) return;
    this.#endedOut = true;
    this.#hooks.sink.end();
    this.#hooks.sinkEnded(this.#closeAfterEnd);
  }

  #discard(bytes: number): void {
    this.#discarded += bytes;
    this.#check();
  }

  #check(): void {
    const held = this.#bytesIn - this.#bytesOut - this.#discarded;
    const want = !this.#closed && (this.#sinkBlocked || held > HIGH_WATER);
    if (want !== this.#paused) {
      this.#paused = want;
      this.#hooks.pressure(want);
    }
  }
}
