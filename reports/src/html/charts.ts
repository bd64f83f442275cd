// The charts of index.html, drawn by echarts' server-side SVG renderer (no DOM, no script in
// the output). In: a Report, or a case's events and metrics. Out: inline SVG with a title, axis
// names and an aria-label: outcomes per area, slowest cases, dials by port and verdict; per case
// dials over time, a histogram per samples metric (p50/p95/p99), a line per series metric;
// lines on value axes for the benchmark (rates and latencies against the offered rate); draw()
// and the title style for the parts that draw their own (the scenario timeline, ./scenario.ts).
import * as echarts from 'echarts';
import {
  REPORT_OUTCOMES,
  type Report,
  type ReportEvent,
  type ReportMetric,
  type ReportOutcome,
} from '../schema';
import { spread } from '../evidence';
import { escapeHtml } from './escape';

/** The colour of each outcome, shared by the charts, the matrix and the table. */
export const OUTCOME_COLOURS: Readonly<Record<ReportOutcome, string>> = Object.freeze({
  pass: '#1a7f37',
  'non-strict': '#b35900',
  fail: '#cf222e',
  skip: '#6e7781',
  info: '#0969da',
});

/** The slowest-cases chart shows at most this many cases. */
export const SLOWEST = 20;

const WIDTH = 1040;
/** Charts inside a case's drill-down are smaller. */
const CASE_WIDTH = 760;
const CASE_HEIGHT = 300;
/** No quotes: echarts writes the family into a style attribute without escaping it. */
const FONT = 'system-ui, -apple-system, Roboto, sans-serif';

/** One chart's SVG, or the reason it could not be drawn. */
export type ChartResult =
  { readonly ok: true; readonly svg: string } | { readonly ok: false; readonly reason: string };

/**
 * The SVG with zrender's instance-numbered names (`zr3-cls-12`, `zr3-c0`, counted across the
 * process) renamed after the chart, in order of first use: the same report draws the same
 * page, and two charts on one page never share a name.
 */
function stableNames(svg: string, chartId: string): string {
  const names = new Map<string, string>();
  return svg.replace(/\bzr\d+-[a-z]+-?\d+\b/g, (name) => {
    let stable = names.get(name);
    if (stable === undefined) {
      stable = `${chartId}-${names.size}`;
      names.set(name, stable);
    }
    return stable;
  });
}

/**
 * The SVG made lighter for a page that never runs echarts: its `ecmeta_*` attributes (for
 * hydrating a chart in a browser) are dropped and coordinates in `d` and `transform` are
 * rounded to two decimals (a hundredth of a pixel). Texts are left exactly as drawn.
 */
function compact(svg: string): string {
  return svg
    .replace(/ ecmeta_[a-z_]+="[^"]*"/g, '')
    .replace(/ (d|transform)="([^"]*)"/g, (_, name: string, value: string) => {
      return ` ${name}="${value.replace(/(\d\.\d\d)\d+/g, '$1')}"`;
    });
}

/** Draws `option` at the given size; echarts is disposed whatever happens. */
function draw(
  chartId: string,
  option: echarts.EChartsOption,
  height: number,
  label: string,
  width: number = WIDTH,
): ChartResult {
  let chart: echarts.EChartsType | undefined;
  try {
    chart = echarts.init(null, null, { renderer: 'svg', ssr: true, width, height });
    chart.setOption(option);
    const svg = compact(stableNames(chart.renderToSVGString(), chartId));
    if (!svg.startsWith('<svg ')) return { ok: false, reason: 'echarts returned no SVG' };
    return {
      ok: true,
      svg: `<svg role="img" aria-label="${escapeHtml(label)}" ${svg.slice('<svg '.length)}`,
    };
  } catch (e) {
    return { ok: false, reason: e instanceof Error ? e.message : String(e) };
  } finally {
    chart?.dispose();
  }
}

const title = (text: string, subtext?: string): echarts.EChartsOption['title'] => ({
  text,
  left: 'center',
  textStyle: { fontSize: 16, fontFamily: FONT },
  ...(subtext !== undefined
    ? { subtext, subtextStyle: { fontSize: 12, fontFamily: FONT, color: '#57606a' } }
    : {}),
});

/** Cases per outcome in each area: one horizontal stacked bar per area. */
export function outcomesPerAreaChart(report: Report): ChartResult {
  const areas = [...report.areas].reverse(); // echarts draws the first category at the bottom
  const height = 150 + Math.max(areas.length, 1) * 34;
  const option: echarts.EChartsOption = {
    animation: false,
    title: title('Outcomes per area'),
    legend: { top: 34, data: [...REPORT_OUTCOMES], textStyle: { fontFamily: FONT } },
    grid: { left: 230, right: 40, top: 80, bottom: 50 },
    xAxis: {
      type: 'value',
      name: 'cases',
      nameLocation: 'middle',
      nameGap: 28,
      minInterval: 1,
    },
    yAxis: {
      type: 'category',
      name: 'area',
      data: areas.map((a) => `${a.title} (${a.area.toUpperCase()})`),
    },
    series: REPORT_OUTCOMES.map((o) => ({
      name: o,
      type: 'bar',
      stack: 'cases',
      barMaxWidth: 26,
      itemStyle: { color: OUTCOME_COLOURS[o] },
      label: {
        show: true,
        formatter: (p) => (typeof p.value === 'number' && p.value > 0 ? String(p.value) : ''),
      },
      data: areas.map((a) => a.counts[o]),
    })),
  };
  const label = `Outcomes per area: ${report.areas
    .map((a) => `${a.title}: ${REPORT_OUTCOMES.map((o) => `${a.counts[o]} ${o}`).join(', ')}`)
    .join('; ')}`;
  return draw('chart-outcomes', option, height, label);
}

/** The `SLOWEST` slowest cases (that ran), slowest at the top, in seconds. */
export function slowestCasesChart(report: Report): ChartResult {
  const ran = report.cases.filter((c) => c.outcome !== 'skip');
  const slowest = [...ran]
    .sort((a, b) => b.ms - a.ms || a.id.localeCompare(b.id))
    .slice(0, SLOWEST);
  const shown = [...slowest].reverse();
  const height = 130 + Math.max(shown.length, 1) * 24;
  const option: echarts.EChartsOption = {
    animation: false,
    title: title(`The ${slowest.length === SLOWEST ? `${SLOWEST} ` : ''}slowest cases`),
    grid: { left: 170, right: 70, top: 50, bottom: 50 },
    xAxis: {
      type: 'value',
      name: 'duration (seconds)',
      nameLocation: 'middle',
      nameGap: 28,
    },
    yAxis: { type: 'category', name: 'case', data: shown.map((c) => `${c.id} (${c.outcome})`) },
    series: [
      {
        name: 'duration',
        type: 'bar',
        barMaxWidth: 18,
        label: {
          show: true,
          position: 'right',
          formatter: (p) => (typeof p.value === 'number' ? `${p.value} s` : ''),
        },
        data: shown.map((c) => ({
          value: Math.round(c.ms / 10) / 100,
          itemStyle: { color: OUTCOME_COLOURS[c.outcome] },
        })),
      },
    ],
  };
  const label = `The slowest cases: ${slowest
    .map((c) => `${c.id} ${(c.ms / 1000).toFixed(1)} s (${c.outcome})`)
    .join(', ')}`;
  return draw('chart-durations', option, height, label);
}

/** The channel of the network model's dial events. */
export const DIAL_CHANNEL = 'sim:net:dial';

/** The colour of the usual dial verdicts; others take echarts' palette. */
const VERDICT_COLOURS: Readonly<Record<string, string>> = {
  accept: '#1a7f37',
  reject: '#cf222e',
  drop: '#b35900',
  'probe refused': '#8250df',
  'probe timeout': '#9a6700',
};

/** A dial event as the charts read it: its time, logical port and firewall verdict. */
export interface Dial {
  readonly atMs: number;
  readonly port: string;
  readonly verdict: string;
}

/** The channel of the reference relay's port probes (their outcome as the relay saw it). */
export const PROBE_CHANNEL = 'relay:connectivity:probe';

/**
 * The dial attempts among `events`: each connection the network model let through or stopped
 * (sim:net:dial, its firewall verdict), and each probe the relay saw fail (relay:connectivity:
 * probe, verdict "probe <diagnosis>"): a port the firewall rejects is refused before any
 * connection reaches the model, so only the prober sees those attempts.
 */
export function dialsOf(events: readonly ReportEvent[]): Dial[] {
  const out: Dial[] = [];
  for (const e of events) {
    const port = e.fields?.port;
    const portText = port === undefined || port === null ? '(no port)' : String(port);
    if (e.channel === DIAL_CHANNEL) {
      const verdict = e.fields?.verdict;
      out.push({
        atMs: e.atMs,
        port: portText,
        verdict: typeof verdict === 'string' && verdict !== '' ? verdict : 'unknown',
      });
    } else if (e.channel === PROBE_CHANNEL && e.fields?.outcome !== 'ok') {
      const why = e.fields?.diagnosis ?? e.fields?.outcome;
      out.push({
        atMs: e.atMs,
        port: portText,
        verdict: `probe ${typeof why === 'string' && why !== '' ? why : 'failed'}`,
      });
    }
  }
  return out;
}

/** Ports in numeric order (names that are not numbers after them, alphabetically). */
function portOrder(a: string, b: string): number {
  const x = Number(a);
  const y = Number(b);
  if (Number.isFinite(x) && Number.isFinite(y)) return x - y;
  if (Number.isFinite(x)) return -1;
  if (Number.isFinite(y)) return 1;
  return a.localeCompare(b);
}

/** Verdicts: accept, reject, drop first, then the others alphabetically. */
function verdictOrder(a: string, b: string): number {
  const known = Object.keys(VERDICT_COLOURS);
  const i = known.indexOf(a);
  const j = known.indexOf(b);
  if (i >= 0 || j >= 0) return (i < 0 ? known.length : i) - (j < 0 ? known.length : j);
  return a.localeCompare(b);
}

function tally(dials: readonly Dial[]): string {
  const counts = new Map<string, number>();
  for (const d of dials) {
    const k = `${d.port} ${d.verdict}`;
    counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  return [...counts].map(([k, n]) => `${k} x${n}`).join(', ');
}

/** A case's dial chart draws at most this many points (a page stays light). */
export const DIALS_DRAWN = 200;

/**
 * At most about DIALS_DRAWN of `dials`, spread evenly over each verdict in proportion to its
 * share, each verdict keeping at least 10 (or all it has): a rare reject is never thinned away.
 */
export function thinDials(dials: readonly Dial[]): Dial[] {
  if (dials.length <= DIALS_DRAWN) return [...dials];
  const verdicts = [...new Set(dials.map((d) => d.verdict))];
  return verdicts.flatMap((v) => {
    const group = dials.filter((d) => d.verdict === v);
    const quota = Math.max(
      Math.ceil((DIALS_DRAWN * group.length) / dials.length),
      Math.min(group.length, 10),
    );
    return spread(group, quota);
  });
}

/** Dial attempts over a case: a point per dial at its time and port, a series per verdict. */
export function dialsOverTimeChart(chartId: string, dials: readonly Dial[]): ChartResult {
  const ports = [...new Set(dials.map((d) => d.port))].sort(portOrder);
  const verdicts = [...new Set(dials.map((d) => d.verdict))].sort(verdictOrder);
  const drawn = thinDials(dials);
  const height = Math.min(CASE_HEIGHT + Math.max(ports.length - 4, 0) * 22, 520);
  const option: echarts.EChartsOption = {
    animation: false,
    title: title(
      'Dial attempts over time',
      drawn.length < dials.length
        ? `${drawn.length} of ${dials.length} dials drawn, spread over each verdict`
        : undefined,
    ),
    legend: { top: 36, data: verdicts, textStyle: { fontFamily: FONT } },
    grid: { left: 90, right: 30, top: 76, bottom: 50 },
    xAxis: {
      type: 'value',
      name: 'ms since the case started',
      nameLocation: 'middle',
      nameGap: 28,
      min: 0,
    },
    yAxis: { type: 'category', name: 'logical port', data: ports },
    series: verdicts.map((v) => ({
      name: v,
      type: 'scatter',
      symbolSize: 9,
      ...(VERDICT_COLOURS[v] !== undefined ? { itemStyle: { color: VERDICT_COLOURS[v] } } : {}),
      data: drawn
        .filter((d) => d.verdict === v)
        .map((d) => [Math.round(d.atMs * 10) / 10, ports.indexOf(d.port)]),
    })),
  };
  const label = `Dial attempts over time, ${dials.length} dials by port and verdict: ${tally(dials)}`;
  return draw(chartId, option, height, label, CASE_WIDTH);
}

/** Dial attempts of the whole run by logical port, stacked by verdict (no time: cases overlap). */
export function dialsByPortChart(dials: readonly Dial[]): ChartResult {
  const ports = [...new Set(dials.map((d) => d.port))].sort(portOrder).reverse();
  const verdicts = [...new Set(dials.map((d) => d.verdict))].sort(verdictOrder);
  const height = 140 + Math.max(ports.length, 1) * 30;
  const option: echarts.EChartsOption = {
    animation: false,
    title: title('Dial attempts by port and verdict'),
    legend: { top: 34, data: verdicts, textStyle: { fontFamily: FONT } },
    grid: { left: 120, right: 40, top: 80, bottom: 50 },
    xAxis: { type: 'value', name: 'dials', nameLocation: 'middle', nameGap: 28, minInterval: 1 },
    yAxis: { type: 'category', name: 'logical port', data: ports },
    series: verdicts.map((v) => ({
      name: v,
      type: 'bar',
      stack: 'dials',
      barMaxWidth: 22,
      ...(VERDICT_COLOURS[v] !== undefined ? { itemStyle: { color: VERDICT_COLOURS[v] } } : {}),
      label: {
        show: true,
        formatter: (p) => (typeof p.value === 'number' && p.value > 0 ? String(p.value) : ''),
      },
      data: ports.map((p) => dials.filter((d) => d.port === p && d.verdict === v).length),
    })),
  };
  const label = `Dial attempts of the run by port and verdict: ${tally(dials)}`;
  return draw('chart-dials', option, height, label);
}

/** The p-th percentile (nearest rank) of ascending `sorted`; NaN when empty. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(Math.max(Math.ceil((p / 100) * sorted.length), 1), sorted.length);
  return sorted[rank - 1] ?? Number.NaN;
}

/** A number for a label: at most 4 significant digits, no exponent for ordinary sizes. */
export function formatNumber(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  if (n !== 0 && (Math.abs(n) >= 1e9 || Math.abs(n) < 1e-3)) return n.toExponential(2);
  return String(Number(n.toPrecision(4)));
}

/** The step of 1, 2, 2.5 or 5 times a power of ten nearest above `raw`. */
function niceStep(raw: number): number {
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].find((m) => m * power >= raw) ?? 10;
  return step * power;
}

/** Most bins a histogram has; fewest when there is a spread. */
const MAX_BINS = 40;
const MIN_BINS = 5;

export interface Bin {
  /** [from, to): the last bin includes its upper edge. */
  readonly from: number;
  readonly to: number;
  readonly count: number;
}

/**
 * Histogram bins of `values`: the Freedman-Diaconis width (2 IQR / cbrt n), rounded up to a
 * 1-2-2.5-5 step, within 5..40 bins; one bin when every value is the same.
 */
export function histogram(values: readonly number[]): Bin[] {
  const sorted = [...values].sort((a, b) => a - b);
  const lo = sorted[0];
  const hi = sorted[sorted.length - 1];
  if (lo === undefined || hi === undefined) return [];
  const range = hi - lo;
  const one = [{ from: lo, to: hi, count: sorted.length }];
  if (!(range > 0 && Number.isFinite(range))) return one;
  const iqr = percentile(sorted, 75) - percentile(sorted, 25);
  const fd = iqr > 0 ? (2 * iqr) / Math.cbrt(sorted.length) : range / MIN_BINS;
  let step = niceStep(Math.min(Math.max(fd, range / MAX_BINS), range / MIN_BINS));
  // (lo / step can underflow to 0 for a tiny negative lo: the start must not pass it)
  const startOf = (w: number): number => {
    const at = Math.floor(lo / w) * w;
    return at > lo ? at - w : at;
  };
  let start = startOf(step);
  // rounding the step and the start can add a bin or two: widen until the bound holds
  for (let i = 0; i < 8 && Math.floor((hi - start) / step) + 1 > MAX_BINS; i++) {
    step = niceStep(step * 1.01);
    start = startOf(step);
  }
  const n = Math.ceil((hi - start) / step);
  if (!(step > 0) || !Number.isFinite(start) || !(n >= 1 && n <= MAX_BINS + 2)) return one;
  const counts = new Array<number>(n).fill(0);
  for (const v of sorted) {
    const i = Math.min(Math.max(Math.floor((v - start) / step), 0), n - 1);
    counts[i] = (counts[i] ?? 0) + 1;
  }
  // the outer edges hold lo and hi even where floating point rounds an edge past them
  return counts.map((count, i) => ({
    from: i === 0 ? Math.min(start, lo) : start + i * step,
    to: i === n - 1 ? Math.max(start + n * step, hi) : start + (i + 1) * step,
    count,
  }));
}

/** The summary of a samples metric: count, min, p50, p95, p99, max. */
export interface SampleStats {
  readonly n: number;
  readonly min: number;
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
  readonly max: number;
}

export function sampleStats(values: readonly number[]): SampleStats {
  const sorted = [...values].sort((a, b) => a - b);
  return {
    n: sorted.length,
    min: sorted[0] ?? Number.NaN,
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
    max: sorted[sorted.length - 1] ?? Number.NaN,
  };
}

/** The percentiles of a samples metric in words: `n=120, p50 12 ms, p95 30 ms, p99 41 ms`. */
export function percentilesText(stats: SampleStats, unit: string): string {
  const u = unit === '' ? '' : ` ${unit}`;
  return `n=${stats.n}, p50 ${formatNumber(stats.p50)}${u}, p95 ${formatNumber(stats.p95)}${u}, p99 ${formatNumber(stats.p99)}${u}`;
}

/** A histogram of a `samples` metric, its percentiles under the title. */
export function samplesChart(
  chartId: string,
  metric: Extract<ReportMetric, { kind: 'samples' }>,
): ChartResult {
  const bins = histogram(metric.values);
  const stats = sampleStats(metric.values);
  const unit = metric.unit === '' ? 'value' : metric.unit;
  const option: echarts.EChartsOption = {
    animation: false,
    title: title(metric.name, percentilesText(stats, metric.unit)),
    grid: { left: 70, right: 30, top: 70, bottom: 60 },
    xAxis: {
      type: 'category',
      name: unit,
      nameLocation: 'middle',
      nameGap: 34,
      data: bins.map((b) => `${formatNumber(b.from)}–${formatNumber(b.to)}`),
      axisLabel: { hideOverlap: true },
    },
    yAxis: { type: 'value', name: 'count', minInterval: 1 },
    series: [
      {
        name: 'count',
        type: 'bar',
        barCategoryGap: '8%',
        itemStyle: { color: '#0969da' },
        data: bins.map((b) => b.count),
      },
    ],
  };
  const label = `Histogram of ${metric.name} (${unit}): ${percentilesText(stats, metric.unit)}, min ${formatNumber(stats.min)}, max ${formatNumber(stats.max)}`;
  return draw(chartId, option, CASE_HEIGHT, label, CASE_WIDTH);
}

/** A line of a `series` metric: x in ms, y in its unit. */
export function seriesChart(
  chartId: string,
  metric: Extract<ReportMetric, { kind: 'series' }>,
): ChartResult {
  const ys = metric.points.map((p) => p[1]);
  const unit = metric.unit === '' ? 'value' : metric.unit;
  const range =
    ys.length === 0
      ? 'no points'
      : `${ys.length} points, ${formatNumber(Math.min(...ys))} to ${formatNumber(Math.max(...ys))} ${unit}`;
  const option: echarts.EChartsOption = {
    animation: false,
    title: title(metric.name, range),
    grid: { left: 70, right: 30, top: 70, bottom: 50 },
    xAxis: { type: 'value', name: 'ms', nameLocation: 'middle', nameGap: 28 },
    yAxis: { type: 'value', name: unit },
    series: [
      {
        name: metric.name,
        type: 'line',
        showSymbol: metric.points.length <= 60,
        sampling: 'lttb',
        lineStyle: { width: 2, color: '#0969da' },
        itemStyle: { color: '#0969da' },
        data: metric.points.map((p) => [p[0], p[1]]),
      },
    ],
  };
  return draw(chartId, option, CASE_HEIGHT, `${metric.name} over time (ms): ${range}`, CASE_WIDTH);
}

/** One line of a lines chart: [x, y] points in order of x. */
export interface ChartLine {
  readonly name: string;
  readonly points: readonly (readonly [number, number])[];
  readonly colour: string;
  /** A reference line (e.g. y = x), drawn dashed without points. */
  readonly reference?: boolean;
}

/** A chart of lines on value axes: what, on which axes, and its text for screen readers. */
export interface LinesChartSpec {
  readonly title: string;
  readonly subtitle?: string;
  readonly xName: string;
  readonly yName: string;
  /** The end of the x axis (default: echarts' choice from the points). */
  readonly xMax?: number;
  /** A log10 y axis (every y must then be above 0). */
  readonly logY?: boolean;
  readonly lines: readonly ChartLine[];
  /** The chart's aria-label: the figures in words. */
  readonly label: string;
}

/** Lines on value axes with a legend, e.g. achieved against offered rate for several paths. */
export function linesChart(chartId: string, spec: LinesChartSpec): ChartResult {
  const option: echarts.EChartsOption = {
    animation: false,
    title: title(spec.title, spec.subtitle),
    legend: {
      top: spec.subtitle === undefined ? 32 : 56,
      data: spec.lines.map((l) => l.name),
      textStyle: { fontFamily: FONT },
    },
    grid: { left: 80, right: 30, top: spec.subtitle === undefined ? 72 : 96, bottom: 56 },
    xAxis: {
      type: 'value',
      name: spec.xName,
      nameLocation: 'middle',
      nameGap: 30,
      min: 0,
      ...(spec.xMax !== undefined ? { max: spec.xMax } : {}),
    },
    yAxis:
      spec.logY === true
        ? { type: 'log', logBase: 10, name: spec.yName }
        : { type: 'value', name: spec.yName, min: 0 },
    series: spec.lines.map((l) => ({
      name: l.name,
      type: 'line',
      showSymbol: l.reference !== true && l.points.length <= 60,
      symbolSize: 7,
      lineStyle: { width: 2, color: l.colour, type: l.reference === true ? 'dashed' : 'solid' },
      itemStyle: { color: l.colour },
      data: l.points.map((p) => [p[0], p[1]]),
    })),
  };
  return draw(chartId, option, CASE_HEIGHT + 40, spec.label, CASE_WIDTH);
}

/** For the parts of the page that draw their own charts (./scenario.ts). */
export { draw as drawChart, title as chartTitle, FONT as CHART_FONT, WIDTH as CHART_WIDTH };
