// The sealed Hybrid Connections handler (docs/protocol/messaging.md). In: one relayed HTTP
// request from the HybridListener whose body is sealed (c2r) and whose rc-* headers carry the
// envelope metadata, rc-message-id and rc-route; the tenant key ring; an injected dispatcher.
// Out: the dispatcher sees the route and the plaintext body as a stream (each 64 KiB segment
// released only after its tag verified); its answer goes back sealed (r2c) as a stream with r2c
// metadata headers. Refusals are plain JSON {code, message} with the code's status; events
// `relay:work` (via hybrid). Nothing is buffered whole.
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import pino, { type Logger } from 'pino';
import { z } from 'zod';
import { createOpenStream, createSealStream, type OpenStream } from '../protocol/envelope-stream';
import {
  DEFAULT_SKEW_MS,
  EnvelopeError,
  METADATA_FIELDS,
  metadataToHeaders,
  parseMetadata,
} from '../protocol/envelope';
import { TENANT_PATTERN } from '../protocol/handshake';
import { systemRandom, type RandomBytes } from '../protocol/primitives';
import type { HcHandler, HcRequest, HcResponse } from '../transports/hc-handler';
import { systemScheduler, type Scheduler } from '../transports/scheduler';
import { isRelaycheckError, type RelaycheckError } from '../protocol/errors';
import { PROPERTY } from './contract';
import { RelayWorkError } from './errors';
import { publishWork } from './events';
import type { SessionGate } from './handshake-client';
import type { TenantKeys } from './keys';
import { parseOptions } from './options';

/** One request as the dispatcher sees it: the envelope is already checked and removed. */
export interface SealedHcRequest {
  readonly via: 'hybrid';
  readonly route: string;
  readonly messageId: string;
  readonly method: string;
  /** Path and query as the sender sent them. */
  readonly target: string;
  /** The request headers without the rc-* ones (lower-case names). */
  readonly headers: Readonly<Record<string, string>>;
  /** The plaintext body. A segment that fails to authenticate destroys it with an error. */
  readonly body: Readable;
  /** False when a plain body was accepted (development profile only). */
  readonly sealed: boolean;
  readonly kid: string | undefined;
  /** Aborted when the listener gives up on the request. */
  readonly signal: AbortSignal;
}

export interface SealedHcResult {
  /** 200-599 except 502 and 504 (reserved to the service). */
  readonly status: number;
  /** Response headers (rc-* names are reserved and dropped). */
  readonly headers?: Readonly<Record<string, string>>;
  /** The plaintext answer: sealed here, streamed when it is a Readable. */
  readonly body?: Buffer | Readable;
}

/** The relay's dispatcher for synchronous work. */
export type HcDispatcher = (req: SealedHcRequest) => Promise<SealedHcResult>;

const ROUTE = /^[!-{}~]{1,256}$/;
const MESSAGE_ID = /^[!-{}~]{1,128}$/;

const schema = z.strictObject({
  tenant: z.string().regex(TENANT_PATTERN, 'must match [a-z0-9-]{3,64}'),
  profile: z.enum(['production', 'development']).default('production'),
  /** Routes served; others are answered 404. Omitted: the dispatcher decides. */
  routes: z
    .array(z.string().regex(ROUTE, 'a route is 1-256 printable characters, no | or space'))
    .max(1_000)
    .optional(),
  /** A request whose rc-ts is older than this (plus the skew) is refused (ENV_E_STALE). */
  maxRequestAgeMs: z.int().min(1).max(86_400_000).default(120_000),
  skewMs: z.int().min(0).max(3_600_000).default(DEFAULT_SKEW_MS),
});

export type SealedHcOptionsInput = z.input<typeof schema>;
export type SealedHcOptions = Readonly<Omit<z.infer<typeof schema>, 'routes'>> & {
  readonly routes: readonly string[] | undefined;
};

/** Validates the options; throws RELAY_E_WORK_CONFIG naming the field. */
export function parseSealedHcOptions(input: unknown): SealedHcOptions {
  const c = parseOptions(
    schema,
    input,
    (path, message) => new RelayWorkError('RELAY_E_WORK_CONFIG', message, { path }),
  );
  return Object.freeze({
    ...c,
    routes: c.routes === undefined ? undefined : Object.freeze([...c.routes]),
  });
}

export interface SealedHcDeps {
  readonly keys: TenantKeys;
  readonly dispatch: HcDispatcher;
  /** When given, requests are answered 503 while no session is live. */
  readonly session?: SessionGate;
  /** Clock of the envelope (rc-ts). */
  readonly scheduler?: Scheduler;
  readonly randomBytes?: RandomBytes;
  readonly logger?: Logger;
}

/** Wraps `deps.dispatch` into the listener's HcHandler: open, dispatch, seal. */
export function sealedHcHandler(input: SealedHcOptionsInput, deps: SealedHcDeps): HcHandler {
  const options = parseSealedHcOptions(input);
  const routes = options.routes === undefined ? undefined : new Set(options.routes);
  const scheduler = deps.scheduler ?? systemScheduler;
  const randomBytes = deps.randomBytes ?? systemRandom;
  const log = (deps.logger ?? pino({ level: 'silent' })).child({ component: 'sealed-hc' });

  const refuse = async (
    req: HcRequest,
    res: HcResponse,
    error: RelaycheckError,
    ids: { route: string; messageId: string },
  ): Promise<void> => {
    req.body.resume(); // drain what was not read
    log.warn({ code: error.code, ...ids }, error.message);
    publishWork({
      via: 'hybrid',
      route: ids.route,
      messageId: ids.messageId,
      outcome: 'answered',
      status: error.http ?? 500,
      code: error.code,
    });
    if (res.statusSet) throw error; // committed: the listener aborts the response
    const body = JSON.stringify({
      code: error.code,
      ...(typeof error.details.envCode === 'string' ? { envCode: error.details.envCode } : {}),
      message: error.message,
    });
    await res.send(error.http ?? 500, body, { 'content-type': 'application/json' });
  };

  return async (req, res) => {
    const route = req.headers[PROPERTY.route] ?? '';
    const messageId = req.headers[PROPERTY.messageId] ?? '';
    const ids = { route: route.slice(0, 256), messageId: messageId.slice(0, 128) };

    if (deps.session !== undefined && !deps.session.isLive()) {
      await refuse(
        req,
        res,
        new RelayWorkError(
          'RELAY_E_WORK_NO_SESSION',
          'no handshake session is live: no work is accepted',
        ),
        ids,
      );
      return;
    }
    if (!MESSAGE_ID.test(messageId)) {
      await refuse(req, res, malformed(`has no usable ${PROPERTY.messageId} header`), ids);
      return;
    }
    if (!ROUTE.test(route)) {
      await refuse(req, res, malformed(`has no usable ${PROPERTY.route} header`), ids);
      return;
    }
    if (routes !== undefined && !routes.has(route)) {
      await refuse(
        req,
        res,
        new RelayWorkError('RELAY_E_WORK_ROUTE', `no route ${route.slice(0, 64)} on this relay`),
        ids,
      );
      return;
    }

    // The envelope: metadata, key, staleness. Failures here are answered before any body.
    let plain: OpenStream;
    let kid: string;
    let key: Buffer;
    try {
      const metadata = parseMetadata(req.headers);
      kid = metadata?.kid ?? deps.keys.primary.kid;
      const held = deps.keys.get(kid);
      if (held === undefined) {
        throw new EnvelopeError(
          'ENV_E_KID',
          `the request is sealed under key id ${kid}, which this relay does not hold`,
        );
      }
      key = held;
      plain = createOpenStream(
        {
          tenant: options.tenant,
          messageId,
          route,
          direction: 'c2r',
          key,
          kid,
          deps: { clock: scheduler },
          policy: {
            requireSealed: options.profile === 'production',
            ttlMs: options.maxRequestAgeMs,
            skewMs: options.skewMs,
          },
        },
        metadata,
      );
    } catch (e) {
      await refuse(req, res, envelopeRefused(e), ids);
      return;
    }

    let bodyError: unknown;
    plain.on('error', (e) => {
      bodyError = e;
    });
    req.body.on('error', (e) => plain.destroy(e));
    req.body.pipe(plain);
    // The dispatcher is called only once the first segment verified (or the body ended): a body
    // of up to one segment (64 KiB) is then wholly authentic before anything acts on it.
    try {
      await firstSegment(plain, req.signal);
    } catch (e) {
      plain.destroy();
      await refuse(req, res, envelopeRefused(bodyError ?? e), ids);
      return;
    }

    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(req.headers)) {
      if (!name.startsWith('rc-')) headers[name] = value;
    }
    let result: SealedHcResult;
    try {
      result = checkResult(
        await deps.dispatch({
          via: 'hybrid',
          route,
          messageId,
          method: req.method,
          target: req.target,
          headers: Object.freeze(headers),
          body: plain,
          sealed: plain.sealed,
          kid: plain.sealed ? kid : undefined,
          signal: req.signal,
        }),
        route,
      );
    } catch (e) {
      plain.destroy();
      // A typed refusal of the dispatcher (unknown route, content refused, back office down)
      // is answered with its own code and status; anything else is a 500 without detail. A
      // body that failed to open (a bad segment) wins over what the dispatcher made of it; a
      // body the dispatcher itself destroyed with its refusal (a content check that stopped
      // reading) does not.
      const openingFailed =
        bodyError !== undefined &&
        (bodyError instanceof EnvelopeError || bodyError instanceof RelayWorkError);
      const error =
        openingFailed || (bodyError !== undefined && !isRelaycheckError(e))
          ? envelopeRefused(bodyError)
          : isRelaycheckError(e) && e.http !== undefined
            ? e
            : new RelayWorkError(
                'RELAY_E_WORK_HANDLER',
                `the dispatcher of ${route.slice(0, 64)} failed`,
              );
      await refuse(req, res, error, ids);
      return;
    }

    // Seal the answer under the request's key id and stream it.
    const sealing = createSealStream({
      tenant: options.tenant,
      messageId,
      route,
      direction: 'r2c',
      key,
      kid,
      deps: { clock: scheduler, random: randomBytes },
    });
    const out: Record<string, string> = {};
    for (const [name, value] of Object.entries(result.headers ?? {})) {
      if (!name.toLowerCase().startsWith('rc-')) out[name] = value;
    }
    Object.assign(out, metadataToHeaders(sealing.metadata));
    try {
      res.status(result.status, undefined, out);
    } catch (e) {
      sealing.stream.destroy();
      await refuse(
        req,
        res,
        new RelayWorkError(
          'RELAY_E_WORK_HANDLER',
          `the dispatcher answered an unusable status or header: ${e instanceof Error ? e.message.slice(0, 120) : ''}`,
        ),
        ids,
      );
      return;
    }
    const source =
      result.body === undefined
        ? Readable.from([])
        : Buffer.isBuffer(result.body)
          ? Readable.from([result.body])
          : result.body;
    try {
      await pipeline(source, sealing.stream, res.body);
    } catch (e) {
      plain.destroy();
      publishWork({
        via: 'hybrid',
        ...ids,
        outcome: 'answered',
        status: result.status,
        code: 'RELAY_E_WORK_HANDLER',
      });
      throw new RelayWorkError(
        'RELAY_E_WORK_HANDLER',
        `the answer of ${route.slice(0, 64)} failed while streaming: ${e instanceof Error ? e.message.slice(0, 120) : ''}`,
      );
    }
    // The answer is complete: whatever the dispatcher left of the request body is drained.
    if (!plain.readableEnded) plain.resume();
    publishWork({ via: 'hybrid', ...ids, outcome: 'answered', status: result.status });
  };
}

/** Resolves when `stream` has its first verified bytes buffered, or ended; rejects on error. */
function firstSegment(stream: Readable, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const cleanup = (): void => {
      stream.off('readable', done);
      stream.off('error', fail);
      signal.removeEventListener('abort', aborted);
    };
    const done = (): void => {
      cleanup();
      resolve();
    };
    const fail = (e: unknown): void => {
      cleanup();
      reject(e instanceof Error ? e : new Error('the request body failed'));
    };
    const aborted = (): void => {
      fail(new RelayWorkError('RELAY_E_WORK_HANDLER', 'the listener gave up on the request'));
    };
    if (signal.aborted) {
      aborted();
      return;
    }
    stream.on('readable', done);
    stream.once('error', fail);
    signal.addEventListener('abort', aborted, { once: true });
  });
}

function malformed(what: string): RelayWorkError {
  return new RelayWorkError('RELAY_E_WORK_MALFORMED', `the request ${what}`);
}

function envelopeRefused(e: unknown): RelayWorkError {
  if (e instanceof EnvelopeError) {
    return new RelayWorkError('RELAY_E_WORK_ENVELOPE', `${e.code}: ${e.message}`, {
      envCode: e.code,
    });
  }
  if (e instanceof RelayWorkError) return e;
  return new RelayWorkError('RELAY_E_WORK_HANDLER', 'the request could not be opened');
}

function checkResult(result: unknown, route: string): SealedHcResult {
  const bad = (what: string): RelayWorkError =>
    new RelayWorkError(
      'RELAY_E_WORK_HANDLER',
      `the dispatcher of ${route.slice(0, 64)} returned ${what}`,
    );
  if (typeof result !== 'object' || result === null) throw bad('no result');
  const r = result as Partial<SealedHcResult>;
  if (typeof r.status !== 'number' || !Number.isInteger(r.status)) throw bad('no status');
  if (r.body !== undefined && !Buffer.isBuffer(r.body) && !(r.body instanceof Readable)) {
    throw bad('a body that is neither a Buffer nor a Readable');
  }
  return r as SealedHcResult;
}

/** The rc-* header names an HC request carries (lower case), for senders and docs. */
export const HC_REQUEST_HEADERS: readonly string[] = Object.freeze([
  ...Object.values(METADATA_FIELDS),
  PROPERTY.messageId,
  PROPERTY.route,
]);
