// The mode table, pure. In: the results of one probe round and the configured mode
// (auto, tcp, https). Out: the mode (tcp, https, none), the best path of each transport
// (AMQP, Hybrid Connections) and a one-line reason. TCP is chosen when its whole path works
// (AMQP on 5671 and Hybrid Connections on 9352), else 443 when its whole path works, else
// none; a fixed mode considers only its own path. The extra ports 9350, 9351, 9353 and 9354
// are reported but never decide.
import type { ConnectivityMode } from './config';
import type { PathKind, ProbeResult, ProbeTargetKind } from './probe';

export type Mode = PathKind | 'none';

export interface ModeChoice {
  readonly mode: Mode;
  /** The best working path per transport (tcp preferred), regardless of the mode. */
  readonly amqp: Mode;
  readonly hc: Mode;
  readonly reason: string;
}

function works(
  results: readonly ProbeResult[],
  target: ProbeTargetKind,
  path: PathKind,
): boolean | undefined {
  const r = results.find((x) => x.target === target && x.path === path && x.role === 'primary');
  return r === undefined ? undefined : r.diagnosis === 'allowed';
}

/** A path works when every transport that was probed on it succeeded. */
function pathWorks(results: readonly ProbeResult[], path: PathKind): boolean {
  const amqp = works(results, 'amqp', path);
  const hc = works(results, 'hc', path);
  return amqp === true && hc !== false;
}

function best(
  results: readonly ProbeResult[],
  target: ProbeTargetKind,
  allowed: readonly PathKind[],
): Mode {
  for (const path of allowed) if (works(results, target, path) === true) return path;
  return 'none';
}

function failures(results: readonly ProbeResult[], path: PathKind): string {
  const bad = results.filter(
    (r) => r.path === path && r.role === 'primary' && r.diagnosis !== 'allowed',
  );
  return bad.map((r) => `${r.target}:${r.port} ${r.diagnosis}`).join(', ');
}

/** The mode for a round's results. */
export function chooseMode(
  results: readonly ProbeResult[],
  configured: ConnectivityMode,
): ModeChoice {
  const paths: readonly PathKind[] =
    configured === 'auto' ? ['tcp', 'https'] : configured === 'tcp' ? ['tcp'] : ['https'];
  const amqp = best(results, 'amqp', paths);
  const hasHc = results.some((r) => r.target === 'hc');
  const hc = hasHc ? best(results, 'hc', paths) : amqp;
  for (const path of paths) {
    if (pathWorks(results, path)) {
      const skipped = paths
        .slice(0, paths.indexOf(path))
        .map((p) => `${p} path: ${failures(results, p)}`);
      const reason =
        skipped.length === 0 ? `${path} path works` : `${path} path works; ${skipped.join('; ')}`;
      return Object.freeze({ mode: path, amqp, hc, reason });
    }
  }
  const reason = paths.map((p) => `${p} path: ${failures(results, p) || 'not probed'}`).join('; ');
  return Object.freeze({ mode: 'none', amqp, hc, reason: `no path works (${reason})` });
}
