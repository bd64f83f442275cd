// The Hybrid Connections listener's configuration. In: untrusted input (a parsed config file,
// an object from a test). Out: a validated, defaulted, frozen HcListenerConfig with derived
// fields (host, port, listen URL, token audience), or an HcError RELAY_E_HC_CONFIG naming the
// offending path. The key is kept only to sign tokens: it never appears in an error message.
import { z } from 'zod';
import { HcError } from './errors';

/** Microsoft's listener clients: 0, 1, 2, 5, 10, 30 s (PROTOCOLS.md section 4). */
export const DEFAULT_RECONNECT_DELAYS_MS: readonly number[] = Object.freeze([
  0, 1_000, 2_000, 5_000, 10_000, 30_000,
]);
/** Ports a wss:// endpoint may name: HTTPS and the Hybrid Connections TCP port. */
export const WSS_PORTS: readonly number[] = Object.freeze([443, 9352]);
/** Bodies up to this size may travel on the control channel (the service's 64 kB). */
export const CONTROL_BODY_LIMIT = 64 * 1024;
/** Header metadata up to this size may travel on the control channel (32 kB). */
export const CONTROL_HEADER_LIMIT = 32 * 1024;

const HC_PATH = /^[A-Za-z0-9](?:[A-Za-z0-9._/-]{0,258}[A-Za-z0-9_])?$/;
const LISTENER_ID = /^[A-Za-z0-9._-]{1,128}$/;
// eslint-disable-next-line no-control-regex
const PRINTABLE = /^[^\u0000-\u001f\u007f]+$/;

const ms = (min: number, max: number, dflt: number) => z.int().min(min).max(max).default(dflt);

const schema = z
  .strictObject({
    /** `wss://<namespace>.servicebus.windows.net[:443|:9352]`, or `ws://host:port` with `insecure`. */
    endpoint: z.string().min(1).max(300),
    /** The hybrid connection's name (path), e.g. `council-tax` or `orgs/42/council-tax`. */
    path: z
      .string()
      .regex(HC_PATH, 'not a valid hybrid connection path')
      .refine(
        (p) => p.split('/').every((seg) => seg !== '' && seg !== '.' && seg !== '..'),
        'empty, "." and ".." segments are not allowed',
      ),
    /** SAS rule name and key (the key's UTF-8 bytes sign; it is never logged). */
    keyName: z.string().min(1).max(256).regex(PRINTABLE, 'must be printable'),
    key: z.string().min(1).max(512),
    /** Sent as `sb-hc-id` for end-to-end tracing. */
    listenerId: z.string().regex(LISTENER_ID, 'letters, digits, . _ - (1-128)').optional(),
    /** Development only: allow plain ws:// for the endpoint and for rendezvous addresses. */
    insecure: z.boolean().default(false),
    /** Where the token goes: the ServiceBusAuthorization header, or the sb-hc-token query. */
    tokenPlacement: z.enum(['header', 'query']).default('header'),
    /** Lifetime of each listen token; at least 10 s, so a renewal at 80% has time to land. */
    tokenTtlSeconds: z.int().min(10).max(86_400).default(3_600),
    /** The token is renewed after this fraction of its lifetime. */
    renewAtFraction: z.number().min(0.5).max(0.95).default(0.8),
    maxConcurrent: z.int().min(1).max(1_024).default(16),
    /** Requests beyond maxConcurrent wait here; beyond this they are answered 503. */
    maxQueued: z.int().min(0).max(10_000).default(64),
    maxRequestBytes: z
      .int()
      .min(0)
      .max(1024 * 1024 * 1024)
      .default(32 * 1024 * 1024),
    /** A response status must be set within this (the service gives up at 60 s). */
    responseDeadlineMs: ms(100, 60_000, 55_000),
    handshakeTimeoutMs: ms(100, 120_000, 30_000),
    /** Keep-alive ping interval (Microsoft's clients: 3.5 min). */
    pingIntervalMs: ms(100, 3_600_000, 210_000),
    /** No pong (or other frame) within this after a ping: the channel is half-open. */
    pongTimeoutMs: ms(100, 600_000, 30_000),
    reconnectDelaysMs: z
      .array(z.int().min(0).max(3_600_000))
      .min(1)
      .max(20)
      .default([...DEFAULT_RECONNECT_DELAYS_MS]),
    /** Each delay d is drawn from [d, d * (1 + jitter)]. */
    reconnectJitter: z.number().min(0).max(1).default(0.2),
    /** A channel open at least this long resets the reconnect schedule. */
    healthyAfterMs: ms(0, 3_600_000, 30_000),
    /** Consecutive 401/403/404 refusals before the listener gives up. */
    maxRefusals: z.int().min(1).max(1_000).default(3),
    /** close(): in-flight requests may finish for this long, then they are aborted. */
    shutdownGraceMs: ms(0, 600_000, 10_000),
    /** close(): the closing handshake may take this long before the socket is dropped. */
    closeTimeoutMs: ms(100, 60_000, 5_000),
    /** An idle rendezvous socket is closed after this; 0 closes it after each response. */
    rendezvousIdleMs: ms(0, 600_000, 30_000),
  })
  .superRefine((c, ctx) => {
    const d = c.reconnectDelaysMs;
    for (let i = 1; i < d.length; i++) {
      const prev = d[i - 1] ?? 0;
      const cur = d[i] ?? 0;
      if (prev * (1 + c.reconnectJitter) > cur) {
        ctx.addIssue({
          code: 'custom',
          path: ['reconnectDelaysMs', i],
          message: 'delays must not decrease, even with the largest jitter',
        });
      }
    }
  });

export type HcListenerConfigInput = z.input<typeof schema>;
type Parsed = z.infer<typeof schema>;

/** A validated configuration plus what is derived from it. Frozen. */
export type HcListenerConfig = Readonly<Omit<Parsed, 'reconnectDelaysMs'>> & {
  readonly reconnectDelaysMs: readonly number[];
  readonly scheme: 'ws' | 'wss';
  /** The logical host name (the namespace). */
  readonly host: string;
  readonly port: number;
  /** `scheme://host[:port]/$hc/<path>` without query. */
  readonly baseUrl: string;
  /** The audience a listen token is signed for: `http://<host>/<path>` (as Microsoft's clients). */
  readonly tokenResource: string;
};

function configError(path: readonly PropertyKey[], message: string): HcError {
  const where = path.map((p) => (typeof p === 'number' ? `[${p}]` : String(p))).join('.');
  const shown = where === '' ? '(top level)' : where.replace(/\.\[/g, '[');
  return new HcError('RELAY_E_HC_CONFIG', `${shown}: ${message}`, { path: shown });
}

/** Validates `input`; throws HcError RELAY_E_HC_CONFIG. */
export function parseHcListenerConfig(input: unknown): HcListenerConfig {
  const result = schema.safeParse(input);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw configError(issue?.path ?? [], issue?.message ?? 'invalid');
  }
  const c = result.data;
  const endpoint = parseEndpoint(c.endpoint, c.insecure);
  const encodedPath = c.path.split('/').map(encodeURIComponent).join('/');
  const defaultPort = endpoint.scheme === 'wss' ? 443 : 80;
  const authority =
    endpoint.port === defaultPort ? endpoint.host : `${endpoint.host}:${endpoint.port}`;
  return Object.freeze({
    ...c,
    reconnectDelaysMs: Object.freeze([...c.reconnectDelaysMs]),
    scheme: endpoint.scheme,
    host: endpoint.host,
    port: endpoint.port,
    baseUrl: `${endpoint.scheme}://${authority}/$hc/${encodedPath}`,
    tokenResource: `http://${endpoint.host}/${encodedPath}`,
  });
}

function parseEndpoint(
  text: string,
  insecure: boolean,
): { scheme: 'ws' | 'wss'; host: string; port: number } {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw configError(['endpoint'], 'not a URL (expected wss://host[:443|:9352])');
  }
  const scheme = url.protocol === 'wss:' ? 'wss' : url.protocol === 'ws:' ? 'ws' : undefined;
  if (scheme === undefined) throw configError(['endpoint'], 'the scheme must be wss (or ws)');
  if (scheme === 'ws' && !insecure) {
    throw configError(['endpoint'], 'plain ws:// is for development only: set insecure: true');
  }
  if (url.username !== '' || url.password !== '' || url.search !== '' || url.hash !== '') {
    throw configError(['endpoint'], 'no user info, query or fragment is allowed');
  }
  if (url.pathname !== '/' && url.pathname !== '') {
    throw configError(['endpoint'], 'no path is allowed (the path is configured separately)');
  }
  const port = url.port === '' ? (scheme === 'wss' ? 443 : 80) : Number(url.port);
  if (scheme === 'wss' && !WSS_PORTS.includes(port)) {
    throw configError(['endpoint'], `a wss endpoint must use port 443 or 9352, not ${port}`);
  }
  return { scheme, host: url.hostname, port };
}
