// The antivirus scan's configuration, validated at the edge. In: untrusted input (the relay config's
// antivirus section): where clamd listens (a unix socket, or a loopback host and port), what to do
// when it cannot scan (fail-closed by default), the timeout and the largest body sent. Out: a
// frozen AntivirusConfig, or RELAY_E_AV_CONFIG whose message and details.path name the field.
// antivirusConfigSchema is exported so that the relay's config schema can embed it.
import { isAbsolute } from 'node:path';
import { isIPv6 } from 'node:net';
import ipaddr from 'ipaddr.js';
import { z } from 'zod';
import { RelayAvError } from './errors';

const MIB = 1024 * 1024;
/** A unix socket path's limit on Linux (sun_path is 108 bytes with its NUL). */
export const MAX_SOCKET_PATH = 107;
/** The largest maxBytes: clamd's INSTREAM lengths and StreamMaxLength stop below 4 GiB. */
export const MAX_SCAN_BYTES = 4096 * MIB - 1;
export const MAX_TIMEOUT_MS = 600_000;

const IPV4_LOOPBACK =
  /^127\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;

/** True for 'localhost', a four-part decimal address in 127.0.0.0/8, or ::1 in any spelling. */
export function isLoopbackHost(host: string): boolean {
  if (host === 'localhost' || IPV4_LOOPBACK.test(host)) return true;
  if (!isIPv6(host) || host.includes('%')) return false;
  return ipaddr.IPv6.parse(host).toNormalizedString() === '0:0:0:0:0:0:0:1';
}

const socketTarget = z.strictObject({
  /** clamd's LocalSocket: an absolute path of at most 107 bytes. */
  socket: z
    .string()
    .min(1)
    .refine((s) => Buffer.byteLength(s) <= MAX_SOCKET_PATH && !s.includes('\0'), {
      message: `a socket path is 1-${MAX_SOCKET_PATH} bytes without NUL`,
    })
    .refine((s) => isAbsolute(s), { message: 'a socket path must be absolute' }),
});

const tcpTarget = z.strictObject({
  /** clamd's TCPAddr: loopback only (127.0.0.0/8, ::1 or localhost). */
  host: z.string().refine(isLoopbackHost, {
    message: 'clamd must listen on loopback: 127.0.0.0/8, ::1 or localhost',
  }),
  /** clamd's TCPSocket. */
  port: z.int().min(1).max(65535),
});

export const antivirusConfigSchema = z.strictObject({
  /** Where clamd listens: `{ socket }` or `{ host, port }` (loopback). */
  clamd: z.union([socketTarget, tcpTarget]),
  /** What a scan that cannot be done means: refuse the body (default) or let it through unscanned. */
  onUnavailable: z.enum(['fail-closed', 'fail-open']).default('fail-closed'),
  /** Bound on connecting, on each wait for clamd to take more bytes, and on its reply. */
  timeoutMs: z.int().min(1).max(MAX_TIMEOUT_MS).default(30_000),
  /** Largest body sent to clamd (default 64 MiB); larger bodies are unscannable. */
  maxBytes: z
    .int()
    .min(1)
    .max(MAX_SCAN_BYTES)
    .default(64 * MIB),
});

export type AntivirusInput = z.input<typeof antivirusConfigSchema>;

export type ClamdTarget =
  { readonly socket: string } | { readonly host: string; readonly port: number };

export interface AntivirusConfig {
  readonly clamd: ClamdTarget;
  readonly onUnavailable: 'fail-closed' | 'fail-open';
  readonly timeoutMs: number;
  readonly maxBytes: number;
}

const parsed = new WeakSet<object>();

type Issue = z.core.$ZodIssue;

/** The issue to report: inside a union, the branch that went furthest (fewest issues). */
function firstIssue(issues: readonly Issue[]): Issue | undefined {
  const issue = issues[0];
  if (issue?.code !== 'invalid_union' || issue.errors.length === 0) return issue;
  const best = [...issue.errors].sort((a, b) => a.length - b.length)[0] ?? [];
  const inner = firstIssue(best);
  return inner === undefined ? issue : { ...inner, path: [...issue.path, ...inner.path] };
}

function refuse(path: string, message: string): RelayAvError {
  const shown = path.length > 100 ? `${path.slice(0, 100)}…` : path;
  return new RelayAvError(
    'RELAY_E_AV_CONFIG',
    `antivirus option ${shown || '(top level)'}: ${message}`,
    {
      path: shown,
    },
  );
}

/** Validates the antivirus configuration; throws RELAY_E_AV_CONFIG naming the field. */
export function parseAntivirusConfig(input: unknown): AntivirusConfig {
  if (typeof input === 'object' && input !== null && parsed.has(input)) {
    return input as AntivirusConfig;
  }
  const r = antivirusConfigSchema.safeParse(input ?? {});
  if (!r.success) {
    const issue = firstIssue(r.error.issues);
    const path = issue?.path.map(String).join('.') ?? '';
    throw refuse(path, (issue?.message ?? 'invalid').replace(/[^\x20-\x7e]/g, '?').slice(0, 200));
  }
  const c = r.data;
  const clamd: ClamdTarget =
    'socket' in c.clamd
      ? Object.freeze({ socket: c.clamd.socket })
      : Object.freeze({ host: c.clamd.host, port: c.clamd.port });
  const config: AntivirusConfig = Object.freeze({
    clamd,
    onUnavailable: c.onUnavailable,
    timeoutMs: c.timeoutMs,
    maxBytes: c.maxBytes,
  });
  parsed.add(config);
  return config;
}
