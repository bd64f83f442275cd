// HTTP faults of the back-office mocks as data, and the pure function that decides which
// fault (if any) a request meets. In: the rules set on a service (through the control API or
// the config), the request's method and path, the clock's time and the fault PRNG's state.
// Out: a verdict (the action, a sampled delay, a Retry-After value) and the next state (rule
// use counts, PRNG state). No IO: the socket-level acts live in edge.ts.
//
// A rule applies to requests that match it while it is active: from `afterMs` after it was
// set, for `forMs` (unbounded when absent), to at most `count` requests, each with
// `probability` (seeded). "Down for 60 s, then up" is {action: 503, forMs: 60000}; "fail the
// first 3 requests" is {action: 500, count: 3}. The first active matching rule wins.
import { z } from 'zod';
import { mulberry32, seedState, standardNormal } from './prng';
import type { Clock } from '../../../relay/src/protocol/primitives';
import { SimBackOfficeError } from './errors';

/** Delays and intervals are bounded so that no fault can hold a request past 10 minutes. */
export const MAX_FAULT_MS = 600_000;
const ms = z.int().min(0).max(MAX_FAULT_MS);

export const delaySchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('fixed'), ms }),
  z
    .strictObject({ type: z.literal('uniform'), minMs: ms, maxMs: ms })
    .refine((d) => d.minMs <= d.maxMs, 'minMs must not exceed maxMs'),
  z.strictObject({
    type: z.literal('lognormal'),
    medianMs: z.int().min(1).max(MAX_FAULT_MS),
    sigma: z.number().min(0).max(4),
    /** Samples above this are cut to it (default: MAX_FAULT_MS). */
    maxMs: ms.optional(),
  }),
]);

const when = z.enum(['before', 'after']).default('before');

export const actionSchema = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('status'),
    status: z.int().min(400).max(599),
    /** Seconds, or "remaining": the seconds left of the rule's forMs window. */
    retryAfter: z.union([z.int().min(0).max(86_400), z.literal('remaining')]).optional(),
    /** Retry-After as delta-seconds (default) or as an HTTP-date. */
    retryAfterFormat: z.enum(['seconds', 'http-date']).default('seconds'),
  }),
  /** TCP reset (RST): before the handler runs, or after it ran (its work done, answer lost). */
  z.strictObject({ type: z.literal('reset'), when }),
  /** Close the connection (FIN) without a byte of answer. */
  z.strictObject({ type: z.literal('empty'), when }),
  /** Never answer; the connection is closed only by the client or at shutdown. */
  z.strictObject({ type: z.literal('hang'), when }),
  /** Content-Length of the full body, then only `sendBytes` (default: half) and a close. */
  z.strictObject({ type: z.literal('truncate'), sendBytes: z.int().min(0).optional() }),
  /** A chunked answer whose second chunk-size line is not hexadecimal, then a close. */
  z.strictObject({ type: z.literal('malformed-chunked') }),
  /** The real answer, `bytes` at a time every `intervalMs`. */
  z.strictObject({
    type: z.literal('dribble'),
    bytes: z.int().min(1).max(1_048_576),
    intervalMs: z.int().min(0).max(60_000),
  }),
  /** Only the rule's delay, then the real answer. */
  z.strictObject({ type: z.literal('delay') }),
]);

export const faultRuleSchema = z
  .strictObject({
    action: actionSchema,
    delay: delaySchema.optional(),
    match: z
      .strictObject({
        method: z
          .string()
          .regex(/^[A-Za-z]{1,16}$/)
          .transform((m) => m.toUpperCase())
          .optional(),
        pathPrefix: z.string().startsWith('/').max(1024).optional(),
        /** Requests whose Idempotency-Key starts with this (one message, a poison message). */
        idempotencyKeyPrefix: z.string().min(1).max(256).optional(),
      })
      .optional(),
    count: z.int().min(1).max(1_000_000_000).optional(),
    probability: z.number().min(0).max(1).optional(),
    afterMs: z
      .int()
      .min(0)
      .max(7 * 86_400_000)
      .optional(),
    forMs: z
      .int()
      .min(1)
      .max(7 * 86_400_000)
      .optional(),
    label: z.string().max(120).optional(),
  })
  .refine(
    (r) =>
      !(r.action.type === 'status' && r.action.retryAfter === 'remaining' && r.forMs === undefined),
    'retryAfter "remaining" needs forMs',
  )
  .refine((r) => r.action.type !== 'delay' || r.delay !== undefined, 'a delay action needs delay');

export type FaultRuleInput = z.input<typeof faultRuleSchema>;
export type FaultRule = z.output<typeof faultRuleSchema>;
export type FaultAction = FaultRule['action'];
export type FaultActionType = FaultAction['type'];
export type DelaySpec = z.output<typeof delaySchema>;

/** A rule as set on a service: its id, when it was set and how often it has applied. */
export interface RuleState {
  readonly id: string;
  readonly rule: FaultRule;
  readonly installedAt: number;
  readonly applied: number;
}

export interface FaultState {
  readonly rules: readonly RuleState[];
  /** mulberry32 state of the fault PRNG (probabilities and delays). */
  readonly rng: number;
}

export interface FaultRequest {
  readonly method: string;
  readonly path: string;
  /** The request's Idempotency-Key header, when it has one. */
  readonly idempotencyKey?: string | undefined;
}

export interface Verdict {
  readonly ruleId: string;
  readonly action: FaultAction;
  /** Wait this long before acting (0: none). */
  readonly delayMs: number;
  /** The Retry-After header value for a status action, when the rule asks for one. */
  readonly retryAfter: string | undefined;
}

/** When a rule is active: [from, until) in clock milliseconds (until: Infinity if open). */
export function ruleWindow(r: RuleState): { readonly from: number; readonly until: number } {
  const from = r.installedAt + (r.rule.afterMs ?? 0);
  return { from, until: r.rule.forMs === undefined ? Infinity : from + r.rule.forMs };
}

/** True when the rule can still apply at `now` (inside its window, count not used up). */
export function isLive(r: RuleState, now: number): boolean {
  const w = ruleWindow(r);
  const spent = r.rule.count !== undefined && r.applied >= r.rule.count;
  return !spent && now >= w.from && now < w.until;
}

function matches(rule: FaultRule, req: FaultRequest): boolean {
  const m = rule.match;
  if (m === undefined) return true;
  if (m.method !== undefined && m.method !== req.method.toUpperCase()) return false;
  if (m.pathPrefix !== undefined && !req.path.startsWith(m.pathPrefix)) return false;
  if (
    m.idempotencyKeyPrefix !== undefined &&
    !(req.idempotencyKey ?? '').startsWith(m.idempotencyKeyPrefix)
  ) {
    return false;
  }
  return true;
}

/** A sample of a delay distribution from the PRNG at `rng`; returns it and the next state. */
export function sampleDelay(
  spec: DelaySpec | undefined,
  rng: number,
): { readonly ms: number; readonly rng: number } {
  if (spec === undefined) return { ms: 0, rng };
  switch (spec.type) {
    case 'fixed':
      return { ms: spec.ms, rng };
    case 'uniform': {
      const a = mulberry32(rng);
      return {
        ms: spec.minMs + Math.floor(a.value * (spec.maxMs - spec.minMs + 1)),
        rng: a.state,
      };
    }
    case 'lognormal': {
      const a = mulberry32(rng);
      const b = mulberry32(a.state);
      const z = standardNormal(a.value, b.value);
      const cap = spec.maxMs ?? MAX_FAULT_MS;
      return {
        ms: Math.min(cap, Math.round(spec.medianMs * Math.exp(spec.sigma * z))),
        rng: b.state,
      };
    }
  }
}

function retryAfterValue(r: RuleState, now: number): string | undefined {
  const a = r.rule.action;
  if (a.type !== 'status' || a.retryAfter === undefined) return undefined;
  const seconds =
    a.retryAfter === 'remaining'
      ? Math.max(0, Math.ceil((ruleWindow(r).until - now) / 1000))
      : a.retryAfter;
  return a.retryAfterFormat === 'http-date'
    ? new Date(now + seconds * 1000).toUTCString()
    : String(seconds);
}

/**
 * The pure decision: which rule (if any) `req` meets at `now`. Rules are tried in order;
 * a rule with a probability draws once from the PRNG whether or not it then applies.
 */
export function decide(
  state: FaultState,
  req: FaultRequest,
  now: number,
): { readonly verdict: Verdict | undefined; readonly state: FaultState } {
  let rng = state.rng;
  for (let i = 0; i < state.rules.length; i++) {
    const r = state.rules[i];
    if (r === undefined || !isLive(r, now) || !matches(r.rule, req)) continue;
    if (r.rule.probability !== undefined && r.rule.probability < 1) {
      const draw = mulberry32(rng);
      rng = draw.state;
      if (draw.value >= r.rule.probability) continue;
    }
    const delay = sampleDelay(r.rule.delay, rng);
    rng = delay.rng;
    const rules = state.rules.map((x, j) => (j === i ? { ...x, applied: x.applied + 1 } : x));
    return {
      verdict: {
        ruleId: r.id,
        action: r.rule.action,
        delayMs: delay.ms,
        retryAfter: retryAfterValue(r, now),
      },
      state: { rules, rng },
    };
  }
  return { verdict: undefined, state: { rules: state.rules, rng } };
}

/** Validates a rule (from JSON); a SIM_E_BO_CONFIG naming the field when it is wrong. */
export function parseFaultRule(input: unknown, where = 'fault'): FaultRule {
  const result = faultRuleSchema.safeParse(input);
  if (!result.success) {
    const issue = result.error.issues[0];
    const path = [where, ...(issue?.path ?? []).map(String)].join('.');
    throw new SimBackOfficeError('SIM_E_BO_CONFIG', `${path}: ${issue?.message ?? 'invalid'}`, {
      path,
    });
  }
  return result.data;
}

/** A rule as the control API shows it. */
export interface RuleView {
  readonly id: string;
  readonly rule: FaultRule;
  readonly installedAt: number;
  readonly applied: number;
  readonly live: boolean;
}

/**
 * The fault switches of every service: state held here, decisions made by decide(). One
 * PRNG stream per service (seed + "faults" + service), restarted by reset().
 */
export class FaultController {
  readonly #seed: string | number;
  readonly #clock: Clock;
  readonly #states = new Map<string, FaultState>();
  #next = 1;

  constructor(seed: string | number, clock: Clock) {
    this.#seed = seed;
    this.#clock = clock;
  }

  #state(service: string): FaultState {
    let s = this.#states.get(service);
    if (s === undefined) {
      s = { rules: [], rng: seedState(this.#seed, 'faults', service) };
      this.#states.set(service, s);
    }
    return s;
  }

  /** Adds a rule after the existing ones; returns its id. */
  add(service: string, input: unknown): string {
    const rule = parseFaultRule(input);
    const s = this.#state(service);
    const id = `${service}#${String(this.#next++)}`;
    this.#states.set(service, {
      ...s,
      rules: [...s.rules, { id, rule, installedAt: this.#clock.now(), applied: 0 }],
    });
    return id;
  }

  /** Replaces every rule of a service; returns the new ids. */
  set(service: string, inputs: readonly unknown[]): string[] {
    const rules = inputs.map((r, i) => parseFaultRule(r, `rules[${String(i)}]`));
    const s = this.#state(service);
    const now = this.#clock.now();
    const states = rules.map((rule) => ({
      id: `${service}#${String(this.#next++)}`,
      rule,
      installedAt: now,
      applied: 0,
    }));
    this.#states.set(service, { ...s, rules: states });
    return states.map((r) => r.id);
  }

  /** Removes one rule by id; true when it was there. */
  remove(id: string): boolean {
    for (const [service, s] of this.#states) {
      const rules = s.rules.filter((r) => r.id !== id);
      if (rules.length !== s.rules.length) {
        this.#states.set(service, { ...s, rules });
        return true;
      }
    }
    return false;
  }

  /** Clears the rules of one service, or of all. The PRNG streams go on. */
  clear(service?: string): void {
    for (const [name, s] of this.#states) {
      if (service === undefined || service === name) this.#states.set(name, { ...s, rules: [] });
    }
  }

  /** Clears every rule and restarts every PRNG stream (as at start-up). */
  reset(): void {
    this.#states.clear();
  }

  list(service: string): RuleView[] {
    const now = this.#clock.now();
    return this.#state(service).rules.map((r) => ({
      id: r.id,
      rule: r.rule,
      installedAt: r.installedAt,
      applied: r.applied,
      live: isLive(r, now),
    }));
  }

  /** Decides for one request of `service` and keeps the new state. */
  decide(service: string, req: FaultRequest): Verdict | undefined {
    const out = decide(this.#state(service), req, this.#clock.now());
    this.#states.set(service, out.state);
    return out.verdict;
  }
}
