// The live progress display of `relaycheck run`. In: RunProgress snapshots from the runner and
// whether stderr is a terminal. Out: on a terminal, one status line rewritten in place (area,
// case, counts, elapsed); otherwise (a pipe, a file, CI) one plain line per finished case.
// Written to stderr so `--json` output on stdout stays clean.
import type { RunProgress } from '../../../suites/runner/progress';

/** 75 s → "1m15s". Pure. */
export function elapsed(ms: number): string {
  const s = Math.floor(ms / 1000);
  const m = Math.floor(s / 60);
  return m === 0 ? `${s}s` : `${m}m${String(s % 60).padStart(2, '0')}s`;
}

function counter(p: RunProgress): string {
  const width = String(p.total).length;
  return `[${String(p.done).padStart(width)}/${p.total}]`;
}

/** The status line of a terminal display, clipped to `columns`. Pure. */
export function statusLine(p: RunProgress, columns = 100): string {
  const c = p.counts;
  const now = p.running[p.running.length - 1] ?? p.last?.case;
  const at = now === undefined ? '' : ` · ${now.area} ${now.id}`;
  const more = p.running.length > 1 ? ` +${p.running.length - 1}` : '';
  const counts =
    `${c.pass} pass` +
    (c.fail > 0 ? ` · ${c.fail} FAIL` : '') +
    (c['non-strict'] > 0 ? ` · ${c['non-strict']} non-strict` : '') +
    (c.skip > 0 ? ` · ${c.skip} skip` : '');
  const line = `${counter(p)} ${elapsed(p.elapsedMs)} · ${counts}${at}${more}`;
  return line.length > columns ? line.slice(0, Math.max(0, columns - 1)) + '…' : line;
}

/** The plain line for the case that just finished. Pure. */
export function finishedLine(p: RunProgress): string | undefined {
  if (p.last === undefined) return undefined;
  const { case: c, outcome, ms } = p.last;
  return `${counter(p)} ${c.id} ${outcome} ${ms.toFixed(0)} ms (${elapsed(p.elapsedMs)})`;
}

export interface ProgressDisplay {
  update(p: RunProgress): void;
  /** Clears a terminal's status line before the final output. */
  end(): void;
}

export function progressDisplay(
  write: (text: string) => void,
  terminal: { readonly tty: boolean; readonly columns?: number },
): ProgressDisplay {
  let shown = 0;
  let drawn = false;
  return {
    update: (p) => {
      if (terminal.tty) {
        write(`\r\x1b[2K${statusLine(p, terminal.columns ?? 100)}`);
        drawn = true;
        return;
      }
      if (p.done === shown) return;
      shown = p.done;
      const line = finishedLine(p);
      if (line !== undefined) write(line + '\n');
    },
    end: () => {
      if (drawn) write('\r\x1b[2K');
      drawn = false;
    },
  };
}

/** Whether the display may draw in place: stderr is a terminal and this is not CI. */
export function isInteractive(
  stream: { readonly isTTY?: boolean },
  env: NodeJS.ProcessEnv,
): boolean {
  return stream.isTTY === true && (env.CI === undefined || env.CI === '' || env.CI === 'false');
}
