// A tiny Prometheus registry for the relay's /metrics. In: counters and gauges registered by
// name with help text and optional label names, then increments and values. Out: the text
// exposition format 0.0.4 (HELP and TYPE lines, label values escaped, one sample per series).
// Misuse (a bad name, unknown or missing labels, a negative counter step, a non-number) is a
// RelayHealthError RELAY_E_METRICS; the number of series per metric is bounded.
import { RelayHealthError } from './errors';

export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';
/** Distinct label sets one metric may hold. */
export const MAX_SERIES_PER_METRIC = 10_000;

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

export type LabelValues = Readonly<Record<string, string | number>>;

export interface Counter {
  readonly name: string;
  /** Adds `by` (default 1, never negative) to the series of `labels`. */
  inc(labels?: LabelValues, by?: number): void;
  inc(by?: number): void;
  /** The current value of one series (0 if never incremented). */
  get(labels?: LabelValues): number;
}

export interface Gauge {
  readonly name: string;
  set(labels: LabelValues, value: number): void;
  set(value: number): void;
  inc(labels?: LabelValues, by?: number): void;
  inc(by?: number): void;
  dec(labels?: LabelValues, by?: number): void;
  dec(by?: number): void;
  get(labels?: LabelValues): number;
  /** Forgets every series (for gauges rebuilt at each scrape). */
  reset(): void;
}

export interface Metrics {
  /** Registers (or returns the identical existing) counter. */
  counter(name: string, help: string, labelNames?: readonly string[]): Counter;
  /** Registers (or returns the identical existing) gauge. */
  gauge(name: string, help: string, labelNames?: readonly string[]): Gauge;
  /** `fn` runs before each render (to refresh gauges from live state); errors are ignored. */
  onCollect(fn: () => void): void;
  /** The text exposition of every metric, in registration order. */
  render(): string;
  readonly contentType: string;
}

type Kind = 'counter' | 'gauge';

interface Family {
  readonly name: string;
  readonly help: string;
  readonly kind: Kind;
  readonly labelNames: readonly string[];
  /** Series key (JSON of the label values in labelNames order) → value. */
  readonly series: Map<string, { readonly values: readonly string[]; value: number }>;
  readonly api: Counter | Gauge;
}

function fail(message: string): never {
  throw new RelayHealthError('RELAY_E_METRICS', message);
}

/** Formats a sample value as Prometheus expects (Go float syntax; +Inf, -Inf, NaN). */
export function formatSampleValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

/** Escapes a label value: backslash, double quote and line feed. */
export function escapeLabelValue(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** Escapes HELP text: backslash and line feed. */
export function escapeHelp(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

/** A new, empty registry. */
export function createMetrics(): Metrics {
  const families = new Map<string, Family>();
  const collectors: (() => void)[] = [];

  const register = (
    kind: Kind,
    name: string,
    help: string,
    labelNames: readonly string[],
  ): Family => {
    if (typeof name !== 'string' || !METRIC_NAME.test(name)) {
      fail(`metric name ${JSON.stringify(name)} is not [a-zA-Z_:][a-zA-Z0-9_:]*`);
    }
    if (typeof help !== 'string') fail(`metric ${name}: help must be text`);
    const seen = new Set<string>();
    for (const l of labelNames) {
      if (typeof l !== 'string' || !LABEL_NAME.test(l) || l.startsWith('__')) {
        fail(`metric ${name}: label name ${JSON.stringify(l)} is not valid`);
      }
      if (seen.has(l)) fail(`metric ${name}: label name ${l} is listed twice`);
      seen.add(l);
    }
    const existing = families.get(name);
    if (existing !== undefined) {
      const same =
        existing.kind === kind &&
        existing.help === help &&
        existing.labelNames.length === labelNames.length &&
        existing.labelNames.every((l, i) => l === labelNames[i]);
      if (!same) fail(`metric ${name} is already registered differently`);
      return existing;
    }
    const series = new Map<string, { readonly values: readonly string[]; value: number }>();
    const key = (labels: LabelValues | undefined): { key: string; values: string[] } => {
      const given = labels ?? {};
      if (typeof given !== 'object') fail(`metric ${name}: labels must be an object`);
      for (const k of Object.keys(given)) {
        if (!labelNames.includes(k)) fail(`metric ${name}: unknown label ${JSON.stringify(k)}`);
      }
      const values = labelNames.map((l) => {
        const v = given[l];
        if (v === undefined) fail(`metric ${name}: label ${l} is missing`);
        if (typeof v !== 'string' && typeof v !== 'number')
          fail(`metric ${name}: label ${l} must be text`);
        return String(v);
      });
      return { key: JSON.stringify(values), values };
    };
    const update = (labels: LabelValues | undefined, f: (old: number) => number): void => {
      const k = key(labels);
      const cur = series.get(k.key);
      if (cur !== undefined) {
        cur.value = f(cur.value);
        return;
      }
      if (series.size >= MAX_SERIES_PER_METRIC) {
        fail(`metric ${name}: more than ${MAX_SERIES_PER_METRIC} label sets`);
      }
      series.set(k.key, { values: k.values, value: f(0) });
    };
    const number = (v: unknown, what: string): number => {
      if (typeof v !== 'number' || Number.isNaN(v))
        fail(`metric ${name}: ${what} must be a number`);
      return v;
    };
    const split = (a?: LabelValues | number, b?: number): [LabelValues | undefined, number] =>
      typeof a === 'number' ? [undefined, a] : [a, b ?? 1];
    const get = (labels?: LabelValues): number => series.get(key(labels).key)?.value ?? 0;

    let api: Counter | Gauge;
    if (kind === 'counter') {
      api = {
        name,
        inc(a?: LabelValues | number, b?: number) {
          const [labels, by] = split(a, b);
          const step = number(by, 'an increment');
          if (step < 0) fail(`counter ${name}: an increment must not be negative`);
          update(labels, (old) => old + step);
        },
        get,
      };
    } else {
      api = {
        name,
        set(a: LabelValues | number, b?: number) {
          const [labels, value] = typeof a === 'number' ? [undefined, a] : [a, b];
          const v = number(value, 'a value');
          update(labels, () => v);
        },
        inc(a?: LabelValues | number, b?: number) {
          const [labels, by] = split(a, b);
          const step = number(by, 'an increment');
          update(labels, (old) => old + step);
        },
        dec(a?: LabelValues | number, b?: number) {
          const [labels, by] = split(a, b);
          const step = number(by, 'a decrement');
          update(labels, (old) => old - step);
        },
        get,
        reset() {
          series.clear();
        },
      };
    }
    const family: Family = { name, help, kind, labelNames: [...labelNames], series, api };
    families.set(name, family);
    return family;
  };

  return {
    contentType: METRICS_CONTENT_TYPE,
    counter(name, help, labelNames = []) {
      return register('counter', name, help, labelNames).api;
    },
    gauge(name, help, labelNames = []) {
      const f = register('gauge', name, help, labelNames);
      return f.api as Gauge;
    },
    onCollect(fn) {
      collectors.push(fn);
    },
    render() {
      for (const c of collectors) {
        try {
          c();
        } catch {
          // A failing collector leaves its gauges as they were; the scrape still answers.
        }
      }
      const lines: string[] = [];
      for (const f of families.values()) {
        lines.push(`# HELP ${f.name} ${escapeHelp(f.help)}`);
        lines.push(`# TYPE ${f.name} ${f.kind}`);
        if (f.labelNames.length === 0 && f.series.size === 0) lines.push(`${f.name} 0`);
        for (const s of f.series.values()) {
          const labels =
            f.labelNames.length === 0
              ? ''
              : `{${f.labelNames.map((l, i) => `${l}="${escapeLabelValue(s.values[i] ?? '')}"`).join(',')}}`;
          lines.push(`${f.name}${labels} ${formatSampleValue(s.value)}`);
        }
      }
      return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
    },
  };
}
