// The benchmark part of index.html. In: a Report with a `bench` section (../bench.ts). Out:
// HTML: a banner that says no conformance case ran (never a go-live verdict), and the section
// "Benchmark": the profile with its exact limits, the machine, the notes, Azure's ceilings, the
// relay's resource figures, and per workload a throughput chart (achieved against offered rate
// for the relay and each baseline, with the offered y = x line), a latency chart (p50/p95/p99
// against offered rate), the steps, the baseline ratios, the zero-loss line and the targets.
// Charts are echarts SVG drawn here (./charts.ts); every text is escaped. Pure.
import {
  allTargets,
  limitFacts,
  numberText,
  ratioText,
  resourceFacts,
  saturationText,
  targetStatus,
  targetTally,
  zeroLossText,
  type BenchBaselineName,
  type BenchSection,
  type BenchStep,
  type BenchTarget,
  type BenchWorkload,
  type TargetStatus,
} from '../bench';
import type { Report } from '../schema';
import { linesChart, type ChartLine, type ChartResult } from './charts';
import { escapeHtml as h } from './escape';

/** The few rules the benchmark part adds to the page's style sheet. */
export const BENCH_STYLE = `
.banner.bench { border-color: var(--info); background: #ddf4ff; }
.bench-charts figure { margin: 8px 0 16px; max-width: 760px; }
article.workload { border: 1px solid var(--line); border-radius: 6px; margin: 14px 0; padding: 0 14px 10px; }
article.workload h3 { font-size: 1.15em; }
table.bench td.num { white-space: nowrap; }
`;

/** The colour of each line: the relay, each baseline, and the percentiles. */
const RELAY_COLOUR = '#0969da';
const BASELINE_COLOURS: Readonly<Record<BenchBaselineName, string>> = {
  direct: '#1a7f37',
  'hyco-https': '#8250df',
};
const OFFERED_COLOUR = '#6e7781';
const PERCENTILE_COLOURS = { p50: '#1a7f37', p95: '#b35900', p99: '#cf222e' } as const;

/** A latency chart turns to a log axis when the slowest point is this many times the fastest. */
const LOG_RANGE = 20;

/** Each target state as the outcome class whose colour it takes (the word is always shown). */
const STATUS_CLASS: Readonly<Record<TargetStatus, string>> = {
  met: 'pass',
  missed: 'fail',
  'not measured': 'skip',
};

/** A workload's anchor and chart ids: `bench-w0`, `chart-bench-w0-throughput`. */
export function workloadAnchor(index: number): string {
  return `bench-w${index}`;
}

function badge(cls: string, word: string): string {
  return `<span class="outcome ${h(cls)}">${h(word)}</span>`;
}

function facts(pairs: readonly (readonly [string, string])[]): string {
  return `<dl class="facts">${pairs.map(([k, v]) => `<dt>${h(k)}</dt><dd>${h(v)}</dd>`).join('')}</dl>`;
}

function figure(id: string, chart: ChartResult, caption: string): string {
  const body = chart.ok
    ? chart.svg
    : `<p class="note">This chart could not be drawn: ${h(chart.reason)}</p>`;
  return `<figure id="${h(id)}">${body}<figcaption>${h(caption)}</figcaption></figure>`;
}

const cell = (text: string): string => `<td class="num">${h(text)}</td>`;
const ms = (v: number | null): string => (v === null ? '—' : numberText(v));

/** The steps of a path (the relay or a baseline) as a table. */
function stepsTable(steps: readonly BenchStep[], caption: string): string {
  const head = [
    'offered /s',
    'achieved /s',
    'MB/s',
    'p50 ms',
    'p95 ms',
    'p99 ms',
    'errors',
    'shed',
  ];
  let html = `<table class="bench steps"><caption>${h(caption)}</caption><thead><tr>`;
  html += head.map((c) => `<th scope="col" class="num">${h(c)}</th>`).join('');
  html += '<th scope="col">saturated</th></tr></thead><tbody>';
  for (const s of steps) {
    html +=
      '<tr>' +
      [
        numberText(s.offeredPerSecond),
        numberText(s.achievedPerSecond),
        numberText(s.mbPerSecond),
        ms(s.p50Ms),
        ms(s.p95Ms),
        ms(s.p99Ms),
        numberText(s.errors),
        numberText(s.shed),
      ]
        .map(cell)
        .join('') +
      `<td>${s.saturated ? badge('non-strict', 'saturated') : 'no'}</td></tr>`;
  }
  return `${html}</tbody></table>`;
}

function points(
  steps: readonly BenchStep[],
  y: (s: BenchStep) => number | null,
): [number, number][] {
  const out: [number, number][] = [];
  for (const s of steps) {
    const v = y(s);
    if (v !== null) out.push([s.offeredPerSecond, v]);
  }
  return out;
}

function pairsText(list: readonly (readonly [number, number])[]): string {
  return list.map(([x, y]) => `${numberText(x)} → ${numberText(y)}`).join(', ');
}

/** The highest rate offered to any path of a workload: both charts' x axes end there. */
function topOffered(w: BenchWorkload): number {
  const offered = [w.steps, ...w.baselines.map((b) => b.steps)].flatMap((steps) =>
    steps.map((s) => s.offeredPerSecond),
  );
  return Math.max(0, ...offered);
}

/** Achieved against offered rate: the relay, each baseline, and the offered y = x line. */
function throughputFigure(w: BenchWorkload, index: number): string {
  const id = `chart-${workloadAnchor(index)}-throughput`;
  const top = topOffered(w);
  const lines: ChartLine[] = [
    { name: 'relay', points: points(w.steps, (s) => s.achievedPerSecond), colour: RELAY_COLOUR },
    ...w.baselines.map((b) => ({
      name: b.name,
      points: points(b.steps, (s) => s.achievedPerSecond),
      colour: BASELINE_COLOURS[b.name],
    })),
    {
      name: 'offered (y = x)',
      points: [
        [0, 0],
        [top, top],
      ],
      colour: OFFERED_COLOUR,
      reference: true,
    },
  ];
  const subtitle = [
    `relay sustained ${numberText(w.sustainedPerSecond)}/s`,
    ...w.baselines.map(
      (b) => `${b.name} ${numberText(b.sustainedPerSecond)}/s (relay ${ratioText(b.ratio)} of it)`,
    ),
  ].join('; ');
  const label =
    `Achieved against offered rate per second for ${w.name}: ` +
    lines
      .filter((l) => l.reference !== true)
      .map((l) => `${l.name} ${pairsText(l.points)}`)
      .join('; ');
  const chart = linesChart(id, {
    title: `${w.name}: throughput`,
    subtitle,
    xName: 'offered per second',
    yName: 'achieved per second',
    ...(top > 0 ? { xMax: top } : {}),
    lines,
    label,
  });
  return figure(
    id,
    chart,
    `What each path achieved (answers per second within the step) at each offered rate: the relay${w.baselines.length > 0 ? `, ${w.baselines.map((b) => b.name).join(' and ')}` : ''}; the dashed line is the offered rate itself, so a point below it fell behind.`,
  );
}

/** p50/p95/p99 through the relay against offered rate (log axis when they span a lot). */
function latencyFigure(w: BenchWorkload, index: number): string {
  const id = `chart-${workloadAnchor(index)}-latency`;
  const lines: ChartLine[] = (['p50', 'p95', 'p99'] as const).map((p) => ({
    name: p,
    points: points(w.steps, (s) => s[`${p}Ms`]),
    colour: PERCENTILE_COLOURS[p],
  }));
  const ys = lines.flatMap((l) => l.points.map((pt) => pt[1]));
  if (ys.length === 0) {
    return `<figure id="${h(id)}"><p class="note">No request of ${h(w.name)} completed, so there is no latency to draw.</p></figure>`;
  }
  const least = Math.min(...ys);
  const logY = least > 0 && Math.max(...ys) / least >= LOG_RANGE;
  const label =
    `Latency through the relay against offered rate per second for ${w.name}, in ms: ` +
    lines.map((l) => `${l.name} ${pairsText(l.points)}`).join('; ');
  const chart = linesChart(id, {
    title: `${w.name}: latency through the relay`,
    subtitle: logY ? 'log scale' : undefined,
    xName: 'offered per second',
    yName: 'ms',
    ...(topOffered(w) > 0 ? { xMax: topOffered(w) } : {}),
    logY,
    lines,
    label,
  });
  return figure(
    id,
    chart,
    `End-to-end latency (tenant send to answer) through the relay at each offered rate: the median (p50), p95 and p99, in ms${logY ? ' on a log scale' : ''}; steps where nothing completed have no point.`,
  );
}

function baselinesPart(w: BenchWorkload): string {
  if (w.baselines.length === 0) {
    return '<p class="note">No baseline was run for this workload, so there is no ratio.</p>';
  }
  let html =
    '<table class="bench baselines"><caption>The same workload at the same offered rates without the relay, and the relay’s sustained rate as a share of each.</caption>' +
    '<thead><tr><th scope="col">baseline</th><th scope="col">what it is</th><th scope="col" class="num">sustained /s</th><th scope="col" class="num">relay / baseline</th><th scope="col">saturation</th></tr></thead><tbody>';
  for (const b of w.baselines) {
    html +=
      `<tr><td>${h(b.name)}</td><td>${h(b.description)}</td>${cell(numberText(b.sustainedPerSecond))}` +
      `${cell(ratioText(b.ratio))}<td>${h(saturationText(b.steps))}</td></tr>`;
  }
  html += '</tbody></table>';
  for (const b of w.baselines) {
    html += `<details class="more"><summary>${h(`The steps of ${b.name}`)}</summary>${stepsTable(b.steps, `${w.name} through ${b.name}: each offered rate.`)}</details>`;
  }
  return html;
}

function targetsTable(targets: readonly BenchTarget[], caption: string): string {
  let html =
    `<table class="bench targets"><caption>${h(caption)}</caption>` +
    '<thead><tr><th scope="col">what</th><th scope="col">target</th><th scope="col">measured</th><th scope="col">status</th></tr></thead><tbody>';
  for (const t of targets) {
    const status = targetStatus(t);
    html += `<tr><td>${h(t.what)}</td><td>${h(t.target)}</td><td>${h(t.measured)}</td><td>${badge(STATUS_CLASS[status], status)}</td></tr>`;
  }
  return `${html}</tbody></table>`;
}

function targetsPart(w: BenchWorkload): string {
  if (w.targets.length === 0) return '<p class="note">No target is stated for this workload.</p>';
  return targetsTable(w.targets, 'The targets of this workload beside what was measured.');
}

function workloadPart(w: BenchWorkload, index: number): string {
  let html = `<article class="workload" id="${h(workloadAnchor(index))}" aria-labelledby="${h(workloadAnchor(index))}-title">`;
  html += `<h3 id="${h(workloadAnchor(index))}-title">Workload ${h(w.name)}</h3>`;
  html += `<p>${h(w.description)}</p>`;
  html += facts([
    ['unit', `${numberText(w.unitBytes)} bytes a request or answer`],
    [
      'sustained through the relay',
      `${numberText(w.sustainedPerSecond)}/s (${numberText(w.sustainedMBPerSecond)} MB/s); ${saturationText(w.steps)}`,
    ],
    ...w.baselines.map((b): [string, string] => [
      `relay / ${b.name}`,
      `${ratioText(b.ratio)} (${b.name} sustained ${numberText(b.sustainedPerSecond)}/s)`,
    ]),
    ['zero loss', zeroLossText(w.zeroLoss)],
    [
      'relay RSS growth',
      w.rssGrowthMiB === null ? 'not measured' : `${numberText(w.rssGrowthMiB)} MiB`,
    ],
    ...(w.relayCpuMsPerRequest === undefined
      ? []
      : [
          [
            'relay CPU per request',
            w.relayCpuMsPerRequest === null
              ? 'not measured'
              : `${numberText(w.relayCpuMsPerRequest)} ms`,
          ] as [string, string],
        ]),
  ]);
  html += `<div class="bench-charts">${throughputFigure(w, index)}${latencyFigure(w, index)}</div>`;
  html += '<h4>Steps through the relay</h4>';
  html += stepsTable(
    w.steps,
    'Each offered rate through the relay: what was achieved, the latency percentiles, errors, requests shed at the in-flight bound, and whether the step saturated (the steps stop after the first that did).',
  );
  html += '<h4>Baselines</h4>';
  html += baselinesPart(w);
  html += '<h4>Targets</h4>';
  html += targetsPart(w);
  if (w.errorSamples.length > 0) {
    html += '<h4>Errors seen (the first few)</h4><ul class="failures">';
    for (const e of w.errorSamples) html += `<li><pre>${h(e)}</pre></li>`;
    html += '</ul>';
  }
  return `${html}</article>`;
}

/** The banner of a benchmark page: what the run was, and that it judges no case. */
export function benchBanner(report: Report, bench: BenchSection): string {
  const tally = targetTally(allTargets(bench));
  const total = tally.met + tally.missed + tally['not measured'];
  let html = '<section id="verdict" class="banner bench" aria-labelledby="verdict-title">';
  html += '<h2 id="verdict-title" class="verdict">Benchmark</h2>';
  html += `<p class="headline">${h(report.verdict.headline)}</p>`;
  html +=
    '<p>This page has no go-live verdict: a benchmark measures, nothing in it passes or fails on time. ' +
    h(
      `${bench.workloads.length} ${bench.workloads.length === 1 ? 'workload' : 'workloads'} on profile ${bench.profile.name}`,
    ) +
    (total === 0
      ? '; no target is stated.'
      : `; targets: ${badge('pass', `${tally.met} met`)} ${badge('fail', `${tally.missed} missed`)} ${badge('skip', `${tally['not measured']} not measured`)}.`) +
    '</p>';
  if (bench.relay.killed) {
    html += '<p><strong>The relay died during the run</strong>: see its resources below.</p>';
  }
  return `${html}</section>`;
}

/** The "Benchmark" section: setup and limits, notes, ceilings, resources, then each workload. */
export function benchSection(bench: BenchSection): string {
  let html = '<section id="bench" aria-labelledby="bench-title">';
  html += '<h2 id="bench-title">Benchmark</h2>';
  html += `<p>The reference relay confined to profile <strong>${h(bench.profile.name)}</strong> under stepped offered rates; each step’s figures are ${bench.repeats > 1 ? `the median of ${bench.repeats} runs` : 'from one run'}.</p>`;
  html += '<h3 id="bench-limits">Profile and limits</h3>';
  html += facts([
    ...limitFacts(bench),
    ['command', bench.command],
    ['started', bench.startedAt],
    ['finished', bench.finishedAt],
  ]);
  if (bench.notes.length > 0) {
    html += '<h3>Notes</h3><ul class="notes">';
    for (const n of bench.notes) html += `<li>${h(n)}</li>`;
    html += '</ul>';
  }
  html += '<h3>Azure’s own ceilings</h3>';
  html +=
    bench.ceilings.length === 0
      ? '<p class="note">None recorded.</p>'
      : '<table class="bench ceilings"><caption>What Azure itself allows, to read the figures against.</caption>' +
        '<thead><tr><th scope="col">ceiling</th><th scope="col" class="num">value</th><th scope="col">unit</th></tr></thead><tbody>' +
        bench.ceilings
          .map(
            (c) =>
              `<tr><td>${h(c.name)}</td>${cell(numberText(c.value))}<td>${h(c.unit)}</td></tr>`,
          )
          .join('') +
        '</tbody></table>';
  html += '<h3>What the relay used</h3>';
  html += facts(resourceFacts(bench.relay));
  if (bench.targets !== undefined && bench.targets.length > 0) {
    html += '<h3>Targets of the whole run</h3>';
    html += targetsTable(bench.targets, 'The run’s own targets beside what was measured.');
  }
  html += '<nav aria-label="Workloads"><ul>';
  bench.workloads.forEach((w, i) => {
    html += `<li><a href="#${h(workloadAnchor(i))}">${h(w.name)}</a></li>`;
  });
  html += '</ul></nav>';
  if (bench.workloads.length === 0) html += '<p class="note">No workload ran.</p>';
  bench.workloads.forEach((w, i) => {
    html += workloadPart(w, i);
  });
  return `${html}</section>`;
}
