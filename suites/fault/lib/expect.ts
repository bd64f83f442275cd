// The expectations of a scenario, checked against what a run observed. In: the expectations,
// and the run's record: the relay's and the world's events in scenario time, the tenant's
// answers, the back office's effects, the dead-letter queue, temporary files left, the times the
// named steps ran, the relay's log. Out: one verdict per expectation (what, expected, observed,
// pass). Pure.
import type { EffectReport } from '../../delivery/lib/effects-ledger';
import type { Expectation, ExpectationArgs } from './schema';
import type { Answer, PlannedSend } from './workload';

export interface ObservedEvent {
  /** Scenario time. */
  readonly t: number;
  readonly source: 'relay' | 'world';
  readonly channel: string;
  readonly data: Readonly<Record<string, unknown>>;
}

export interface DeadLetter {
  readonly messageId: string;
  readonly reason: string | undefined;
  readonly description: string | undefined;
}

export interface Observed {
  readonly events: readonly ObservedEvent[];
  readonly sends: readonly PlannedSend[];
  readonly answers: ReadonlyMap<string, Answer>;
  readonly effects: EffectReport;
  readonly deadLetters: readonly DeadLetter[];
  readonly tempFiles: readonly string[];
  /** Scenario time each named step first ran. */
  readonly stepTimes: ReadonlyMap<string, number>;
  readonly relayLog: string;
}

export interface Verdict {
  readonly check: ExpectationKindName;
  readonly what: string;
  readonly expected: string;
  readonly observed: string;
  readonly pass: boolean;
}
type ExpectationKindName = Expectation['kind'];

const LIST = 5;

function listed(items: readonly string[]): string {
  if (items.length === 0) return 'none';
  const head = items.slice(0, LIST).join(', ');
  return items.length > LIST ? `${head} and ${String(items.length - LIST)} more` : head;
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)}s`;
}

/** A `where` value: equal, or a regular expression when it starts with "~". */
function fieldMatches(actual: unknown, wanted: string | number | boolean): boolean {
  if (typeof wanted === 'string' && wanted.startsWith('~')) {
    return typeof actual === 'string' && new RegExp(wanted.slice(1)).test(actual);
  }
  return actual === wanted;
}

function matching(
  o: Observed,
  m: {
    readonly source: 'relay' | 'world';
    readonly channel: string;
    readonly where: Readonly<Record<string, string | number | boolean>>;
  },
): ObservedEvent[] {
  return o.events.filter(
    (e) =>
      e.source === m.source &&
      e.channel === m.channel &&
      Object.entries(m.where).every(([k, v]) => fieldMatches(e.data[k], v)),
  );
}

function describeMatch(m: {
  readonly channel: string;
  readonly where: Readonly<Record<string, string | number | boolean>>;
}): string {
  const w = Object.entries(m.where)
    .map(([k, v]) => `${k}=${String(v)}`)
    .join(' ');
  return w === '' ? m.channel : `${m.channel} {${w}}`;
}

type Check<K extends ExpectationKindName> = (
  args: ExpectationArgs[K],
  o: Observed,
) => Omit<Verdict, 'check'>;

const CHECKS: { [K in ExpectationKindName]: Check<K> } = {
  effects: (args, o) => {
    const excluded = new Set(o.sends.filter((s) => args.except.includes(s.kind)).map((s) => s.id));
    const keep = (ids: readonly string[]): string[] => ids.filter((id) => !excluded.has(id));
    // unlessDeadLettered: a dead-lettered message may have no effect, and must have none.
    const dead = new Set(args.unlessDeadLettered ? o.deadLetters.map((d) => d.messageId) : []);
    const lost = keep(o.effects.lost).filter((id) => !dead.has(id));
    const duplicated = keep(o.effects.duplicated);
    const altered = keep(o.effects.altered);
    const stray = o.effects.stray;
    const lostIds = new Set(o.effects.lost);
    const deadWithEffect = keep([...dead].filter((id) => !lostIds.has(id))).filter((id) =>
      o.sends.some((s) => s.id === id && ['posts', 'drops', 'hc-drops'].includes(s.kind)),
    );
    const counted = o.sends.filter(
      (s) => !excluded.has(s.id) && ['posts', 'drops', 'hc-drops'].includes(s.kind),
    ).length;
    return {
      what: args.unlessDeadLettered
        ? 'every post and file drop took effect exactly once, with the bytes sent, or was dead-lettered and left none'
        : 'every post and file drop took effect exactly once, with the bytes sent',
      expected: `${String(counted)} effects: none lost, duplicated, altered or stray${args.unlessDeadLettered ? '; none of a dead-lettered message' : ''}`,
      observed:
        `lost ${listed(lost)}; duplicated ${listed(duplicated)}; altered ${listed(altered)}; ` +
        `stray ${listed(stray)}` +
        (args.unlessDeadLettered
          ? `; dead-lettered ${String(dead.size)}, of which with an effect ${listed(deadWithEffect)}`
          : ''),
      pass:
        lost.length + duplicated.length + altered.length + stray.length + deadWithEffect.length ===
        0,
    };
  },
  answered: (args, o) => {
    const sentFrom = args.sentFrom ?? 0;
    const sentTo = args.sentTo ?? Infinity;
    const window =
      args.sentFrom === undefined && args.sentTo === undefined
        ? ''
        : ` sent ${seconds(sentFrom)}–${args.sentTo === undefined ? 'end' : seconds(sentTo)}`;
    const sends = o.sends.filter(
      (s) => args.kinds.includes(s.kind) && s.t >= sentFrom && s.t <= sentTo,
    );
    const failed = sends.filter((s) => o.answers.get(s.id)?.ok !== true);
    const why = failed.map((s) => {
      const a = o.answers.get(s.id);
      if (a === undefined) return `${s.id} (no answer)`;
      return `${s.id} (${a.status === undefined ? '' : `${String(a.status)} `}${(a.detail ?? '').slice(0, 80)})`;
    });
    return {
      what: `the tenant's ${args.kinds.join(', ')} requests${window} were answered with success`,
      expected:
        args.failedAtMost === 0
          ? `all ${String(sends.length)} answered`
          : `at most ${String(args.failedAtMost)} of ${String(sends.length)} failed`,
      observed: `${String(sends.length - failed.length)} answered; failed: ${listed(why)}`,
      pass: failed.length <= args.failedAtMost,
    };
  },
  deadLettered: (args, o) => {
    const sentFrom = args.sentFrom ?? 0;
    const sentTo = args.sentTo ?? Infinity;
    const want = o.sends.filter(
      (s) => args.kinds.includes(s.kind) && s.t >= sentFrom && s.t <= sentTo,
    );
    const byId = new Map(o.deadLetters.map((d) => [d.messageId, d]));
    const missing = want.filter((s) => !byId.has(s.id)).map((s) => s.id);
    const wantIds = new Set(want.map((s) => s.id));
    const unexpected = o.deadLetters.filter((d) => !wantIds.has(d.messageId));
    const reason = args.reason === undefined ? undefined : new RegExp(args.reason);
    const description = args.description === undefined ? undefined : new RegExp(args.description);
    const wrong = want.flatMap((s) => {
      const d = byId.get(s.id);
      if (d === undefined) return [];
      const bad =
        (reason !== undefined && !reason.test(d.reason ?? '')) ||
        (description !== undefined && !description.test(d.description ?? ''));
      return bad
        ? [`${s.id}: ${d.reason ?? '(no reason)'} / ${(d.description ?? '').slice(0, 100)}`]
        : [];
    });
    const reasons = [...new Set(o.deadLetters.map((d) => d.reason ?? '(none)'))];
    return {
      what:
        want.length === 0
          ? 'nothing was dead-lettered'
          : `the ${args.kinds.join(', ')} messages${args.sentFrom === undefined && args.sentTo === undefined ? '' : ` sent ${seconds(sentFrom)}–${args.sentTo === undefined ? 'end' : seconds(sentTo)}`} were dead-lettered, and nothing else`,
      expected:
        want.length === 0
          ? 'an empty dead-letter queue'
          : `${String(want.length)} dead-lettered${args.reason === undefined ? '' : ` with reason /${args.reason}/`}${args.description === undefined ? '' : ` and description /${args.description}/`}; no other`,
      observed:
        `${String(o.deadLetters.length)} dead-lettered (reasons: ${listed(reasons)}); ` +
        `missing ${listed(missing)}; unexpected ${listed(unexpected.map((d) => `${d.messageId} (${d.reason ?? ''})`))}; ` +
        `wrong reason ${listed(wrong)}`,
      pass: missing.length === 0 && unexpected.length === 0 && wrong.length === 0,
    };
  },
  events: (args, o) => {
    const from = args.after === undefined ? 0 : o.stepTimes.get(args.after);
    const all = matching(o, args);
    const inWindow =
      from === undefined
        ? []
        : all.filter(
            (e) => e.t >= from && (args.within === undefined || e.t <= from + args.within),
          );
    const n = inWindow.length;
    const { atLeast, atMost } = args.count;
    const bounds = [
      atLeast === undefined ? '' : `at least ${String(atLeast)}`,
      atMost === undefined ? '' : `at most ${String(atMost)}`,
    ]
      .filter((x) => x !== '')
      .join(' and ');
    const window =
      args.after === undefined
        ? args.within === undefined
          ? 'over the run'
          : `in the first ${seconds(args.within)}`
        : `${args.within === undefined ? 'after' : `within ${seconds(args.within)} of`} step ${args.after}`;
    const first = inWindow[0];
    return {
      what: args.what,
      expected: `${bounds} ${describeMatch(args)} ${window}`,
      observed:
        from === undefined
          ? `step ${args.after ?? ''} never ran`
          : `${String(n)}${first === undefined ? '' : ` (first at ${seconds(first.t)}${from > 0 ? `, ${seconds(first.t - from)} after the step` : ''})`}; ${String(all.length)} over the run`,
      pass:
        from !== undefined &&
        (atLeast === undefined || n >= atLeast) &&
        (atMost === undefined || n <= atMost),
    };
  },
  sequence: (args, o) => {
    const values: unknown[] = [];
    for (const e of matching(o, args)) {
      const v = e.data[args.field];
      if (v !== undefined && values[values.length - 1] !== v) values.push(v);
    }
    const text = (vs: readonly unknown[]): string => vs.map((v) => String(v)).join(' → ');
    return {
      what: args.what,
      expected: `${describeMatch(args)} ${args.field}: ${text(args.values)}`,
      observed: values.length === 0 ? 'no such event' : text(values),
      pass: values.length === args.values.length && values.every((v, i) => v === args.values[i]),
    };
  },
  noTempFiles: (_args, o) => ({
    what: 'nothing half-written: no temporary file is left in any share folder',
    expected: 'no temporary file',
    observed: listed([...o.tempFiles]),
    pass: o.tempFiles.length === 0,
  }),
  log: (args, o) => {
    const m = new RegExp(args.pattern).exec(o.relayLog);
    return {
      what: args.what,
      expected: `the relay's log matches /${args.pattern}/`,
      observed: m === null ? 'no such line' : `"${m[0].slice(0, 200)}"`,
      pass: m !== null,
    };
  },
};

/** Checks every expectation; never throws for a check that cannot hold (it fails instead). */
export function check(expectations: readonly Expectation[], o: Observed): Verdict[] {
  return expectations.map((e) => {
    try {
      const v = (CHECKS[e.kind] as Check<typeof e.kind>)(e.args, o);
      return { check: e.kind, ...v };
    } catch (err) {
      return {
        check: e.kind,
        what: e.kind,
        expected: 'a check that can be evaluated',
        observed: `the check failed: ${err instanceof Error ? err.message : String(err)}`,
        pass: false,
      };
    }
  });
}
