// Writes a run's report to disk, and reads one back. In: an output folder and a Report. Out:
// report.json, then junit.xml, summary.md and index.html, each whole or not at all (temp
// name, fsync, rename); then reports/latest moved atomically when <out> is
// reports/runs/<name>. Each step is published on diagnostics_channel
// `relaycheck:report:write` (paths only). IO edge.
import { channel } from 'node:diagnostics_channel';
import { randomBytes } from 'node:crypto';
import {
  closeSync,
  fsyncSync,
  lstatSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeSync,
} from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { ReportError, type ReportErrorCode } from './errors';
import { renderHtml } from './html/render';
import { renderJunit } from './junit';
import { reportFromJson, reportToJson, type Report } from './schema';
import { renderSummary } from './summary';

export const REPORT_FILES = {
  json: 'report.json',
  junit: 'junit.xml',
  summary: 'summary.md',
  html: 'index.html',
} as const;

/** What writeReport wrote. */
export interface ReportPaths {
  readonly reportJson: string;
  readonly junitXml: string;
  readonly summaryMd: string;
  /** The self-contained page for people (docs/report.md, "index.html"). */
  readonly indexHtml: string;
  /** The reports/latest link, when it was moved to this run. */
  readonly latest?: string;
}

/** A step of writeReport, as published on `relaycheck:report:write`. */
export interface ReportWriteEvent {
  readonly step: 'write' | 'fsync' | 'rename' | 'link' | 'link-skipped';
  /** The file or link the step acted on (a temporary name for write and fsync). */
  readonly path: string;
  /** For rename and link: the final name. */
  readonly to?: string;
  readonly reason?: string;
}

export const reportWriteChannel = channel('relaycheck:report:write');

function publish(event: ReportWriteEvent): void {
  if (reportWriteChannel.hasSubscribers) reportWriteChannel.publish(event);
}

function errnoOf(e: unknown): string {
  return typeof e === 'object' && e !== null && 'code' in e && typeof e.code === 'string'
    ? e.code
    : 'unknown';
}

function writeError(
  path: string,
  what: string,
  e: unknown,
  code: ReportErrorCode = 'REPORT_E_WRITE',
): ReportError {
  const errno = errnoOf(e);
  return new ReportError(code, `could not ${what} ${path} (${errno})`, {
    path,
    errno,
  });
}

function tempName(final: string): string {
  return join(
    dirname(final),
    `.${basename(final)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`,
  );
}

/** Makes a rename durable: fsync of the folder (not possible everywhere; best effort). */
function syncFolder(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // some platforms cannot open or fsync a directory: the rename is still atomic
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Writes `text` to `file` whole or not at all; a failure leaves no temporary file behind. */
export function writeFileAtomic(file: string, text: string): void {
  const tmp = tempName(file);
  let fd: number | undefined;
  try {
    fd = openSync(tmp, 'wx', 0o644);
    publish({ step: 'write', path: tmp });
    const bytes = Buffer.from(text, 'utf8');
    let done = 0;
    while (done < bytes.length) done += writeSync(fd, bytes, done, bytes.length - done);
    fsyncSync(fd);
    publish({ step: 'fsync', path: tmp });
    closeSync(fd);
    fd = undefined;
    renameSync(tmp, file);
    publish({ step: 'rename', path: tmp, to: file });
  } catch (e) {
    if (fd !== undefined) closeSync(fd);
    rmSync(tmp, { force: true });
    throw writeError(file, 'write', e);
  }
  syncFolder(dirname(file));
}

/** The reports/latest link for `outDir`, when `outDir` is <something>/reports/runs/<name>. */
export function latestLinkFor(outDir: string): string | undefined {
  const runs = dirname(resolve(outDir));
  const reports = dirname(runs);
  return basename(runs) === 'runs' && basename(reports) === 'reports'
    ? join(reports, 'latest')
    : undefined;
}

/**
 * Points `link` at `target` (relative, so the tree can move): a new link under a temporary
 * name, renamed over the old one. A `latest` that is not a symlink is left alone.
 */
function moveLink(link: string, target: string): boolean {
  try {
    if (!lstatSync(link).isSymbolicLink()) {
      publish({ step: 'link-skipped', path: link, reason: 'not a symlink: left as it is' });
      return false;
    }
  } catch (e) {
    if (errnoOf(e) !== 'ENOENT') throw writeError(link, 'inspect', e);
  }
  const tmp = tempName(link);
  const to = relative(dirname(link), target);
  try {
    symlinkSync(to, tmp, 'dir');
  } catch (e) {
    const errno = errnoOf(e);
    if (errno === 'EPERM' || errno === 'EACCES') {
      // e.g. Windows without the symlink privilege: the run's files are all written
      publish({ step: 'link-skipped', path: link, reason: `symlinks not allowed (${errno})` });
      return false;
    }
    throw writeError(link, 'create a link beside', e);
  }
  try {
    renameSync(tmp, link);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw writeError(link, 'replace', e);
  }
  publish({ step: 'link', path: link, to });
  syncFolder(dirname(link));
  return true;
}

/**
 * Writes report.json, then junit.xml, summary.md and index.html rendered from it, each
 * atomically, into `outDir` (created if missing); then moves reports/latest to `outDir` when
 * it is a run folder under reports/runs/. Throws REPORT_E_WRITE naming the file that could not be written.
 */
export function writeReport(outDir: string, report: Report): ReportPaths {
  const dir = resolve(outDir);
  try {
    mkdirSync(dir, { recursive: true });
  } catch (e) {
    throw writeError(dir, 'create', e);
  }
  const reportJson = join(dir, REPORT_FILES.json);
  const junitXml = join(dir, REPORT_FILES.junit);
  const summaryMd = join(dir, REPORT_FILES.summary);
  writeFileAtomic(reportJson, reportToJson(report));
  writeFileAtomic(junitXml, renderJunit(report));
  writeFileAtomic(summaryMd, renderSummary(report));
  const indexHtml = join(dir, REPORT_FILES.html);
  writeFileAtomic(indexHtml, renderHtml(report));
  const link = latestLinkFor(dir);
  const moved = link !== undefined && moveLink(link, dir);
  return { reportJson, junitXml, summaryMd, indexHtml, ...(moved ? { latest: link } : {}) };
}

/** Reads and validates a report.json: REPORT_E_READ, or as reportFromJson. */
export function readReport(file: string): Report {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw writeError(file, 'read', e, 'REPORT_E_READ');
  }
  return reportFromJson(text);
}
