// Renders a report as JUnit XML, the shape Azure DevOps, GitHub reporters and most CI systems
// read. In: a Report. Out: XML 1.0: a <testsuite> per area, a <testcase> per case; fail is a
// <failure> (reason, failed assertions with expected and observed, requirement), skip a
// <skipped>; non-strict and info carry an "outcome" property and that text in <system-out>.
// A benchmark report has no cases: an empty <testsuites tests="0"> with a comment saying so
// (its figures are never test results: nothing fails on time).
import type { Report, ReportCase } from './schema';

/** True for a code point XML 1.0 allows in a document (§2.2 Char). */
function xmlChar(cp: number): boolean {
  return (
    cp === 0x9 ||
    cp === 0xa ||
    cp === 0xd ||
    (cp >= 0x20 && cp <= 0xd7ff) ||
    (cp >= 0xe000 && cp <= 0xfffd) ||
    (cp >= 0x10000 && cp <= 0x10ffff)
  );
}

/**
 * `text` with every character XML 1.0 forbids (most C0 controls, lone surrogates, U+FFFE,
 * U+FFFF) written out visibly as `\uXXXX`, so the evidence survives and the XML stays valid.
 */
export function xmlSafe(text: string): string {
  let out = '';
  for (const ch of text) {
    const cp = ch.codePointAt(0) ?? 0;
    out += xmlChar(cp) ? ch : `\\u${cp.toString(16).padStart(4, '0')}`;
  }
  return out;
}

const TEXT_ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '\r': '&#13;',
};
const ATTR_ESCAPES: Readonly<Record<string, string>> = {
  ...TEXT_ESCAPES,
  '"': '&quot;',
  "'": '&apos;',
  '\t': '&#9;',
  '\n': '&#10;',
};

/** Character data: markup characters escaped (so `]]>` cannot occur), CR kept as &#13;. */
export function xmlText(text: string): string {
  return xmlSafe(text).replace(/[&<>\r]/g, (c) => TEXT_ESCAPES[c] ?? c);
}

/** An attribute value (double-quoted): also quotes and whitespace that parsers normalise. */
export function xmlAttr(text: string): string {
  return xmlSafe(text).replace(/[&<>"'\t\n\r]/g, (c) => ATTR_ESCAPES[c] ?? c);
}

function attrs(pairs: readonly (readonly [string, string | number])[]): string {
  return pairs.map(([k, v]) => ` ${k}="${xmlAttr(String(v))}"`).join('');
}

function seconds(ms: number): string {
  return (ms / 1000).toFixed(3);
}

/** The text of a case's evidence: its reason, the failed assertions, what it checks. */
function evidenceText(c: ReportCase): string {
  const lines: string[] = [];
  if (c.reason !== null) lines.push(c.reason);
  if (c.evidence.failures.length > 0) {
    lines.push('failed assertions:', ...c.evidence.failures.map((f) => `  - ${f}`));
  }
  const failed = (c.evidence.assertions ?? []).filter((a) => !a.ok);
  if (failed.length > 0) {
    const indent = (text: string): string => text.replace(/\r?\n/g, '\n          ');
    lines.push('expected and observed:');
    for (const a of failed) {
      lines.push(`  - ${a.name}`);
      if (a.expected !== undefined) lines.push(`      expected: ${indent(a.expected)}`);
      if (a.observed !== undefined) lines.push(`      observed: ${indent(a.observed)}`);
      if (a.diag !== undefined) lines.push(`      diag: ${indent(a.diag)}`);
      if (a.at !== undefined) lines.push(`      at: ${a.at}`);
    }
  }
  lines.push(`requirement (${c.level}): ${c.requirement}`, `source: ${c.source}`);
  return lines.join('\n');
}

function testcase(c: ReportCase): string {
  const open = `    <testcase${attrs([
    ['classname', `relaycheck.${c.area}`],
    ['name', `${c.id} ${c.title}`],
    ['time', seconds(c.ms)],
  ])}>\n`;
  const properties =
    `      <properties>\n` +
    `        <property${attrs([
      ['name', 'outcome'],
      ['value', c.outcome],
    ])}/>\n` +
    `        <property${attrs([
      ['name', 'level'],
      ['value', c.level],
    ])}/>\n` +
    `      </properties>\n`;
  const message = c.reason ?? c.evidence.failures[0] ?? c.outcome;
  let body = '';
  switch (c.outcome) {
    case 'fail':
      body = `      <failure${attrs([
        ['message', message],
        ['type', `relaycheck.${c.level}`],
      ])}>${xmlText(evidenceText(c))}</failure>\n`;
      break;
    case 'skip':
      body = `      <skipped${attrs([['message', message]])}/>\n`;
      break;
    case 'non-strict':
    case 'info':
      body = `      <system-out>${xmlText(`${c.outcome}: ${evidenceText(c)}`)}</system-out>\n`;
      break;
    case 'pass':
      break;
  }
  return `${open}${properties}${body}    </testcase>\n`;
}

/** The report as JUnit XML. */
export function renderJunit(report: Report): string {
  const c = report.counts;
  let xml =
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    `<testsuites${attrs([
      ['name', `relaycheck ${report.run.id}`],
      ['tests', c.total],
      ['failures', c.fail],
      ['errors', 0],
      ['skipped', c.skip],
      ['time', seconds(report.run.durationMs)],
      ['timestamp', report.run.startedAt],
    ])}>\n`;
  if (report.bench !== undefined) {
    xml +=
      '  <!-- a benchmark run: no conformance cases were run; its figures are in report.json (bench), summary.md and index.html -->\n';
  }
  report.areas.forEach((area, index) => {
    const cases = report.cases.filter((k) => k.area === area.area);
    const ms = cases.reduce((sum, k) => sum + k.ms, 0);
    xml += `  <testsuite${attrs([
      ['name', `${area.area} (${area.title})`],
      ['id', index],
      ['package', `relaycheck.${area.area}`],
      ['tests', area.counts.total],
      ['failures', area.counts.fail],
      ['errors', 0],
      ['skipped', area.counts.skip],
      ['time', seconds(ms)],
      ['timestamp', report.run.startedAt],
    ])}>\n`;
    for (const k of cases) xml += testcase(k);
    xml += '  </testsuite>\n';
  });
  return `${xml}</testsuites>\n`;
}
