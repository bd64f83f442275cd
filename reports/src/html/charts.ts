// The charts of index.html, drawn by echarts' server-side SVG renderer (no DOM, no script in
// the output). In: a Report. Out: SVG markup to inline: outcomes per area (stacked bars) and
// the slowest cases (bars), each with a title, axis names and an accessible label. Every text
// echarts writes into the SVG is escaped by echarts itself; the label added here by escapeHtml.
import * as echarts from 'echarts';
import { REPORT_OUTCOMES, type Report, type ReportOutcome } from '../schema';
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

/** Draws `option` at the given size; echarts is disposed whatever happens. */
function draw(
  chartId: string,
  option: echarts.EChartsOption,
  height: number,
  label: string,
): ChartResult {
  let chart: echarts.EChartsType | undefined;
  try {
    chart = echarts.init(null, null, { renderer: 'svg', ssr: true, width: WIDTH, height });
    chart.setOption(option);
    const svg = stableNames(chart.renderToSVGString(), chartId);
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

const title = (text: string): echarts.EChartsOption['title'] => ({
  text,
  left: 'center',
  textStyle: { fontSize: 16, fontFamily: FONT },
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
