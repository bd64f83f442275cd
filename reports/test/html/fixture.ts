// A recorded run for the index.html tests, with no IO. In: the real case catalogue. Out: run
// input with every outcome (pass, non-strict, fail, skip, info) over every area, recorded
// failures and assertions with diagnostics, and durations spread from milliseconds to a
// minute, plus the outcome counts per area that the page must show (counted here, apart from
// the report builder).
import { CATALOGUE, type Case } from '../../../suites/catalogue';
import type { BuildReportInput, ReportCaseInput, ReportOutcome } from '../../src';
import { ENDED, ENVIRONMENT, STARTED } from '../lib/fixture';

/** Must cases that fail in the recorded run, with what they recorded. */
export const FAILED: Readonly<Record<string, Omit<ReportCaseInput, 'case' | 'outcome'>>> = {
  'PORT-003': {
    ms: 30_012.9,
    reason: 'falls back to AMQP over WebSockets on 443 when 5671 is refused > relays a message',
    failures: ['PORT-003 falls back to AMQP over WebSockets on 443 > relays a message'],
    assertions: [
      { name: 'the relay dials 5671 first', ok: true },
      { name: 'the firewall refuses 5671', ok: true },
      {
        name: 'relays a message',
        ok: false,
        diag: 'found: 0 messages completed\nwanted: 1 message completed\nat: suites/port/falls-back.test.ts:88',
      },
    ],
  },
  'DLV-005': {
    ms: 61_400,
    reason: 'message executed twice after SIGKILL at point 7 (seed 42)',
    failures: ['DLV-005 > no effect is duplicated', 'DLV-005 > every message is settled'],
  },
};

/** Should cases that fail (non-strict), skipped cases and information cases. */
export const NON_STRICT: readonly string[] = ['IP-003', 'HC-011'];
export const SKIPPED: Readonly<Record<string, string>> = {
  'IP-004': 'needs root for network namespaces',
  'SB-011': 'the simulator has no sessions yet',
};
export const INFO: readonly string[] = ['SB-020'];

/** A duration from the id, spread over 5 ms .. about 20 s, the same on every run. */
function durationOf(id: string): number {
  let x = 7;
  for (const ch of id) x = (x * 31 + ch.charCodeAt(0)) % 100_003;
  return 5 + ((x * 7919) % 20_000) + (x % 10) / 10;
}

function outcomeOf(c: Case): ReportCaseInput {
  const failed = FAILED[c.id];
  if (failed !== undefined) return { case: c, outcome: 'fail', ...failed };
  if (NON_STRICT.includes(c.id)) {
    return {
      case: c,
      outcome: 'fail',
      ms: durationOf(c.id),
      reason: `${c.id} > the recommended behaviour was not observed`,
      failures: [`${c.id} > the recommended behaviour was not observed`],
    };
  }
  const skipped = SKIPPED[c.id];
  if (skipped !== undefined) return { case: c, outcome: 'skip', ms: 0, reason: skipped };
  if (INFO.includes(c.id)) {
    return { case: c, outcome: 'info', ms: durationOf(c.id), reason: 'measured 412 messages/s' };
  }
  return { case: c, outcome: 'pass', ms: durationOf(c.id) };
}

/** The recorded run: every catalogued case, with the outcomes above. */
export function recordedRun(extra: Partial<BuildReportInput> = {}): BuildReportInput {
  const named = [...Object.keys(FAILED), ...NON_STRICT, ...Object.keys(SKIPPED), ...INFO];
  for (const id of named) {
    if (!CATALOGUE.some((c) => c.id === id)) throw new Error(`fixture names ${id}: not catalogued`);
  }
  return {
    id: '20261122T100000Z-3fa9c1',
    startedAt: STARTED,
    endedAt: ENDED,
    seed: 42,
    command: 'relaycheck run --seed 42',
    environment: ENVIRONMENT,
    outcomes: CATALOGUE.map(outcomeOf),
    ...extra,
  };
}

/** The outcome the page must show for a case of the recorded run (should failures: non-strict). */
export function expectedOutcome(id: string): ReportOutcome {
  if (id in FAILED) return 'fail';
  if (NON_STRICT.includes(id)) return 'non-strict';
  if (id in SKIPPED) return 'skip';
  if (INFO.includes(id)) return 'info';
  return 'pass';
}

/** Cases per area and outcome of the recorded run, counted from the catalogue. */
export function expectedMatrix(): Map<string, Record<ReportOutcome, number>> {
  const out = new Map<string, Record<ReportOutcome, number>>();
  for (const c of CATALOGUE) {
    const row = out.get(c.area) ?? { pass: 0, 'non-strict': 0, fail: 0, skip: 0, info: 0 };
    row[expectedOutcome(c.id)] += 1;
    out.set(c.area, row);
  }
  return out;
}

/**
 * The tags of `html` (script and style bodies left out) that are not a name followed by
 * attributes with double-quoted values (or none): a quote or `<` that broke out of a value.
 */
export function brokenTags(html: string): string[] {
  const markup = html.replace(/<(script|style)\b([^>]*)>[\s\S]*?<\/\1>/g, '<$1$2></$1>');
  return [...markup.matchAll(/<(?![/!])[^>]*>/g)]
    .map((m) => m[0])
    .filter((tag) => !/^<[\w:-]+(?:\s+[\w:-]+(?:="[^"<]*")?)*\s*\/?>$/.test(tag));
}
