// The scenario file (fixtures/scenarios/*.yaml, docs/scenarios.md): a customer's integration
// fault as a timeline. In: untrusted parsed YAML and the file's name. Out: a frozen Scenario
// whose durations are all milliseconds of scenario time, or SCENARIO_E_FILE naming the file and
// the field. Pure: no IO, no clock.
//
// A scenario is: the world and relay it starts from (config patches), a workload (streams of
// tenant requests at a steady pace), a timeline of actions at given times (firewall, DNS,
// network faults, back-office faults, Service Bus faults, relay kills and restarts, clock skew,
// key rotation, file-share state), and the expectations checked once the run has settled.
// `fast` replaces parts of it for the variant `npm test` runs.
import { z } from 'zod';
import { faultSchema, rulesetSchema } from '../../../simulator/src/network';
import { faultRuleSchema } from '../../../simulator/src/backoffice/faults';
import { ScenarioError } from './errors';

/** "250ms", "30s", "5m", "1h", "1.5s" or a number of ms; at most a day. */
const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/;
const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const DAY_MS = 86_400_000;

export const durationSchema = z
  .union([
    z.int().min(0).max(DAY_MS),
    z.string().regex(DURATION, 'a duration such as "500ms", "30s", "5m" or "1h"'),
  ])
  .transform((v, ctx) => {
    if (typeof v === 'number') return v;
    const m = DURATION.exec(v);
    const ms = Math.round(Number(m?.[1]) * (UNIT_MS[m?.[2] ?? ''] ?? Number.NaN));
    if (!Number.isFinite(ms) || ms > DAY_MS) {
      ctx.addIssue({ code: 'custom', message: 'a duration of at most a day' });
      return z.NEVER;
    }
    return ms;
  });

/** A duration as scenario files write it back (the report, the live timeline). */
export function formatDuration(ms: number): string {
  if (ms % 3_600_000 === 0 && ms > 0) return `${String(ms / 3_600_000)}h`;
  if (ms % 60_000 === 0 && ms > 0) return `${String(ms / 60_000)}m`;
  if (ms % 1000 === 0) return `${String(ms / 1000)}s`;
  return `${String(ms)}ms`;
}

const NAME = /^[a-z0-9][a-z0-9-]{0,62}[a-z0-9]$/;
const STEP_NAME = /^[a-z0-9][a-z0-9-]{0,62}$/;
export const FAULT_ID = /^FAULT-\d{3}$/;

/** The kinds of tenant request a workload stream sends. */
export const STREAM_KINDS = [
  /** Council tax look-ups over Service Bus (route council-tax): answered 200, idempotent. */
  'lookups',
  /** XML posts over Service Bus into the three intake services: one submission each. */
  'posts',
  /** PDF evidence over Service Bus into the form types' share folders: one file each. */
  'drops',
  /** Council tax look-ups over Hybrid Connections (the council-tax connection). */
  'hc-lookups',
  /** PDF evidence over Hybrid Connections (the documents connection, form-evidence route). */
  'hc-drops',
  /** XML posts the back office always refuses with 500 (a poison message). */
  'poison',
] as const;
export type StreamKind = (typeof STREAM_KINDS)[number];

const streamSchema = z.strictObject({
  kind: z.enum(STREAM_KINDS),
  count: z.int().min(1).max(100_000),
  /** When the first one is sent (scenario time). */
  start: durationSchema.default(0),
  /** The pace: one every this long (0: all at `start`). */
  every: durationSchema.default(0),
  /** PDF size for drops (bytes). */
  bytes: z
    .int()
    .min(512)
    .max(64 * 1024 * 1024)
    .default(4096),
  /** Drops are spread over this many form types. */
  formTypes: z.int().min(1).max(200).default(4),
  /** How long the tenant waits for each reply (scenario time). */
  timeout: durationSchema.default(600_000),
});
export type Stream = z.output<typeof streamSchema>;

const portList = z.array(z.union([z.int().min(1).max(65535), z.string().min(1).max(16)])).min(1);

/** The actions of a timeline step, one per step. */
const actions = {
  /** Prepends a rule blocking `block` to the world's starting rules; `restore` goes back. */
  firewall: z.union([
    z.strictObject({
      block: portList,
      verdict: z.enum(['reject', 'drop']).default('reject'),
      /** Whether open connections on the blocked ports are cut (apply) or left (keep). */
      existing: z.enum(['apply', 'keep']).default('apply'),
    }),
    z.strictObject({ restore: z.literal(true) }),
    z.strictObject({
      ruleset: rulesetSchema,
      existing: z.enum(['apply', 'keep']).default('apply'),
    }),
  ]),
  /** Moves a namespace's DNS answer to another subnet inside or outside the allowed ranges. */
  dns: z.strictObject({
    host: z.enum(['servicebus', 'relay']),
    move: z.enum(['inside', 'outside']),
    /**
     * The old addresses go down (the old front end is retired: open connections closed, new
     * dials refused), so the relay must dial the new answer; default they keep serving.
     */
    retireOld: z.boolean().default(false),
  }),
  /** Adds or removes a fault proxy toxic (simulator/src/network/faults). */
  network: z.union([
    z.strictObject({ add: faultSchema }),
    z.strictObject({ remove: z.string().min(1).max(64) }),
  ]),
  /** Sets (replaces) or clears the HTTP fault rules of one back-office service. */
  backOffice: z.union([
    z.strictObject({ service: z.string().min(1).max(64), faults: z.array(faultRuleSchema).min(1) }),
    z.strictObject({ service: z.string().min(1).max(64), clear: z.literal(true) }),
  ]),
  /** Service Bus faults: CBS refusals, dropped connections, forced lock loss, server busy. */
  serviceBus: z.union([
    z.strictObject({ cbs: z.union([z.literal(401), z.literal(403), z.literal(503), z.null()]) }),
    z.strictObject({ dropConnections: z.literal(true) }),
    z.strictObject({ lockLoss: z.literal('all') }),
    z.strictObject({
      serverBusy: z.boolean(),
      /** Only these entities (and their sub-queues) are throttled; default every entity. */
      entities: z.array(z.string().min(1).max(260)).min(1).max(100).optional(),
    }),
  ]),
  /** Azure Relay faults: the listeners' tokens expire now (1008), or a shorter token lifetime. */
  hybrid: z.strictObject({ expireTokens: z.literal(true) }),
  /** The relay process: SIGKILL, SIGTERM, start, or kill then start (clock offset optional). */
  relay: z.strictObject({
    signal: z.enum(['kill', 'term', 'none']).default('term'),
    start: z.boolean().default(true),
    /** The restarted relay's clock is this far ahead (negative: behind). */
    clockOffset: z
      .string()
      .regex(/^[+-]?\d+(?:\.\d+)?(ms|s|m|h)$/)
      .optional(),
    /** The restarted relay's tenant keys: the world's current ones, or only the newest. */
    keys: z.enum(['unchanged', 'current', 'retired-only']).default('unchanged'),
    /**
     * What the timeline waits for before its next step: the new relay's health endpoint
     * (ready), or also its first handshake outcome (session: live, rejected or failed).
     */
    wait: z.enum(['ready', 'session']).default('ready'),
  }),
  /** The tenant's key rotation: add a new active key, or retire the oldest. */
  tenantKeys: z.union([
    z.strictObject({ add: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/) }),
    z.strictObject({ retire: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/) }),
  ]),
  /** The file share the relay drops into: full (ENOSPC), read-only (EROFS), or writable. */
  share: z.strictObject({ state: z.enum(['full', 'read-only', 'writable']) }),
} as const;
export type ActionName = keyof typeof actions;
export const ACTION_NAMES = Object.keys(actions) as ActionName[];
export type ActionArgs = { [K in ActionName]: z.output<(typeof actions)[K]> };

const stepBase = {
  /** Names the step for expectations (`after: <name>`). */
  name: z.string().regex(STEP_NAME, 'a step name: a-z, 0-9, -').optional(),
  at: durationSchema,
  /** Repeats the step every this long ... */
  every: durationSchema.optional(),
  /** ... until this time (inclusive). */
  until: durationSchema.optional(),
  /** Why, in the words of the support engineer (shown on the timeline). */
  note: z.string().max(300).optional(),
  /**
   * The workload does not wait for this step: requests keep going out at their times while it
   * runs (a relay restart the tenant knows nothing of). Later steps still wait for it.
   */
  background: z.boolean().default(false),
};

const stepSchema = z
  .strictObject({
    ...stepBase,
    ...Object.fromEntries(Object.entries(actions).map(([k, s]) => [k, s.optional()])),
  })
  .superRefine((s, ctx) => {
    const present = ACTION_NAMES.filter((a) => (s as Record<string, unknown>)[a] !== undefined);
    if (present.length !== 1) {
      ctx.addIssue({
        code: 'custom',
        message: `a step has exactly one action (one of ${ACTION_NAMES.join(', ')}); found ${present.length === 0 ? 'none' : present.join(', ')}`,
      });
    }
    if ((s.every === undefined) !== (s.until === undefined)) {
      ctx.addIssue({ code: 'custom', message: 'a repeated step has both every and until' });
    }
    if (s.every !== undefined && s.every < 100) {
      ctx.addIssue({ code: 'custom', message: 'a step repeats at most every 100ms' });
    }
    if (s.until !== undefined && s.until < s.at) {
      ctx.addIssue({ code: 'custom', message: 'until is before at' });
    }
  });

/** One timeline step as the runner uses it: its action and arguments. */
export type Step = {
  readonly name: string | undefined;
  readonly at: number;
  readonly every: number | undefined;
  readonly until: number | undefined;
  readonly note: string | undefined;
  readonly background: boolean;
} & { [K in ActionName]: { readonly action: K; readonly args: ActionArgs[K] } }[ActionName];

const count = z
  .strictObject({ atLeast: z.int().min(0).optional(), atMost: z.int().min(0).optional() })
  .refine((c) => c.atLeast !== undefined || c.atMost !== undefined, 'atLeast or atMost');

const eventMatch = z.strictObject({
  /** relay: the relay's own events; world: the simulator's (Service Bus, back office, net). */
  source: z.enum(['relay', 'world']).default('relay'),
  channel: z.string().min(1).max(100),
  /** Fields the event must have (equal); a string starting with "~" is a regular expression. */
  where: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).default({}),
});

/** What is checked when the run has settled. */
export const expectations = {
  /** Every post and drop left exactly one effect with the bytes sent; `except` kinds excluded. */
  effects: z.strictObject({
    exactlyOnce: z.literal(true),
    except: z.array(z.enum(STREAM_KINDS)).default([]),
    /** A dead-lettered message must have left no effect at all (and is not counted lost). */
    unlessDeadLettered: z.boolean().default(false),
  }),
  /** Requests of these kinds were answered with success; at most `failed` were not. */
  answered: z.strictObject({
    kinds: z.array(z.enum(STREAM_KINDS)).min(1),
    failedAtMost: z.int().min(0).default(0),
    /** Only the requests sent from this time on (scenario time)... */
    sentFrom: durationSchema.optional(),
    /** ... up to this time (inclusive) are counted. */
    sentTo: durationSchema.optional(),
  }),
  /** Requests of these kinds were dead-lettered (reason/description matched), the rest not. */
  deadLettered: z.strictObject({
    kinds: z.array(z.enum(STREAM_KINDS)).default([]),
    reason: z.string().max(200).optional(),
    description: z.string().max(200).optional(),
    /** Only the requests of `kinds` sent from this time on (scenario time)... */
    sentFrom: durationSchema.optional(),
    /** ... up to this time (inclusive) must be dead-lettered; the others must not. */
    sentTo: durationSchema.optional(),
  }),
  /** Events matching: counted (within a window after a step) against bounds. */
  events: z.strictObject({
    ...eventMatch.shape,
    after: z.string().regex(STEP_NAME).optional(),
    /** The window after `after` (or after the start), scenario time. */
    within: durationSchema.optional(),
    count,
    what: z.string().min(1).max(200),
  }),
  /** The successive distinct values of one field over matching events, from the start. */
  sequence: z.strictObject({
    ...eventMatch.shape,
    field: z.string().min(1).max(64),
    values: z.array(z.union([z.string(), z.number(), z.boolean()])).min(1),
    what: z.string().min(1).max(200),
  }),
  /** No temporary file left in any share folder; no file of another name. */
  noTempFiles: z.literal(true),
  /** The relay's log (stderr) says this (a regular expression), e.g. a diagnosis. */
  log: z.strictObject({ pattern: z.string().min(1).max(300), what: z.string().min(1).max(200) }),
} as const;
export type ExpectationName = keyof typeof expectations;
export const EXPECTATION_NAMES = Object.keys(expectations) as ExpectationName[];
export type ExpectationArgs = { [K in ExpectationName]: z.output<(typeof expectations)[K]> };
export type Expectation = {
  [K in ExpectationName]: { readonly kind: K; readonly args: ExpectationArgs[K] };
}[ExpectationName];

const expectationSchema = z
  .strictObject(
    Object.fromEntries(Object.entries(expectations).map(([k, s]) => [k, s.optional()])) as {
      [K in ExpectationName]: z.ZodOptional<(typeof expectations)[K]>;
    },
  )
  .superRefine((e, ctx) => {
    const present = EXPECTATION_NAMES.filter((k) => e[k] !== undefined);
    if (present.length !== 1) {
      ctx.addIssue({
        code: 'custom',
        message: `an expectation has exactly one check (one of ${EXPECTATION_NAMES.join(', ')}); found ${present.length === 0 ? 'none' : present.join(', ')}`,
      });
    }
  });

const json = z.record(z.string(), z.unknown());

/** The requests queue of the simulated namespace (scenario time; scaled like the rest). */
const brokerSchema = z.strictObject({
  lockDurationMs: z.int().min(100).max(300_000).optional(),
  maxDeliveryCount: z.int().min(1).max(2000).optional(),
});
export type Broker = z.output<typeof brokerSchema>;

const variantSchema = z.strictObject({
  workload: z.array(streamSchema).min(1).max(20).optional(),
  timeline: z.array(stepSchema).max(200).optional(),
  expect: z.array(expectationSchema).min(1).max(50).optional(),
  settle: durationSchema.optional(),
  world: json.optional(),
  relay: json.optional(),
  broker: brokerSchema.optional(),
});

const fileSchema = z.strictObject({
  name: z.string().regex(NAME, 'a name: a-z, 0-9, - (2-64), the file name without .yaml'),
  case: z.string().regex(FAULT_ID, 'a catalogue id FAULT-NNN'),
  title: z.string().min(1).max(200),
  /** The customer's report, in their words. */
  symptom: z.string().min(1).max(1000),
  /** What the relay must do, in one or two sentences (the catalogue case's requirement). */
  requirement: z.string().min(1).max(1000),
  description: z.string().min(1).max(4000),
  seed: z.int().min(0).max(0xffffffff).default(1),
  /** The fastest `--speed max` may run it: the relay's own bounds allow no faster. */
  maxSpeed: z.int().min(1).max(1000).default(10),
  /** What the machine must offer (root: mounts, namespaces). */
  needs: z.array(z.enum(['root'])).default([]),
  /** Simulator config patch (relaycheck sim --config format); durations in *Ms fields scale. */
  world: json.default({}),
  /** Relay config patch (docs/relay/config.md); durations in *Ms fields scale. */
  relay: json.default({}),
  /** The requests queue: lock duration and max delivery count (Azure's defaults: 60 s, 10). */
  broker: brokerSchema.default({}),
  workload: z.array(streamSchema).min(1).max(20),
  timeline: z.array(stepSchema).max(200).default([]),
  expect: z.array(expectationSchema).min(1).max(50),
  /** How long after the last step and send the run may take to settle (scenario time). */
  settle: durationSchema.default(120_000),
  fast: variantSchema.default({}),
});

export interface Variant {
  readonly workload: readonly Stream[];
  readonly timeline: readonly Step[];
  readonly expect: readonly Expectation[];
  readonly settle: number;
  readonly world: Readonly<Record<string, unknown>>;
  readonly relay: Readonly<Record<string, unknown>>;
  readonly broker: Broker;
}

export interface Scenario {
  readonly name: string;
  readonly case: string;
  readonly title: string;
  readonly symptom: string;
  readonly requirement: string;
  readonly description: string;
  readonly seed: number;
  readonly maxSpeed: number;
  readonly needs: readonly 'root'[];
  /** Full length, as `relaycheck reproduce` runs it. */
  readonly full: Variant;
  /** The variant `npm test` runs: `fast` laid over the full one. */
  readonly fast: Variant;
}

function pathText(path: readonly PropertyKey[]): string {
  return path.map((p) => (typeof p === 'number' ? `[${String(p)}]` : `.${String(p)}`)).join('');
}

function toStep(s: z.output<typeof stepSchema>): Step {
  const rec = s as Record<string, unknown>;
  const action = ACTION_NAMES.find((a) => rec[a] !== undefined);
  if (action === undefined) throw new Error('unreachable: a checked step has an action');
  return Object.freeze({
    name: s.name,
    at: s.at,
    every: s.every,
    until: s.until,
    note: s.note,
    background: s.background,
    action,
    args: rec[action],
  }) as Step;
}

function toExpectation(e: z.output<typeof expectationSchema>): Expectation {
  const rec = e as Record<string, unknown>;
  const kind = EXPECTATION_NAMES.find((k) => rec[k] !== undefined);
  if (kind === undefined) throw new Error('unreachable: a checked expectation has a check');
  return Object.freeze({ kind, args: rec[kind] }) as Expectation;
}

/** Checks that every `after:` names a step, and every repeated step's name is unique. */
function crossCheck(v: Variant, where: string): void {
  const names = new Set<string>();
  for (const [i, s] of v.timeline.entries()) {
    if (s.name === undefined) continue;
    if (names.has(s.name)) {
      throw new ScenarioError(
        'SCENARIO_E_FILE',
        `${where}.timeline[${String(i)}].name: ${s.name} is used twice`,
        {
          path: `${where}.timeline[${String(i)}].name`,
        },
      );
    }
    names.add(s.name);
  }
  for (const [i, e] of v.expect.entries()) {
    if (e.kind === 'events' && e.args.after !== undefined && !names.has(e.args.after)) {
      throw new ScenarioError(
        'SCENARIO_E_FILE',
        `${where}.expect[${String(i)}].events.after: no step is named ${e.args.after}`,
        { path: `${where}.expect[${String(i)}].events.after` },
      );
    }
  }
}

/** Validates a parsed scenario file; `file` names it in messages. */
export function parseScenario(input: unknown, file: string): Scenario {
  const parsed = fileSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const path = pathText(issue?.path ?? []);
    throw new ScenarioError('SCENARIO_E_FILE', `${file}${path}: ${issue?.message ?? 'invalid'}`, {
      path: `${file}${path}`,
    });
  }
  const s = parsed.data;
  const full: Variant = Object.freeze({
    workload: Object.freeze(s.workload),
    timeline: Object.freeze(s.timeline.map(toStep)),
    expect: Object.freeze(s.expect.map(toExpectation)),
    settle: s.settle,
    world: s.world,
    relay: s.relay,
    broker: s.broker,
  });
  const fast: Variant = Object.freeze({
    workload: Object.freeze(s.fast.workload ?? s.workload),
    timeline: Object.freeze((s.fast.timeline ?? s.timeline).map(toStep)),
    expect: Object.freeze((s.fast.expect ?? s.expect).map(toExpectation)),
    settle: s.fast.settle ?? s.settle,
    world: s.fast.world ?? s.world,
    relay: s.fast.relay ?? s.relay,
    broker: s.fast.broker ?? s.broker,
  });
  crossCheck(full, file);
  crossCheck(fast, `${file}.fast`);
  return Object.freeze({
    name: s.name,
    case: s.case,
    title: s.title,
    symptom: s.symptom,
    requirement: s.requirement,
    description: s.description,
    seed: s.seed,
    maxSpeed: s.maxSpeed,
    needs: Object.freeze(s.needs),
    full,
    fast,
  });
}
