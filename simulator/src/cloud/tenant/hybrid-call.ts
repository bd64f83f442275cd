// The tenant driver's synchronous path: one HTTP request through the Hybrid Connections sender
// front. In: the sender config (URL, logical host, Send rule, CA), the sealing material (tenant,
// kid, K), a path and a request (method, headers, body as Buffer or stream). Out: the body sealed
// (c2r) with rc-* headers, rc-message-id and rc-route, a Send token in ServiceBusAuthorization;
// the answer opened (r2c) and collected, or a plain refusal passed through as it came. IO:
// undici only (one Agent per driver, trusting the configured CA besides the system's).
import { randomUUID } from 'node:crypto';
import { Writable, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Agent, request } from 'undici';
import { createOpenStream, createSealStream } from '../../../../relay/src/protocol/envelope-stream';
import {
  EnvelopeError,
  metadataToHeaders,
  parseMetadata,
  sealBody,
} from '../../../../relay/src/protocol/envelope';
import type { Clock, RandomBytes } from '../../../../relay/src/protocol/primitives';
import { createSasToken } from '../../../../relay/src/protocol/sas';
import type { TenantDriverConfig } from './config';
import { TENANT_PROPERTY } from './contract';
import { SimTenantError } from './errors';

export interface CallOptions {
  readonly method?: string;
  readonly headers?: Readonly<Record<string, string>>;
  /** A Buffer (sent with its length) or a stream (sent chunked, sealed as it goes). */
  readonly body?: Buffer | Readable;
  /** The Hybrid Connection (default: the first path segment); the token is signed for it. */
  readonly connection?: string;
  /** The envelope route (default: the connection). */
  readonly route?: string;
  /** Message id the envelope is bound to (default a random UUID). */
  readonly messageId?: string;
  /** Send to this relay's session (its kid seals the body); default the newest session. */
  readonly instanceId?: string;
}

export interface CallReply {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
  /** False for a plain answer (a refusal by the relay or the service, or development). */
  readonly sealed: boolean;
  readonly messageId: string;
  readonly route: string;
}

export interface SealMaterial {
  readonly tenant: string;
  readonly kid: string;
  readonly key: Buffer;
  readonly clock: Clock;
  readonly random: RandomBytes;
}

type HybridConfig = NonNullable<TenantDriverConfig['hybrid']>;

/** One Agent per driver: keep-alive connections to the sender front, the CA trusted. */
export function hybridAgent(config: HybridConfig): Agent {
  return new Agent({
    connect: {
      ...(config.ca !== undefined ? { ca: config.ca } : {}),
      rejectUnauthorized: true,
      minVersion: 'TLSv1.2',
    },
  });
}

function flatHeaders(
  headers: Record<string, string | string[] | undefined>,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    out[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

/** Collects a stream into one Buffer, refusing more than `max` bytes. */
async function collect(source: Readable, max: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  await pipeline(
    source,
    new Writable({
      write(chunk: Buffer, _encoding, callback) {
        size += chunk.length;
        if (size > max) {
          callback(
            new SimTenantError('SIM_E_TENANT_REPLY', `the answer is larger than ${max} bytes`),
          );
          return;
        }
        chunks.push(chunk);
        callback();
      },
    }),
  );
  return Buffer.concat(chunks, size);
}

/** Sends one sealed request through the sender front and opens the answer. */
export async function hybridCall(
  config: TenantDriverConfig,
  agent: Agent,
  seal: SealMaterial,
  path: string,
  options: CallOptions,
): Promise<CallReply> {
  const hybrid = config.hybrid;
  if (hybrid === undefined) {
    throw new SimTenantError(
      'SIM_E_TENANT_CONFIG',
      'hybrid: call() needs the sender front configured',
      {
        path: 'hybrid',
      },
    );
  }
  const clean = path.replace(/^\/+/, '');
  const connection = options.connection ?? clean.split(/[/?#]/)[0] ?? '';
  if (connection === '') {
    throw new SimTenantError('SIM_E_TENANT_CONFIG', 'call(): the path names no Hybrid Connection');
  }
  const route = options.route ?? connection;
  const messageId = options.messageId ?? randomUUID();
  const binding = { tenant: seal.tenant, messageId, route };
  const deps = { clock: seal.clock, random: seal.random };

  let body: Buffer | Readable;
  let metadataHeaders: Record<string, string>;
  const source = options.body ?? Buffer.alloc(0);
  if (Buffer.isBuffer(source)) {
    const sealed = sealBody(
      { ...binding, direction: 'c2r', key: seal.key, kid: seal.kid, deps },
      source,
    );
    body = sealed.sealed;
    metadataHeaders = metadataToHeaders(sealed.metadata);
  } else {
    const sealing = createSealStream({
      ...binding,
      direction: 'c2r',
      key: seal.key,
      kid: seal.kid,
      deps,
    });
    source.on('error', (e) => sealing.stream.destroy(e));
    body = source.pipe(sealing.stream);
    metadataHeaders = metadataToHeaders(sealing.metadata);
  }
  // The Send token is signed with real time: the service checks it against its own clock.
  const token = createSasToken({
    resource: `http://${hybrid.host}/${connection}`,
    keyName: hybrid.keyName,
    key: hybrid.key,
    ttlSeconds: hybrid.tokenTtlSeconds,
  });
  // Caller headers first (lower-cased, rc-* and authorization ones dropped), then ours.
  const headers: Record<string, string> = { 'content-type': 'application/octet-stream' };
  for (const [name, value] of Object.entries(options.headers ?? {})) {
    const lower = name.toLowerCase();
    if (
      lower.startsWith('rc-') ||
      lower === 'servicebusauthorization' ||
      lower === 'authorization'
    ) {
      continue;
    }
    headers[lower] = value;
  }
  Object.assign(headers, metadataHeaders, {
    [TENANT_PROPERTY.messageId]: messageId,
    [TENANT_PROPERTY.route]: route,
    ServiceBusAuthorization: token,
  });
  const url = `${hybrid.url.replace(/\/+$/, '')}/${clean}`;

  let answer: Awaited<ReturnType<typeof request>>;
  try {
    answer = await request(url, {
      method: (options.method ?? 'POST') as 'POST',
      headers,
      body,
      dispatcher: agent,
    });
  } catch (e) {
    throw new SimTenantError(
      'SIM_E_TENANT_TRANSPORT',
      `the sender front could not be reached: ${e instanceof Error ? e.message.slice(0, 160) : ''}`,
      { route },
    );
  }
  const answerHeaders = flatHeaders(answer.headers);
  const status = answer.statusCode;
  let metadata;
  try {
    metadata = parseMetadata(answerHeaders);
  } catch (e) {
    answer.body.resume();
    throw replyError(e, route, messageId);
  }
  if (metadata === undefined) {
    const plain = await collect(answer.body, hybrid.maxResponseBytes);
    if (status < 400 && config.profile === 'production') {
      throw new SimTenantError(
        'SIM_E_TENANT_REPLY',
        `the answer (status ${status}) is not sealed, which the production profile refuses`,
        { route, messageId, status },
      );
    }
    return { status, headers: answerHeaders, body: plain, sealed: false, messageId, route };
  }
  try {
    const opening = createOpenStream(
      {
        ...binding,
        direction: 'r2c',
        key: seal.key,
        kid: seal.kid,
        deps,
        policy: {
          requireSealed: config.profile === 'production',
          ttlMs: config.requestTtlMs,
          skewMs: config.skewMs,
        },
      },
      metadata,
    );
    answer.body.on('error', (e) => opening.destroy(e));
    const opened = await collect(answer.body.pipe(opening), hybrid.maxResponseBytes);
    return { status, headers: answerHeaders, body: opened, sealed: true, messageId, route };
  } catch (e) {
    answer.body.destroy();
    throw replyError(e, route, messageId);
  }
}

function replyError(e: unknown, route: string, messageId: string): SimTenantError {
  if (e instanceof SimTenantError) return e;
  if (e instanceof EnvelopeError) {
    return new SimTenantError(
      'SIM_E_TENANT_REPLY',
      `the answer does not open: ${e.code}: ${e.message}`,
      {
        route,
        messageId,
        envCode: e.code,
      },
    );
  }
  return new SimTenantError(
    'SIM_E_TENANT_TRANSPORT',
    `the answer could not be read: ${e instanceof Error ? e.message.slice(0, 160) : ''}`,
    { route, messageId },
  );
}
