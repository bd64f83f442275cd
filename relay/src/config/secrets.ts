// Secrets in the relay config. In: a field's raw text (inline, or `env:NAME`) and the
// environment. Out: the resolved value (a tenant key decoded to exactly 32 bytes as a Buffer,
// a SAS key as a string), or a RelayConfigError that names the field and the variable but
// never the value. Also the redaction that keeps secrets out of console.log, util.inspect and
// JSON.stringify of a config object: redactable() gives an object a custom inspect and toJSON.
import { inspect } from 'node:util';
import { configError, type ConfigLocation } from './errors';
import { ENV_REFERENCE } from './schema';

export const REDACTED = '[redacted]';
/** Field names whose string values are secrets in the config's output. */
const SECRET_FIELDS = new Set(['secret', 'key']);

export type Environment = Readonly<Record<string, string | undefined>>;

export interface ResolvedText {
  readonly value: string;
  /** The environment variable it came from, when it was an env: reference. */
  readonly envName: string | undefined;
}

/** Resolves `env:NAME` from `env`; returns inline text unchanged. */
export function resolveSecretText(
  raw: string,
  env: Environment,
  where: ConfigLocation,
): ResolvedText {
  const name = ENV_REFERENCE.exec(raw)?.[1];
  if (name === undefined) {
    if (raw.startsWith('env:')) {
      throw configError(
        where,
        'env:NAME with NAME of letters, digits and _ (not starting with a digit)',
        'a malformed env: reference',
      );
    }
    return { value: raw, envName: undefined };
  }
  const value = Object.prototype.hasOwnProperty.call(env, name) ? env[name] : undefined;
  if (value === undefined) {
    throw configError(where, `environment variable ${name} to be set`, 'nothing (it is not set)', {
      env: name,
    });
  }
  if (value === '') {
    throw configError(where, `environment variable ${name} to hold a value`, 'an empty value', {
      env: name,
    });
  }
  return { value, envName: name };
}

function from(envName: string | undefined): string {
  return envName === undefined ? '' : ` (from environment variable ${envName})`;
}

const B64 = /^[A-Za-z0-9+/]{43}=?$/;
const B64URL = /^[A-Za-z0-9_-]{43}=?$/;

/** A tenant key: 32 bytes in canonical base64 or base64url (43 characters, or 44 with `=`). */
export function decodeTenantKey(text: ResolvedText, where: ConfigLocation): Buffer {
  const v = text.value;
  const expected = `32 bytes in base64 or base64url (43 characters, or 44 ending in =)${from(text.envName)}`;
  const url = B64URL.test(v);
  if (!B64.test(v) && !url) {
    const shape = /^[A-Za-z0-9+/_=-]*$/.test(v)
      ? `${v.length} characters`
      : `${v.length} characters, some outside the base64 alphabets`;
    throw configError(where, expected, shape);
  }
  const bytes = Buffer.from(v, url ? 'base64url' : 'base64');
  const again = bytes.toString(url ? 'base64url' : 'base64').replace(/=+$/, '');
  if (bytes.length !== 32 || again !== v.replace(/=$/, '')) {
    throw configError(where, expected, 'a non-canonical encoding (the last character is off)');
  }
  return redactBuffer(bytes);
}

/** A SAS key: printable ASCII without spaces, at most 512 characters. */
export function checkSasKey(text: ResolvedText, where: ConfigLocation): string {
  const v = text.value;
  const expected = `a SAS key: 1-512 printable characters, no spaces${from(text.envName)}`;
  if (v.length > 512) throw configError(where, expected, `${v.length} characters`);
  if (v.trim() !== v) throw configError(where, expected, 'leading or trailing whitespace');
  if (!/^[!-~]+$/.test(v)) throw configError(where, expected, 'spaces or non-printable characters');
  return v;
}

/** Makes `bytes` print as `[redacted N bytes]` in util.inspect and JSON.stringify. */
export function redactBuffer(bytes: Buffer): Buffer {
  const shown = `[redacted ${bytes.length} bytes]`;
  Object.defineProperty(bytes, 'toJSON', { value: () => shown, enumerable: false });
  Object.defineProperty(bytes, inspect.custom, { value: () => shown, enumerable: false });
  return bytes;
}

/** A copy of `value` with secret strings and all binary values replaced by REDACTED. */
export function redactedCopy(value: unknown, field?: string): unknown {
  if (value instanceof Uint8Array) return `[redacted ${value.byteLength} bytes]`;
  if (typeof value === 'string')
    return field !== undefined && SECRET_FIELDS.has(field) ? REDACTED : value;
  if (Array.isArray(value)) return value.map((v: unknown) => redactedCopy(v));
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = redactedCopy(v, k);
    return out;
  }
  return value;
}

/**
 * Gives `obj` (before it is frozen) a non-enumerable toJSON and util.inspect.custom that
 * render redactedCopy(obj): console.log, util.inspect, pino and JSON.stringify never show
 * its secrets. The fields named in `secretFields` become read-only getters, so that even an
 * inspection that skips custom inspectors (console.dir, `customInspect: false`) shows
 * `[Getter]` rather than the value. Reading a field (`config.serviceBus.key`) still gives the
 * real value.
 */
export function redactable<T extends object>(obj: T, secretFields: readonly (keyof T)[] = []): T {
  for (const field of secretFields) {
    const value = obj[field];
    Object.defineProperty(obj, field, { get: () => value, enumerable: true, configurable: false });
  }
  Object.defineProperty(obj, 'toJSON', { value: () => redactedCopy(obj), enumerable: false });
  Object.defineProperty(obj, inspect.custom, {
    value: (_depth: number, options: object) => inspect(redactedCopy(obj), options),
    enumerable: false,
  });
  return obj;
}
