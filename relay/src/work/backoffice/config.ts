// The back-office client's configuration. In: untrusted options (service base URLs, attempts,
// back-off, Retry-After cap, timeouts, breaker, concurrency). Out: a frozen BackOfficeConfig
// with every default filled in, or RELAY_E_BACKOFFICE_CONFIG naming the first bad field.
import { z } from 'zod';
import { parseOptions } from '../../messaging/options';
import { RelayBackOfficeError } from './errors';

const SERVICE_NAME = /^[A-Za-z0-9_-]{1,64}$/;

/** An http(s) base URL without credentials, query or fragment (they would leak or be lost). */
const baseUrl = z
  .string()
  .min(1)
  .max(2048)
  .superRefine((value, ctx) => {
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      ctx.addIssue({ code: 'custom', message: 'a base URL (http or https)' });
      return;
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      ctx.addIssue({ code: 'custom', message: 'a base URL must be http or https' });
    } else if (url.username !== '' || url.password !== '') {
      ctx.addIssue({ code: 'custom', message: 'a base URL must not carry credentials' });
    } else if (url.search !== '' || url.hash !== '') {
      ctx.addIssue({ code: 'custom', message: 'a base URL must not carry a query or fragment' });
    }
  });

const backoffSchema = z
  .strictObject({
    baseMs: z.int().min(0).max(600_000).default(200),
    maxMs: z.int().min(0).max(3_600_000).default(30_000),
    factor: z.number().min(1).max(16).default(2),
    jitter: z.number().min(0).max(1).default(0.2),
  })
  .refine((b) => b.maxMs >= b.baseMs, {
    message: 'maxMs must be at least baseMs',
    path: ['maxMs'],
  });

const breakerSchema = z.strictObject({
  failureThreshold: z.int().min(1).max(1000).default(5),
  openMs: z.int().min(1).max(3_600_000).default(30_000),
  halfOpenProbes: z.int().min(1).max(100).default(1),
});

const configSchema = z.strictObject({
  /** Back-office service name → base URL. */
  services: z.record(z.string().regex(SERVICE_NAME), baseUrl),
  /** Attempts per call, the first included (default 5). */
  attempts: z.int().min(1).max(20).default(5),
  backoff: backoffSchema.prefault({}),
  /** A Retry-After longer than this ends the call (transient, abandon) instead of waiting. */
  retryAfterCapMs: z.int().min(0).max(3_600_000).default(60_000),
  /** From the request (a stream body: from its end) to the response headers. */
  headersTimeoutMs: z.int().min(1).max(600_000).default(30_000),
  /** Longest wait for the next chunk of a body (response, or a streamed request). */
  bodyTimeoutMs: z.int().min(1).max(600_000).default(30_000),
  breaker: breakerSchema.prefault({}),
  /** Calls running at once per route (default 8). */
  maxConcurrentPerRoute: z.int().min(1).max(1024).default(8),
  /** Calls waiting per route (default maxConcurrentPerRoute * 4); beyond it, BUSY. */
  maxQueuedPerRoute: z.int().min(0).max(65_536).optional(),
});

export type BackOfficeConfigInput = z.input<typeof configSchema>;

/** The client's options without the services: the relay config's `delivery` section. */
export const deliveryOptionsSchema = configSchema.omit({ services: true });
export type DeliveryOptions = z.output<typeof deliveryOptionsSchema>;

export interface BackOfficeConfig {
  readonly services: Readonly<Record<string, string>>;
  readonly attempts: number;
  readonly backoff: {
    readonly baseMs: number;
    readonly maxMs: number;
    readonly factor: number;
    readonly jitter: number;
  };
  readonly retryAfterCapMs: number;
  readonly headersTimeoutMs: number;
  readonly bodyTimeoutMs: number;
  readonly breaker: {
    readonly failureThreshold: number;
    readonly openMs: number;
    readonly halfOpenProbes: number;
  };
  readonly maxConcurrentPerRoute: number;
  readonly maxQueuedPerRoute: number;
}

/** Validates `input` and fills in the defaults; the result and its parts are frozen. */
export function parseBackOfficeConfig(input: unknown): BackOfficeConfig {
  const c = parseOptions(
    configSchema,
    input,
    (path, message) =>
      new RelayBackOfficeError('RELAY_E_BACKOFFICE_CONFIG', `back-office client ${message}`, {
        path,
      }),
  );
  return Object.freeze({
    services: Object.freeze({ ...c.services }),
    attempts: c.attempts,
    backoff: Object.freeze({ ...c.backoff }),
    retryAfterCapMs: c.retryAfterCapMs,
    headersTimeoutMs: c.headersTimeoutMs,
    bodyTimeoutMs: c.bodyTimeoutMs,
    breaker: Object.freeze({ ...c.breaker }),
    maxConcurrentPerRoute: c.maxConcurrentPerRoute,
    maxQueuedPerRoute: c.maxQueuedPerRoute ?? c.maxConcurrentPerRoute * 4,
  });
}
