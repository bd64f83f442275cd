// A recorded run for the index.html tests, with no IO. In: the real case catalogue. Out: run
// input with every outcome over every area, recorded failures, assertions with expected and
// observed, event log slices (dials with several verdicts), samples and series metrics, and
// durations from milliseconds to a minute, plus the counts per area the page must show.
import { CATALOGUE, type Case } from '../../../suites/catalogue';
import type {
  BuildReportInput,
  ReportCaseInput,
  ReportEvent,
  ReportMetric,
  ReportOutcome,
} from '../../src';
import { ENDED, ENVIRONMENT, STARTED } from '../lib/fixture';

/** A deterministic stream of numbers in [0, 1) (a small LCG), so the page is the same each run. */
export function numbers(seed: number): () => number {
  let x = seed >>> 0;
  return () => {
    x = (Math.imul(x, 1_664_525) + 1_013_904_223) >>> 0;
    return x / 2 ** 32;
  };
}

/** A dial event as the network model publishes it (sim:net:dial). */
export function dial(atMs: number, port: number, verdict: string, host?: string): ReportEvent {
  const address = port === 9352 ? '51.140.146.60' : '51.140.146.50';
  return {
    atMs,
    source: 'net',
    channel: 'sim:net:dial',
    text: `dial ${host ?? address}:${port} ${verdict}`,
    fields: { port, address, ...(host !== undefined ? { host } : {}), verdict },
  };
}

/** PORT-003's event log: 5671 refused three times, then AMQP over WebSockets on 443. */
export function port003Events(): ReportEvent[] {
  const host = 'council-42.servicebus.windows.net';
  const events: ReportEvent[] = [
    { atMs: 0.4, source: 'relay', channel: 'relay:start', text: 'relay started (profile default)' },
    dial(11.2, 5671, 'reject', host),
    { atMs: 11.9, source: 'relay', channel: 'relay:egress:dial', text: 'ECONNREFUSED 5671' },
    dial(512.6, 5671, 'reject', host),
    dial(1530.1, 5671, 'reject', host),
    dial(2101.7, 443, 'accept', host),
    { atMs: 2140, source: 'sb', channel: 'sim:sb:open', text: 'AMQP open over WebSockets' },
    { atMs: 2141, source: 'sb', channel: 'sim:sb:begin', text: 'begin channel 0' },
    dial(2402.5, 9352, 'drop', 'council-42-relay.servicebus.windows.net'),
    dial(2810.3, 443, 'accept', 'council-42-relay.servicebus.windows.net'),
  ];
  for (let i = 0; i < 16; i++) {
    events.push({
      atMs: 2900 + i * 125.5,
      source: i % 2 === 0 ? 'sb' : 'hc',
      channel: i % 2 === 0 ? 'sim:sb:transfer' : 'sim:hc:frame',
      text: i % 2 === 0 ? `transfer delivery-id ${i / 2}` : `hc frame ${i} (request)`,
      fields: { n: i, settled: i % 4 === 0 },
    });
  }
  return events;
}

/** Metrics of the information case: send-to-complete latencies and throughput over time. */
export function sb020Metrics(): ReportMetric[] {
  const next = numbers(20);
  const values = Array.from({ length: 400 }, () => {
    const r = next();
    return Math.round((8 + r * r * 40 + (r > 0.97 ? 120 : 0)) * 100) / 100;
  });
  const points = Array.from({ length: 120 }, (_, i): [number, number] => [
    i * 250,
    Math.round((40 + 12 * Math.sin(i / 9) + next() * 4) * 10) / 10,
  ]);
  return [
    { name: 'send-to-complete latency', unit: 'ms', kind: 'samples', values },
    { name: 'throughput', unit: 'MiB/s', kind: 'series', points },
  ];
}

/** A passing case with many assertions (they fold behind a count on the page). */
export const MANY_ASSERTIONS = 'HS-001';

/** Must cases that fail in the recorded run, with what they recorded. */
export const FAILED: Readonly<Record<string, Omit<ReportCaseInput, 'case' | 'outcome'>>> = {
  'PORT-003': {
    ms: 30_012.9,
    reason: 'falls back to AMQP over WebSockets on 443 when 5671 is refused > relays a message',
    failures: ['PORT-003 falls back to AMQP over WebSockets on 443 > relays a message'],
    assertions: [
      {
        name: 'the relay dials 5671 first',
        ok: true,
        expected: '5671',
        observed: '5671',
        at: 'suites/port/falls-back.test.ts:61',
      },
      { name: 'the firewall refuses 5671', ok: true, at: 'suites/port/falls-back.test.ts:70' },
      {
        name: 'relays a message',
        ok: false,
        expected: '1 message completed',
        observed: '0 messages completed',
        diag: 'found: 0 messages completed\nwanted: 1 message completed\nat: suites/port/falls-back.test.ts:88',
        at: 'suites/port/falls-back.test.ts:88',
      },
    ],
    events: port003Events(),
  },
  'DLV-005': {
    ms: 61_400,
    reason: 'message executed twice after SIGKILL at point 7 (seed 42)',
    failures: ['DLV-005 > no effect is duplicated', 'DLV-005 > every message is settled'],
    events: [
      { atMs: 0, source: 'bo', channel: 'sim:bo:journal', text: 'POST /council-tax 201' },
      { atMs: 10.5, source: 'bo', channel: 'sim:bo:journal', text: 'POST /council-tax 201' },
    ],
    eventsDropped: 1234,
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
    return {
      case: c,
      outcome: 'info',
      ms: durationOf(c.id),
      reason: 'measured 412 messages/s',
      metrics: sb020Metrics(),
    };
  }
  if (c.id === MANY_ASSERTIONS) {
    return {
      case: c,
      outcome: 'pass',
      ms: durationOf(c.id),
      assertions: Array.from({ length: 45 }, (_, i) => ({
        name: `handshake ${i + 1} completes`,
        ok: true,
        expected: 'accepted',
        observed: 'accepted',
      })),
    };
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
