// The relay's structured logger. In: a level and an optional destination stream. Out: a pino
// logger that never writes a secret: fields named like secrets (key, secret, token, sig,
// authorization, sb-hc-token, SharedAccessKey, password ...) are replaced at any depth, binary
// values are replaced by their length, and inside every string (messages, error messages and
// stacks, URLs) `sig=`, `sb-hc-token=`, `SharedAccessKey=` values and Bearer/Basic/SAS
// credentials are scrubbed. pino's own path redaction is kept as a second line of defence.
import pino, { type DestinationStream, type Logger } from 'pino';
import type { RelayLogLevel } from './config/types';

export const LOG_REDACTED = '[redacted]';

/** Field names (compared lower-case, without - and _) whose values are never logged. */
const SECRET_NAMES = new Set([
  'key',
  'secret',
  'secrets',
  'token',
  'accesstoken',
  'sastoken',
  'sig',
  'signature',
  'authorization',
  'servicebusauthorization',
  'proxyauthorization',
  'sbhctoken',
  'sharedaccesskey',
  'sharedaccesssignature',
  'password',
  'passwd',
  'apikey',
  'privatekey',
  'clientsecret',
  'sessionkey',
  'cookie',
  'setcookie',
]);

/** pino redaction paths (second line of defence; the deep scrub below sees every depth). */
export const RELAY_LOG_REDACT_PATHS: readonly string[] = Object.freeze([
  ...new Set([
    // The Hybrid Connections listener's own list (HC_LOG_REDACT), repeated here so that the
    // logger does not load the listener; a test keeps this a superset of it.
    'headers.ServiceBusAuthorization',
    'headers.servicebusauthorization',
    'headers.authorization',
    'headers.Authorization',
    'headers["sb-hc-token"]',
    'token',
    'key',
    'secret',
    'sig',
    'signature',
    'authorization',
    'password',
    'sharedAccessKey',
    'SharedAccessKey',
    '*.key',
    '*.secret',
    '*.token',
    '*.sig',
    '*.signature',
    '*.authorization',
    '*.password',
    'headers.cookie',
    'req.headers.authorization',
    'req.headers["sb-hc-token"]',
    'req.headers.servicebusauthorization',
  ]),
]);

const STRING_RULES: readonly (readonly [RegExp, string])[] = [
  // Query and connection-string parameters: sig=..., sb-hc-token=..., SharedAccessKey=...
  [
    /\b(sig|sb-hc-token|SharedAccessKey|SharedAccessSignature|secret|password|token)=[^&\s;"',]*/gi,
    `$1=${LOG_REDACTED}`,
  ],
  // A SAS token in a header or text: everything after the scheme word up to whitespace.
  [/\bSharedAccessSignature\s+[^\s"',]+/g, `SharedAccessSignature ${LOG_REDACTED}`],
  [/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+/g, `$1 ${LOG_REDACTED}`],
  // "Authorization: x" / "ServiceBusAuthorization=x" in raw header text.
  [
    /\b((?:ServiceBus|Proxy-)?Authorization)(\s*[:=]\s*)(?!\[redacted\])[^\r\n"',}]+/gi,
    `$1$2${LOG_REDACTED}`,
  ],
];

/** `text` with credentials inside it replaced by [redacted]. */
export function scrubSecrets(text: string): string {
  let out = text;
  for (const [re, to] of STRING_RULES) out = out.replace(re, to);
  return out;
}

function isSecretName(name: string): boolean {
  return SECRET_NAMES.has(name.toLowerCase().replace(/[-_]/g, ''));
}

const MAX_DEPTH = 10;

/** A deep copy of `value` that is safe to log (see the header). Cycles become "[circular]". */
export function redactForLog(value: unknown): unknown {
  return walk(value, 0, new WeakSet());
}

function errorForLog(e: Error, depth: number, seen: WeakSet<object>): Record<string, unknown> {
  const out: Record<string, unknown> = { type: e.name, message: scrubSecrets(e.message) };
  if (e.stack !== undefined) out.stack = scrubSecrets(e.stack);
  const extra = e as Error & { code?: unknown; details?: unknown; cause?: unknown };
  if (extra.code !== undefined) out.code = walk(extra.code, depth + 1, seen);
  if (extra.details !== undefined) out.details = walk(extra.details, depth + 1, seen);
  if (extra.cause !== undefined) out.cause = walk(extra.cause, depth + 1, seen);
  return out;
}

function walk(value: unknown, depth: number, seen: WeakSet<object>): unknown {
  if (typeof value === 'string') return scrubSecrets(value);
  if (typeof value !== 'object' || value === null) {
    return typeof value === 'function' || typeof value === 'symbol' ? `[${typeof value}]` : value;
  }
  if (value instanceof Uint8Array) return `[${value.byteLength} bytes]`;
  if (value instanceof ArrayBuffer) return `[${value.byteLength} bytes]`;
  if (depth >= MAX_DEPTH) return '[too deep]';
  if (seen.has(value)) return '[circular]';
  seen.add(value);
  try {
    if (value instanceof Error) return errorForLog(value, depth, seen);
    if (value instanceof Date)
      return Number.isNaN(value.getTime()) ? 'Invalid Date' : value.toISOString();
    if (value instanceof URL) return scrubSecrets(value.href);
    if (Array.isArray(value))
      return value.slice(0, 1000).map((v: unknown) => walk(v, depth + 1, seen));
    if (value instanceof Map) {
      return walk(
        Object.fromEntries([...value.entries()].map(([k, v]) => [String(k), v as unknown])),
        depth,
        seen,
      );
    }
    if (value instanceof Set) return walk([...value], depth, seen);
    const toJSON = (value as { toJSON?: unknown }).toJSON;
    if (typeof toJSON === 'function') {
      return walk((toJSON as () => unknown).call(value), depth + 1, new WeakSet([value]));
    }
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      out[k] =
        isSecretName(k) && v !== undefined && v !== null ? LOG_REDACTED : walk(v, depth + 1, seen);
    }
    return out;
  } finally {
    seen.delete(value);
  }
}

export interface RelayLoggerOptions {
  /** pino level [info]. */
  readonly level?: RelayLogLevel;
  /** Where lines go (a pino destination or any `{ write(line) }`). Default: stdout. */
  readonly destination?: DestinationStream;
  /** Added to every line as `name`. */
  readonly name?: string;
}

/**
 * The relay's logger: `createRelayLogger({ level, destination })` (or, as the contract
 * spells it, `createRelayLogger(level, destination)`). Child loggers inherit the scrubbing.
 */
export function createRelayLogger(
  options: RelayLoggerOptions | RelayLogLevel = {},
  destination?: DestinationStream,
): Logger {
  const o: RelayLoggerOptions =
    typeof options === 'string' ? { level: options, destination } : { destination, ...options };
  const settings: pino.LoggerOptions = {
    level: o.level ?? 'info',
    ...(o.name === undefined ? {} : { name: o.name }),
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: [...RELAY_LOG_REDACT_PATHS], censor: LOG_REDACTED },
    // Errors are already turned into safe plain objects by the hook below.
    serializers: { err: (e: unknown) => e },
    formatters: {
      bindings: (bindings) => redactForLog(bindings) as Record<string, unknown>,
    },
    hooks: {
      logMethod(args, method) {
        const [first, ...rest] = args as unknown[];
        let out: unknown[];
        if (first instanceof Error) {
          const err = redactForLog(first) as { message: string };
          const msg = typeof rest[0] === 'string' ? rest.shift() : err.message;
          out = [{ err }, msg, ...rest];
        } else {
          out = [first, ...rest];
        }
        const safe = out.map((a) => (typeof a === 'string' ? scrubSecrets(a) : redactForLog(a)));
        method.apply(this, safe as Parameters<typeof method>);
      },
    },
  };
  return o.destination === undefined ? pino(settings) : pino(settings, o.destination);
}
