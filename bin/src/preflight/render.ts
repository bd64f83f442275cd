// A preflight report for people and for programs. Pure. In: a PreflightReport. Out: the table
// (one line per check: check, target, result, detail), then the mode and the go / no-go line
// naming the blocking checks and the warnings; or the report as JSON (two-space indented).
import { table } from '../table';
import type { CheckRow, CheckStatus, PreflightReport } from './report';

const MARK: Readonly<Record<CheckStatus, string>> = {
  pass: 'ok',
  warn: 'WARN',
  fail: 'FAIL',
  info: 'info',
  skip: 'skip',
};

function rowName(r: CheckRow): string {
  return r.check === 'mode' || r.check === 'clock' ? r.check : `${r.check} ${r.target}`;
}

/** The table and the verdict lines. */
export function renderTable(report: PreflightReport): string {
  const lines: string[] = [];
  const hosts = [report.namespace, report.relayNamespace].filter((h): h is string => h !== null);
  lines.push(`relaycheck preflight: ${hosts.join(', ')}`);
  const how =
    report.network.map === null
      ? report.network.resolver === 'system'
        ? "this server's DNS and direct connections"
        : `${report.network.resolver} resolver, ${report.network.dialer} dialer`
      : `the simulator's network map ${report.network.map} (loopback endpoints)`;
  lines.push(
    `through ${how}; trust: ${report.ca === null ? 'the system store' : `the system store and ${report.ca}`}; ranges: ${report.ranges ?? 'not checked'}; each step bounded by ${report.timeoutMs} ms`,
    '',
  );
  lines.push(
    table(
      ['check', 'target', 'result', 'detail'],
      report.checks.map((r) => [r.check, r.target, `${MARK[r.status]} ${r.result}`, r.detail]),
    ).trimEnd(),
  );
  lines.push('');
  const mode = report.checks.find((r) => r.check === 'mode');
  if (mode !== undefined) lines.push(`mode: the relay would pick ${mode.result}`);
  const named = (ids: readonly string[]): string =>
    ids
      .map((id) => report.checks.find((r) => r.id === id))
      .filter((r): r is CheckRow => r !== undefined)
      .map(rowName)
      .join('; ');
  if (report.verdict === 'go') {
    lines.push(
      report.warnings.length === 0
        ? 'go-live: would work'
        : `go-live: would work, with ${report.warnings.length} warning${report.warnings.length === 1 ? '' : 's'}: ${named(report.warnings)}`,
    );
  } else {
    lines.push(`go-live: would FAIL; blocking: ${named(report.blocking)}`);
    if (report.warnings.length > 0) lines.push(`warnings: ${named(report.warnings)}`);
  }
  return lines.join('\n') + '\n';
}

/** The report as JSON (schema relaycheck-preflight/1, docs/preflight.md). */
export function renderJson(report: PreflightReport): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}
