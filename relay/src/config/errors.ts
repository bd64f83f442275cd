// The typed refusal of the relay's configuration. In: the file, the path in it, what was
// expected and a short description of what was found (never a secret's value). Out: a
// RelayConfigError with code RELAY_E_CONFIG whose message reads
// `<file>: <path>: expected <what>, got <found>` and whose details carry file, path, line, column.
import { defineErrors, familyError, type ErrorDetails } from '../protocol/errors';

export const RELAY_CONFIG_ERRORS = defineErrors('relay-config', {
  RELAY_E_CONFIG: {
    summary:
      'The relay configuration is invalid: the message names the file, the path in it and what was expected.',
  },
});

export type RelayConfigErrorCode = (typeof RELAY_CONFIG_ERRORS.codes)[number];

/** A refused relay configuration (or a non-loopback health endpoint). */
export class RelayConfigError extends familyError(RELAY_CONFIG_ERRORS) {}

/** True when `e` is a RelayConfigError. */
export function isRelayConfigError(e: unknown): e is RelayConfigError {
  return e instanceof RelayConfigError;
}

/** Where in which file a problem sits. `line`/`column` are 1-based, when known. */
export interface ConfigLocation {
  readonly file: string;
  /** Dotted path with [i] for array items (`egress.ports[2]`), or `(top level)`. */
  readonly path: string;
  readonly line?: number;
  readonly column?: number;
}

/** The one error shape: `<file>: <path>: expected <what>, got <found>[ (line L, column C)]`. */
export function configError(
  where: ConfigLocation,
  expected: string,
  found: string,
  extra: ErrorDetails = {},
): RelayConfigError {
  const at =
    where.line === undefined
      ? ''
      : ` (line ${where.line}${where.column === undefined ? '' : `, column ${where.column}`})`;
  return new RelayConfigError(
    'RELAY_E_CONFIG',
    `${where.file}: ${where.path}: expected ${expected}, got ${found}${at}`,
    {
      ...extra,
      file: where.file,
      path: where.path,
      line: where.line,
      column: where.column,
    },
  );
}

/** `['egress', 'ports', 2]` → `egress.ports[2]`; `[]` → `(top level)`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else {
      const s = String(p);
      out += /^[A-Za-z_$][A-Za-z0-9_$-]*$/.test(s)
        ? `${out === '' ? '' : '.'}${s}`
        : `[${JSON.stringify(s)}]`;
    }
  }
  return out === '' ? '(top level)' : out;
}
