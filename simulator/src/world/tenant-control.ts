// The tenant's control API: drive "the digital services" by hand (`relaycheck tenant`). In:
// JSON over HTTP on loopback (POST /work, POST /call, GET /sessions), bodies up to 64 MiB
// (base64 included). Out: the world's TenantDriver called with validated options; its answers
// as JSON (bodies base64, and as text when they are text), or written to a new file
// (`saveTo`); typed errors as {code, message, details} with their HTTP status (422 for a
// dead-lettered request, 504 for a timeout). Never a key, token or full session id.
//
//   POST /work      {route, body? | bodyBase64?, messageId?, contentType?, properties?,
//                    timeoutMs?, instanceId?} → {messageId, route, status, contentType, kid,
//                    size, bodyBase64, bodyText?}
//   POST /call      {path, method?, headers?, body? | bodyBase64?, connection?, route?,
//                    messageId?, instanceId?, saveTo?} → {status, headers, sealed, messageId,
//                    route, size, bodyBase64, bodyText?} or, with saveTo, {…, savedTo, sha256}
//   GET  /sessions  {tenant, sessions: [{instanceId, kid, sid (8 chars), ttl, createdAt,
//                    expiresAt, caps}]}
import { createHash } from 'node:crypto';
import { open, rm } from 'node:fs/promises';
import { isAbsolute } from 'node:path';
import { z } from 'zod';
import { RelaycheckError } from '../../../relay/src/protocol/errors';
import type { TenantDriver } from '../cloud/tenant';
import { SimControlError, startControlServer, type ControlApi } from '../control/json-http';

/** The part of the driver the control API uses (a test can hand in a fake). */
export type TenantControlDriver = Pick<TenantDriver, 'tenant' | 'sessions' | 'sendWork' | 'call'>;

export interface TenantControlOptions {
  readonly host?: string | undefined;
  readonly port?: number | undefined;
  /** Largest request body read, JSON and base64 included (default 64 MiB). */
  readonly maxBodyBytes?: number | undefined;
  /** Requests handled at once; later ones wait their turn (default 4). */
  readonly maxConcurrent?: number | undefined;
}

export const TENANT_CONTROL_MAX_BODY = 64 * 1024 * 1024;
const DEFAULT_CONCURRENCY = 4;

// The envelope's own forms (relay/src/protocol/envelope.ts): printable ASCII but '|'.
const ROUTE = /^[!-{}~]{1,256}$/;
const MESSAGE_ID = /^[!-{}~]{1,128}$/;
const INSTANCE_ID = /^[A-Za-z0-9._:@-]{1,128}$/;
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,64}$/;
// eslint-disable-next-line no-control-regex
const HEADER_VALUE = /^[^\u0000-\u0008\u000a-\u001f\u007f]{0,8192}$/;
// eslint-disable-next-line no-control-regex
const PATH = /^\/[^\u0000-\u0020\u007f]{0,2047}$/;
// eslint-disable-next-line no-control-regex
const MEDIA_TYPE = /^[^\u0000-\u001f\u007f]{1,256}$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

const bodyFields = {
  body: z.string().optional(),
  bodyBase64: z.string().regex(BASE64, 'must be base64 text').optional(),
};

const workSchema = z.strictObject({
  route: z.string().regex(ROUTE, 'must be 1-256 printable ASCII characters, no "|"'),
  ...bodyFields,
  messageId: z
    .string()
    .regex(MESSAGE_ID, 'must be 1-128 printable ASCII characters, no "|"')
    .optional(),
  contentType: z.string().regex(MEDIA_TYPE, 'a media type').optional(),
  properties: z
    .record(z.string().min(1).max(128), z.union([z.string().max(4096), z.number(), z.boolean()]))
    .refine((p) => Object.keys(p).length <= 64, 'at most 64 properties')
    .refine(
      (p) => Object.keys(p).every((k) => !k.toLowerCase().startsWith('rc-')),
      'names starting rc- are reserved for the envelope',
    )
    .optional(),
  timeoutMs: z.int().min(10).max(3_600_000).optional(),
  instanceId: z.string().regex(INSTANCE_ID, 'a relay instance id').optional(),
});

const callSchema = z.strictObject({
  path: z.string().regex(PATH, 'must start with "/" and hold no spaces or control characters'),
  method: z
    .string()
    .regex(TOKEN, 'an HTTP method')
    .transform((m) => m.toUpperCase())
    .optional(),
  headers: z
    .record(z.string().regex(TOKEN, 'a header name'), z.string().regex(HEADER_VALUE, 'a value'))
    .refine((h) => Object.keys(h).length <= 64, 'at most 64 headers')
    .optional(),
  ...bodyFields,
  connection: z.string().regex(ROUTE, 'a Hybrid Connection name').optional(),
  route: z.string().regex(ROUTE, 'must be 1-256 printable ASCII characters, no "|"').optional(),
  messageId: z
    .string()
    .regex(MESSAGE_ID, 'must be 1-128 printable ASCII characters, no "|"')
    .optional(),
  instanceId: z.string().regex(INSTANCE_ID, 'a relay instance id').optional(),
  saveTo: z
    .string()
    .min(1)
    .max(4096)
    .refine((p) => isAbsolute(p), 'must be an absolute path')
    .optional(),
});

function bad(message: string): SimControlError {
  return new SimControlError('SIM_E_CTL_REQUEST', message);
}

function parse<T>(schema: z.ZodType<T>, input: unknown, what: string): T {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const where = (issue?.path ?? []).map(String).join('.');
  throw bad(`${what}${where === '' ? '' : ` "${where}"`}: ${issue?.message ?? 'invalid'}`);
}

function bodyOf(input: { body?: string | undefined; bodyBase64?: string | undefined }): Buffer {
  if (input.body !== undefined && input.bodyBase64 !== undefined) {
    throw bad('give "body" or "bodyBase64", not both');
  }
  if (input.bodyBase64 !== undefined) return Buffer.from(input.bodyBase64, 'base64');
  return Buffer.from(input.body ?? '', 'utf8');
}

const TEXT_TYPE =
  /^(?:text\/[^;\s]+|application\/(?:[A-Za-z0-9.+-]+\+)?(?:xml|json)|application\/(?:problem\+json|x-www-form-urlencoded))\s*(?:;|$)/i;

/** The body as text when its media type is text, XML or JSON and the bytes are UTF-8. */
export function textOf(contentType: string | undefined, body: Buffer): string | undefined {
  if (contentType === undefined || !TEXT_TYPE.test(contentType)) return undefined;
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(body);
  } catch {
    return undefined;
  }
}

function rendered(contentType: string | undefined, body: Buffer): Record<string, unknown> {
  const text = textOf(contentType, body);
  return {
    size: body.length,
    bodyBase64: body.toString('base64'),
    ...(text === undefined ? {} : { bodyText: text }),
  };
}

/** Writes `body` to a new file at `path` (never replacing one); the SHA-256 of the bytes. */
async function saveNew(path: string, body: Buffer): Promise<string> {
  let file;
  try {
    // 'wx': an existing name is refused, and a symbolic link at the name is never followed.
    file = await open(path, 'wx', 0o644);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'unknown error';
    throw bad(
      code === 'EEXIST'
        ? `"saveTo": ${path} already exists; the control API writes new files only`
        : `"saveTo": ${path} cannot be created (${code})`,
    );
  }
  try {
    await file.writeFile(body);
    await file.sync();
  } catch (e) {
    await file.close().catch(() => undefined);
    await rm(path, { force: true }).catch(() => undefined);
    throw bad(
      `"saveTo": ${path} could not be written (${(e as NodeJS.ErrnoException).code ?? 'error'})`,
    );
  }
  await file.close();
  return createHash('sha256').update(body).digest('hex');
}

/** Routes one control request against the driver. */
export async function handleTenantControl(
  driver: TenantControlDriver,
  method: string,
  url: URL,
  body: () => Promise<unknown>,
): Promise<unknown> {
  const route = `${method} ${url.pathname}`;
  switch (route) {
    case 'GET /sessions':
      return {
        tenant: driver.tenant,
        sessions: driver.sessions().map((s) => ({
          instanceId: s.instanceId,
          kid: s.kid,
          sid: s.sid.slice(0, 8),
          ttl: s.ttl,
          createdAt: new Date(s.createdAt).toISOString(),
          expiresAt: new Date(s.expiresAt).toISOString(),
          caps: [...s.caps],
        })),
      };
    case 'POST /work': {
      const w = parse(workSchema, await body(), 'POST /work');
      const reply = await driver.sendWork(w.route, bodyOf(w), {
        ...(w.messageId === undefined ? {} : { messageId: w.messageId }),
        ...(w.contentType === undefined ? {} : { contentType: w.contentType }),
        ...(w.properties === undefined ? {} : { properties: w.properties }),
        ...(w.timeoutMs === undefined ? {} : { timeoutMs: w.timeoutMs }),
        ...(w.instanceId === undefined ? {} : { instanceId: w.instanceId }),
      });
      return {
        messageId: reply.messageId,
        route: reply.route,
        status: reply.status,
        contentType: reply.contentType ?? null,
        kid: reply.kid,
        ...rendered(reply.contentType, reply.body),
      };
    }
    case 'POST /call': {
      const c = parse(callSchema, await body(), 'POST /call');
      const sent = bodyOf(c);
      const reply = await driver.call(c.path, {
        ...(c.method === undefined ? {} : { method: c.method }),
        ...(c.headers === undefined ? {} : { headers: c.headers }),
        ...(c.body === undefined && c.bodyBase64 === undefined ? {} : { body: sent }),
        ...(c.connection === undefined ? {} : { connection: c.connection }),
        ...(c.route === undefined ? {} : { route: c.route }),
        ...(c.messageId === undefined ? {} : { messageId: c.messageId }),
        ...(c.instanceId === undefined ? {} : { instanceId: c.instanceId }),
      });
      const head = {
        status: reply.status,
        headers: reply.headers,
        sealed: reply.sealed,
        messageId: reply.messageId,
        route: reply.route,
      };
      if (c.saveTo !== undefined) {
        const sha256 = await saveNew(c.saveTo, reply.body);
        return { ...head, savedTo: c.saveTo, size: reply.body.length, sha256 };
      }
      return { ...head, ...rendered(reply.headers['content-type'], reply.body) };
    }
    default:
      throw new SimControlError('SIM_E_CTL_ROUTE', `no route ${method} ${url.pathname}`);
  }
}

/** The HTTP status of a typed error: a refused tenant option is the caller's mistake. */
function statusOf(e: RelaycheckError): number {
  if (e.code === 'SIM_E_TENANT_CONFIG') return 400;
  return e.http ?? 500;
}

/** Starts the tenant control API on loopback (port 0 unless given). */
export function startTenantControl(
  driver: TenantControlDriver,
  options: TenantControlOptions = {},
): Promise<ControlApi> {
  return startControlServer((method, url, body) => handleTenantControl(driver, method, url, body), {
    host: options.host,
    port: options.port,
    statusOf,
    maxBodyBytes: options.maxBodyBytes ?? TENANT_CONTROL_MAX_BODY,
    maxConcurrent: options.maxConcurrent ?? DEFAULT_CONCURRENCY,
    errorDetails: true,
  });
}
