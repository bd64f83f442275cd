// Renders a report as Markdown for a ticket, a pull request or a CI job summary. In: a Report.
// Out: summary.md: the verdict headline, areas by outcome, the failed, non-strict and skipped
// cases with reasons (and a line per failed assertion: expected, observed), the security section
// (the attacks by group, the antivirus facts, a row per attack with its verdict and evidence),
// the run and the environment. A benchmark report (with `bench`, no cases) gets its own summary instead: the
// profile and its limits, per workload the sustained rate, baseline ratios, zero loss and
// targets met or missed, the relay's resources. Test-output text is escaped so pipes and
// newlines cannot break a table. Pure.
import {
  allTargets,
  limitFacts,
  numberText,
  ratioText,
  resourceFacts,
  targetStatus,
  tallyText,
  targetTally,
  zeroLossText,
  type BenchSection,
} from './bench';
import {
  notableOf,
  runFacts,
  scenarioSeconds,
  scenarioVerdictWords,
  sequenceFacts,
  tallyRows,
  type ScenarioSection,
} from './scenario';
import { SECURITY_VERDICTS, antivirusFacts, securityTally, type SecuritySection } from './security';
import {
  REPORT_OUTCOMES,
  type OutcomeCounts,
  type Report,
  type ReportCase,
  type ReportEnvironment,
} from './schema';

/** A reason in the summary keeps at most this many characters. */
const MAX_CELL = 600;
/** An expected or observed value in a failed-assertion line keeps at most this many. */
const MAX_VALUE = 200;
/** Failed assertions listed per case; the rest are counted. */
const MAX_FAILED_LINES = 10;

/** Characters that Markdown (GitHub flavoured) or the HTML inside it would interpret. */
const MD_ESCAPES: Readonly<Record<string, string>> = {
  '\\': '\\\\',
  '|': '\\|',
  '`': '\\`',
  '*': '\\*',
  _: '\\_',
  '[': '\\[',
  ']': '\\]',
  '#': '\\#',
  '~': '\\~',
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
};

/**
 * `text` made safe inside a Markdown table cell or paragraph: markup escaped, line breaks as
 * <br>, other control characters written as \uXXXX.
 */
export function mdText(text: string): string {
  let out = '';
  for (const ch of text.replace(/\r\n?/g, '\n')) {
    const cp = ch.codePointAt(0) ?? 0;
    if (ch === '\n') out += '<br>';
    else if (cp < 0x20 || cp === 0x7f || (cp >= 0xd800 && cp <= 0xdfff)) {
      out += `\\\\u${cp.toString(16).padStart(4, '0')}`;
    } else out += MD_ESCAPES[ch] ?? ch;
  }
  return out;
}

function clip(text: string, max = MAX_CELL): string {
  return text.length > max ? `${text.slice(0, max)}...` : text;
}

function row(cells: readonly string[]): string {
  return `| ${cells.join(' | ')} |\n`;
}

function countCells(c: OutcomeCounts): string[] {
  return [...REPORT_OUTCOMES.map((o) => String(c[o])), String(c.total)];
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

/** Why a case is listed: its reason, else its failed assertions. */
function why(c: ReportCase): string {
  const text = c.reason ?? (c.evidence.failures.join('\n') || '(no reason recorded)');
  return mdText(clip(text));
}

function caseSection(title: string, intro: string, cases: readonly ReportCase[]): string {
  if (cases.length === 0) return '';
  let md = `## ${title} (${cases.length})\n\n${intro}\n\n`;
  md += row(['case', 'level', 'title', 'reason']);
  md += row(['---', '---', '---', '---']);
  for (const c of cases) md += row([c.id, c.level, mdText(c.title), why(c)]);
  md += '\n';
  const lines = cases.flatMap(failedAssertionLines);
  if (lines.length > 0) md += `Expected and observed, per failed assertion:\n\n${lines.join('')}\n`;
  return md;
}

/** One list line per failed assertion of `c` with its expected and observed values, clipped. */
function failedAssertionLines(c: ReportCase): string[] {
  const failed = (c.evidence.assertions ?? []).filter((a) => !a.ok);
  const lines = failed.slice(0, MAX_FAILED_LINES).map((a) => {
    const parts = [
      ...(a.expected !== undefined ? [`expected: ${mdText(clip(a.expected, MAX_VALUE))}`] : []),
      ...(a.observed !== undefined ? [`observed: ${mdText(clip(a.observed, MAX_VALUE))}`] : []),
      ...(a.expected === undefined && a.observed === undefined && a.diag !== undefined
        ? [mdText(clip(a.diag, MAX_VALUE))]
        : []),
      ...(a.at !== undefined ? [`at ${mdText(clip(a.at, MAX_VALUE))}`] : []),
    ];
    const name = mdText(clip(a.name, MAX_VALUE));
    return `- **${c.id}** ${name}${parts.length > 0 ? `: ${parts.join('; ')}` : ''}\n`;
  });
  if (failed.length > MAX_FAILED_LINES) {
    lines.push(
      `- **${c.id}** and ${failed.length - MAX_FAILED_LINES} more failed assertions (index.html has them)\n`,
    );
  }
  return lines;
}

/** A security row's evidence in one cell: why, expected, observed, the telling lines. */
function attackEvidence(r: SecuritySection['rows'][number]): string {
  const parts = [
    ...(r.reason !== null ? [`why: ${clip(r.reason, MAX_VALUE)}`] : []),
    ...(r.expected !== null ? [`expected: ${clip(r.expected, MAX_VALUE)}`] : []),
    ...(r.observed !== null ? [`observed: ${clip(r.observed, MAX_VALUE)}`] : []),
    ...r.evidence.map((line) => clip(line, MAX_VALUE)),
  ];
  return parts.length === 0 ? '—' : mdText(parts.join('\n'));
}

/** The security section: the tally, the groups, the antivirus facts, a row per attack. */
function securityPart(section: SecuritySection): string {
  let md = '## Security\n\n';
  md += `${mdText(securityTally(section.counts))}. Each attack is a case: **refused** means the relay refused it as required (the case passed).\n\n`;
  md += row(['group', 'attacks']) + row(['---', '---']);
  for (const g of section.groups) md += row([mdText(g.title), mdText(securityTally(g.counts))]);
  md += '\n';
  if (section.antivirus !== undefined) {
    md += 'Antivirus:\n\n';
    md += factTable(antivirusFacts(section.antivirus));
    md += '\n';
  }
  md += row(['group', 'case', 'attack', 'verdict', 'evidence']);
  md += row(['---', '---', '---', '---', '---']);
  for (const r of section.rows) {
    const verdict = SECURITY_VERDICTS[r.outcome];
    md += row([
      mdText(r.group),
      r.id,
      mdText(r.attack),
      r.outcome === 'fail' || r.outcome === 'non-strict' ? `**${verdict}**` : verdict,
      attackEvidence(r),
    ]);
  }
  return `${md}\n`;
}

/** A two-column table of facts. */
function factTable(pairs: readonly (readonly [string, string])[]): string {
  let md = row(['', '']) + row(['---', '---']);
  for (const [k, v] of pairs) md += row([mdText(k), mdText(v)]);
  return md;
}

function environmentSection(env: ReportEnvironment): string {
  let md = '\n## Environment\n\n';
  md += row(['', '']);
  md += row(['---', '---']);
  md += row(['relaycheck', mdText(env.relaycheck)]);
  md += row(['node', mdText(env.node)]);
  md += row(['platform', mdText(`${env.platform} ${env.arch}`)]);
  md += row(['cpus', mdText(`${env.cpus.count} x ${env.cpus.model}`)]);
  md += row(['memory', `${env.memoryMiB} MiB`]);
  if (env.hostname !== undefined) md += row(['host', mdText(env.hostname)]);
  return md;
}

/** A benchmark report as Markdown: no case tables, the figures and targets instead. */
function benchSummary(report: Report, bench: BenchSection): string {
  const { run, verdict } = report;
  const tally = targetTally(allTargets(bench));
  let md = `# ${mdText(verdict.headline)}\n\n`;
  md +=
    `relaycheck benchmark run \`${run.id.replace(/`/g, "'")}\`: ${bench.workloads.length} ` +
    `${bench.workloads.length === 1 ? 'workload' : 'workloads'} on profile ${mdText(bench.profile.name)}, ` +
    `${seconds(run.durationMs)}, started ${run.startedAt}. ` +
    'No conformance case ran, so there is no go-live verdict; nothing passes or fails on time. ' +
    `Targets: ${tally.met} met, ${tally.missed} missed, ${tally['not measured']} not measured.\n\n`;

  md += '## Profile and limits\n\n';
  md += factTable(limitFacts(bench));
  md += '\n';
  if (bench.notes.length > 0) {
    md += 'Notes:\n\n';
    for (const n of bench.notes) md += `- ${mdText(clip(n))}\n`;
    md += '\n';
  }

  md += '## Workloads\n\n';
  md += row(['workload', 'sustained /s', 'MB/s', 'relay / baseline', 'zero loss', 'targets']);
  md += row(['---', '---:', '---:', '---', '---', '---']);
  for (const w of bench.workloads) {
    const ratios = w.baselines.map((b) => `${b.name} ${ratioText(b.ratio)}`).join('; ');
    md += row([
      mdText(w.name),
      numberText(w.sustainedPerSecond),
      numberText(w.sustainedMBPerSecond),
      mdText(ratios === '' ? 'no baseline' : ratios),
      mdText(zeroLossText(w.zeroLoss)),
      tallyText(w.targets),
    ]);
  }
  md += '\n';

  const targets = [
    ...bench.workloads.flatMap((w) => w.targets.map((t) => ({ where: w.name, t }))),
    ...(bench.targets ?? []).map((t) => ({ where: '(the whole run)', t })),
  ];
  if (targets.length > 0) {
    md += '## Targets\n\n';
    md += row(['workload', 'what', 'target', 'measured', 'status']);
    md += row(['---', '---', '---', '---', '---']);
    for (const { where, t } of targets) {
      const status = targetStatus(t);
      md += row([
        mdText(where),
        mdText(t.what),
        mdText(t.target),
        mdText(t.measured),
        status === 'missed' ? '**missed**' : status,
      ]);
    }
    md += '\n';
  }

  md += '## What the relay used\n\n';
  md += factTable(resourceFacts(bench.relay));
  if (bench.ceilings.length > 0) {
    md += "\nAzure's own ceilings, to read the figures against: ";
    md += bench.ceilings
      .map((c) => mdText(`${c.name} ${numberText(c.value)} ${c.unit}`.trim()))
      .join('; ');
    md += '.\n';
  }

  md += '\n## Run\n\n';
  md += factTable([
    ['command', run.command],
    ['started', bench.startedAt],
    ['finished', bench.finishedAt],
  ]);
  md +=
    '\nindex.html beside this file has the charts (throughput and latency against the offered rate) and every step.\n';
  return md + environmentSection(report.environment);
}

/** Notable timeline lines summary.md lists at most (timeline.txt and index.html have more). */
export const SCENARIO_LINES = 200;

/** A fault reproduction's report as Markdown: the verdicts and the notable timeline. */
function scenarioSummary(report: Report, s: ScenarioSection): string {
  const { run, verdict } = report;
  const passed = s.verdicts.filter((v) => v.pass).length;
  let md = `# ${mdText(verdict.headline)}\n\n`;
  md +=
    `relaycheck fault reproduction \`${run.id.replace(/`/g, "'")}\`: scenario ${mdText(s.scenario.name)} ` +
    `(${s.scenario.case}), ${mdText(s.scenario.title)}. **${scenarioVerdictWords(s)}**: ` +
    `${passed} of ${s.verdicts.length} expectations held over ${scenarioSeconds(s.scenarioMs)} of scenario time ` +
    `(${scenarioSeconds(s.wallMs)} on the clock). ` +
    `${verdict.ready ? 'The run passes (exit code 0).' : 'The run fails (exit code 1).'}\n\n`;
  md += `Symptom: ${mdText(s.scenario.symptom.replace(/\s+/g, ' ').trim())}\n\n`;
  if (s.scenario.description.trim() !== '') {
    md += `${mdText(s.scenario.description.replace(/\s+/g, ' ').trim())}\n\n`;
  }
  if (!s.settled) {
    md += '**The run did not settle** within its bound: the verdicts were taken anyway.\n\n';
  }

  md += '## Verdicts\n\n';
  md += row(['result', 'expectation', 'expected', 'observed', 'check']);
  md += row(['---', '---', '---', '---', '---']);
  for (const v of s.verdicts) {
    md += row([
      v.pass ? 'pass' : '**FAIL**',
      mdText(clip(v.what)),
      mdText(clip(v.expected)),
      mdText(clip(v.observed)),
      mdText(v.check),
    ]);
  }
  if (s.verdicts.length === 0) md += row(['—', 'the scenario states no expectation', '', '', '']);
  md += '\n';

  md += '## Same seed, same sequence\n\n';
  md +=
    'The workload and the actions are planned from the seed before the run starts; a rerun with ' +
    'the same seed plans the same sequence, so the same digest.\n\n';
  md += factTable([...sequenceFacts(s), ...runFacts(s)]);
  md += '\n';

  md += '## Tallies\n\n';
  const tallies = tallyRows(s.tallies);
  md += row(tallies.map(([k]) => k));
  md += row(tallies.map(() => '---:'));
  md += row(tallies.map(([, n]) => String(n)));
  md += '\n';

  const notable = notableOf(s);
  md += `## Timeline (${notable.length} notable ${notable.length === 1 ? 'line' : 'lines'})\n\n`;
  md += row(['t', 'lane', 'source', 'what']);
  md += row(['---:', '---', '---', '---']);
  const shown = notable.slice(0, SCENARIO_LINES);
  for (const e of shown) {
    const what = mdText(clip(e.what));
    md += row([
      scenarioSeconds(e.t),
      e.lane,
      mdText(e.source),
      e.mark === 'failure' ? `**${what}**` : what,
    ]);
  }
  md += '\n';
  const more = notable.length - shown.length;
  md +=
    (more > 0 ? `${more} more notable lines are left out here. ` : '') +
    `timeline.txt beside this file has the timeline as printed live; report.json holds ` +
    `${s.timeline.length} entries` +
    `${s.timelineDropped > 0 ? ` (${s.timelineDropped} more were left out by the bounds)` : ''}; ` +
    'index.html draws them on a chart.\n';

  md += '\n## Run\n\n';
  md += factTable([
    ['command', run.command],
    ['started', run.startedAt],
    ['ended', run.endedAt],
  ]);
  return md + environmentSection(report.environment);
}

/** The report as Markdown. */
export function renderSummary(report: Report): string {
  if (report.bench !== undefined) return benchSummary(report, report.bench);
  if (report.scenario !== undefined) return scenarioSummary(report, report.scenario);
  const { run, verdict, environment: env } = report;
  let md = `# ${mdText(verdict.headline)}\n\n`;
  md +=
    `relaycheck conformance run \`${run.id.replace(/`/g, "'")}\`: ${report.counts.total} cases, ` +
    `${seconds(run.durationMs)}, started ${run.startedAt}. ` +
    `${verdict.ready ? 'The run passes (exit code 0).' : 'The run fails (exit code 1).'}\n\n`;

  md += '## Outcomes by area\n\n';
  md += row(['area', ...REPORT_OUTCOMES, 'total']);
  md += row(['---', ...REPORT_OUTCOMES.map(() => '---:'), '---:']);
  for (const a of report.areas) {
    md += row([`${a.area.toUpperCase()} ${mdText(a.title)}`, ...countCells(a.counts)]);
  }
  md += row(['**all**', ...countCells(report.counts).map((c) => `**${c}**`)]);
  md += '\n';

  const of = (outcome: string): ReportCase[] => report.cases.filter((c) => c.outcome === outcome);
  md += caseSection(
    'Failed',
    'Must-level cases that failed: the relay is not ready for go-live until they pass.',
    of('fail'),
  );
  md += caseSection(
    'Non-strict',
    run.strict
      ? 'Should-level cases that failed; this run was --strict, so they fail it.'
      : 'Should-level cases that failed: recommended, not required (`--strict` makes them fail the run).',
    of('non-strict'),
  );
  md += caseSection('Skipped', 'Cases that did not run, and why.', of('skip'));
  md += caseSection('Information', 'Cases that report a finding without a verdict.', of('info'));
  if (report.security !== undefined) md += securityPart(report.security);

  const selection = [
    ...(run.selection.areas !== undefined ? [`areas ${run.selection.areas.join(', ')}`] : []),
    ...(run.selection.include !== undefined ? [`cases ${run.selection.include.join(', ')}`] : []),
    ...(run.selection.exclude !== undefined
      ? [`excluding ${run.selection.exclude.join(', ')}`]
      : []),
  ];
  md += '## Run\n\n';
  md += row(['', '']);
  md += row(['---', '---']);
  md += row(['command', mdText(run.command)]);
  md += row([
    'selection',
    mdText(selection.length > 0 ? selection.join('; ') : 'the whole catalogue'),
  ]);
  md += row(['profile', run.profile]);
  md += row(['strict', run.strict ? 'yes' : 'no']);
  md += row(['seed', run.seed === null ? 'none' : String(run.seed)]);
  md += row(['target', run.target]);
  md += row(['relay', run.relay]);
  if (run.relayConfig !== undefined) md += row(['relay config', mdText(run.relayConfig)]);
  if (run.namespaces !== undefined) {
    const ns = run.namespaces;
    md += row(['Service Bus', mdText(`${ns.serviceBus.host} (rule ${ns.serviceBus.keyName})`)]);
    md += row(['Azure Relay', mdText(`${ns.relay.host} (rule ${ns.relay.keyName})`)]);
    md += row(['tenant', mdText(ns.tenant)]);
  }
  md += row(['started', run.startedAt]);
  md += row(['ended', run.endedAt]);
  return md + environmentSection(env);
}
