// The fault catalogue and the set of active faults. In: fault specs from config or the
// control API ({name, type, direction, toxicity, attributes, endpoint}). Out: validated,
// frozen Fault records (SIM_E_NET_FAULT_TYPE for an unknown type, SIM_E_NET_FAULT for bad
// attributes, direction, toxicity or a duplicate name) and a FaultSet that lists them,
// tells which apply to an endpoint, and notifies the proxies of every change. Pure.
import { z } from 'zod';
import { SimNetError } from '../errors';
import { bandwidth } from './bandwidth';
import { DIRECTIONS, type Direction, type FaultKind } from './core';
import { down } from './down';
import { latency } from './latency';
import { limitData } from './limit-data';
import { resetPeer } from './reset-peer';
import { slicer } from './slicer';
import { slowClose } from './slow-close';
import { timeout } from './timeout';

export * from './core';
export { slicePoints } from './slicer';

/** Every fault type the proxies know, by name. */
export const FAULT_KINDS: ReadonlyMap<string, FaultKind> = new Map<string, FaultKind>(
  [latency, bandwidth, slowClose, timeout, resetPeer, slicer, limitData, down].map(
    (k) => [k.type, k as unknown as FaultKind] as const,
  ),
);

export const FAULT_NAME = /^[A-Za-z0-9._-]{1,64}$/;

/** Which endpoints a fault applies to; an absent field matches every value. */
export interface EndpointSelector {
  readonly host?: string | undefined;
  readonly address?: string | undefined;
  readonly port?: number | undefined;
}

export const faultSchema = z.strictObject({
  /** Unique among active faults; default "<type>_<direction>" as Toxiproxy. */
  name: z.string().regex(FAULT_NAME, 'letters, digits, ".", "_" or "-", 1 to 64').optional(),
  type: z.string().min(1).max(64),
  direction: z.enum(DIRECTIONS as [Direction, ...Direction[]]).default('downstream'),
  /** Probability that a connection is hit, rolled once per connection (seeded). */
  toxicity: z.number().min(0).max(1).default(1),
  /**
   * Which connections it acts on: `all` (default), `open` (only those open when it is added: a
   * stateful middlebox that forgot its flows, so new connections pass) or `new` (only those
   * opened after it was added).
   */
  connections: z.enum(['all', 'open', 'new']).default('all'),
  attributes: z.record(z.string(), z.unknown()).default({}),
  endpoint: z
    .strictObject({
      host: z.string().min(1).max(253).optional(),
      address: z.string().min(1).max(64).optional(),
      port: z.int().min(1).max(65535).optional(),
    })
    .default({}),
});

export type FaultInput = z.input<typeof faultSchema>;

export type FaultConnections = 'all' | 'open' | 'new';

/** An active fault. */
export interface Fault {
  readonly name: string;
  readonly type: string;
  readonly scope: 'connection' | 'endpoint';
  readonly direction: Direction;
  readonly toxicity: number;
  /** Which connections it acts on: every one, only those open when added, or only later ones. */
  readonly connections: FaultConnections;
  readonly attributes: Readonly<Record<string, unknown>>;
  readonly endpoint: EndpointSelector;
  /** Distinguishes a fault from an earlier one of the same name (removed, added again). */
  readonly instance: number;
}

function pathText(path: readonly PropertyKey[]): string {
  return path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('');
}

/**
 * Validates one fault spec (not yet its endpoint selector: see FaultSet.add). `where` names
 * it in messages ("faults[2]").
 */
export function parseFault(input: unknown, where = 'fault'): Omit<Fault, 'instance'> {
  const parsed = faultSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new SimNetError(
      'SIM_E_NET_FAULT',
      `${where}${pathText(issue?.path ?? [])}: ${issue?.message ?? 'invalid'}`,
      { path: `${where}${pathText(issue?.path ?? [])}` },
    );
  }
  const f = parsed.data;
  const kind = FAULT_KINDS.get(f.type);
  if (kind === undefined) {
    throw new SimNetError(
      'SIM_E_NET_FAULT_TYPE',
      `${where}.type: unknown fault type ${JSON.stringify(f.type)} (known: ${[...FAULT_KINDS.keys()].join(', ')})`,
      { type: f.type },
    );
  }
  const attrs = kind.attributes.safeParse(f.attributes);
  if (!attrs.success) {
    const issue = attrs.error.issues[0];
    const path = `${where}.attributes${pathText(issue?.path ?? [])}`;
    throw new SimNetError(
      'SIM_E_NET_FAULT',
      `${path}: ${issue?.message ?? 'invalid'} (${f.type}: ${kind.summary})`,
      {
        path,
      },
    );
  }
  if (kind.scope === 'endpoint' && f.connections !== 'all') {
    throw new SimNetError(
      'SIM_E_NET_FAULT',
      `${where}.connections: a ${f.type} fault acts on the endpoint's listener, not per connection; it must be "all"`,
      { path: `${where}.connections` },
    );
  }
  if (kind.scope === 'endpoint' && f.toxicity !== 1) {
    throw new SimNetError(
      'SIM_E_NET_FAULT',
      `${where}.toxicity: a ${f.type} fault acts on the endpoint's listener, not per connection; its toxicity must be 1`,
      { path: `${where}.toxicity` },
    );
  }
  return Object.freeze({
    name: f.name ?? `${f.type}_${f.direction}`,
    type: f.type,
    scope: kind.scope,
    direction: f.direction,
    toxicity: f.toxicity,
    connections: f.connections,
    attributes: Object.freeze({ ...(attrs.data as Record<string, unknown>) }),
    endpoint: Object.freeze({ ...f.endpoint }),
  });
}

/** The fault as the control API shows it (and as config takes it back). */
export function faultToJson(f: Fault): Record<string, unknown> {
  return {
    name: f.name,
    type: f.type,
    direction: f.direction,
    toxicity: f.toxicity,
    connections: f.connections,
    attributes: { ...f.attributes },
    endpoint: { ...f.endpoint },
  };
}

/** What an endpoint looks like to a selector. */
export interface EndpointKey {
  readonly host: string;
  readonly address: string;
  readonly port: number;
}

export function selects(selector: EndpointSelector, e: EndpointKey): boolean {
  return (
    (selector.host === undefined || selector.host === e.host) &&
    (selector.address === undefined || selector.address === e.address) &&
    (selector.port === undefined || selector.port === e.port)
  );
}

/** The active faults, in the order they were added. */
export class FaultSet {
  #faults: Fault[] = [];
  #instances = 0;
  readonly #listeners = new Set<() => void>();

  list(): readonly Fault[] {
    return this.#faults;
  }

  get(name: string): Fault | undefined {
    return this.#faults.find((f) => f.name === name);
  }

  /** Adds a validated fault (selector already normalised by the caller). */
  add(fault: Omit<Fault, 'instance'>): Fault {
    if (this.get(fault.name) !== undefined) {
      throw new SimNetError(
        'SIM_E_NET_FAULT',
        `a fault named ${JSON.stringify(fault.name)} is already active; remove it first or give another name`,
        { name: fault.name },
      );
    }
    this.#instances += 1;
    const f: Fault = Object.freeze({ ...fault, instance: this.#instances });
    this.#faults = [...this.#faults, f];
    this.#changed();
    return f;
  }

  remove(name: string): Fault {
    const f = this.get(name);
    if (f === undefined) {
      throw new SimNetError(
        'SIM_E_NET_UNKNOWN_FAULT',
        `no active fault is named ${JSON.stringify(name)}`,
        {
          name,
        },
      );
    }
    this.#faults = this.#faults.filter((x) => x !== f);
    this.#changed();
    return f;
  }

  /** Replaces every fault at once (reset to the start list, or clear). */
  replace(faults: readonly Omit<Fault, 'instance'>[]): void {
    this.#faults = faults.map((f) => {
      this.#instances += 1;
      return Object.freeze({ ...f, instance: this.#instances });
    });
    this.#changed();
  }

  /** The faults that apply to an endpoint, in order. */
  forEndpoint(e: EndpointKey): Fault[] {
    return this.#faults.filter((f) => selects(f.endpoint, e));
  }

  onChange(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }

  #changed(): void {
    for (const l of this.#listeners) l();
  }
}
