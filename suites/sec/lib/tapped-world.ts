// A world whose tenant traffic is captured as it leaves for the namespaces, for the SEC cases
// that move, replay or reflect what an observer between the council's cloud and its relay
// saw. In: a tap test, world and relay config changes. Out: the relay world (startRelayWorld)
// with the world's own tenant driver replaced by one whose Service Bus senders record every
// message they send (requests, handshake-replies: body, properties, ids) and whose Hybrid
// Connections calls go through a loopback recording proxy (method, path, headers, body) to the
// sender front; a second Service Bus client on the tenant's rule for the cases' own sends;
// resend helpers; the reference relay as a child process, started when the case asks.
import diagnostics from 'node:diagnostics_channel';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  ServiceBusClient,
  type ServiceBusMessage,
  type ServiceBusSender,
} from '@azure/service-bus';
import { request } from 'undici';
import type { BackOffice } from '../../../simulator/src/backoffice';
import {
  startTenantDriver,
  TENANT_CHANNELS,
  type TenantDriver,
} from '../../../simulator/src/cloud/tenant';
import { RELAY_ENTITIES } from '../../../simulator/src/world/relay-file';
import type { RelayChild } from '../../lib/relay-child';
import { startRelayWorld, type Json, type RelayWorld } from '../../lib/relay-world';

/** One Service Bus message as the tenant handed it to its sender. */
export interface CapturedMessage {
  readonly entity: string;
  readonly message: Omit<ServiceBusMessage, 'body'> & { readonly body: Buffer };
}

/** One Hybrid Connections request as it went to the sender front. */
export interface CapturedRequest {
  readonly method: string;
  /** Path and query, as sent. */
  readonly target: string;
  /** Lower-case names, hop-by-hop ones left out. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
}

export interface TappedWorld {
  readonly rw: RelayWorld;
  readonly backOffice: BackOffice;
  /** The tenant's rule on the plain loopback listener, for the case's own sends. */
  readonly sb: ServiceBusClient;
  /** What the tenant sent on Service Bus, in order. */
  readonly sent: readonly CapturedMessage[];
  /** What the tenant sent through the Hybrid Connections front, in order. */
  readonly calls: readonly CapturedRequest[];
  /** Called with each tenant message before it is sent (e.g. to send a copy at once). */
  onSend: ((captured: CapturedMessage) => Promise<void>) | undefined;
  /** Starts the tapped tenant driver (already started unless `tenant: 'later'`). */
  startTenant(): Promise<TenantDriver>;
  /** The tapped tenant driver; throws before startTenant. */
  tenant(): TenantDriver;
  /** Starts the reference relay on the world's config (with `relay` changes) and waits live. */
  startRelay(options?: { readonly live?: boolean }): Promise<RelayChild>;
  /** Sends one message on `entity` with the case's own client. */
  send(entity: string, message: ServiceBusMessage): Promise<void>;
  /** Sends a request straight to the sender front (no proxy); the answer collected. */
  sendRequest(
    req: CapturedRequest,
  ): Promise<{ status: number; headers: Record<string, string>; body: Buffer }>;
  /** Stops the relay, the tenant, the clients and the proxy (before the world's teardown). */
  close(): Promise<void>;
}

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'transfer-encoding',
  'host',
  'content-length',
  'upgrade',
  'te',
  'trailer',
  'proxy-connection',
]);

function flat(
  headers: IncomingMessage['headers'] | Record<string, string | string[]>,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) {
    if (v === undefined || HOP_BY_HOP.has(k.toLowerCase())) continue;
    out[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
  }
  return out;
}

/** Largest request body the proxy records (the cases send small ones). */
const MAX_CAPTURE_BYTES = 16 * 1024 * 1024;

async function bodyOf(req: IncomingMessage): Promise<Buffer> {
  const parts: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const b = chunk as Buffer;
    size += b.length;
    if (size > MAX_CAPTURE_BYTES) throw new Error('the captured request is too large');
    parts.push(b);
  }
  return Buffer.concat(parts, size);
}

async function forward(
  base: string,
  req: CapturedRequest,
): Promise<{ status: number; headers: Record<string, string>; body: Buffer }> {
  const res = await request(`${base.replace(/\/+$/, '')}${req.target}`, {
    method: req.method as 'POST',
    headers: req.headers,
    body: req.body.length === 0 && req.method === 'GET' ? undefined : req.body,
  });
  const body = Buffer.from(await res.body.arrayBuffer());
  return { status: res.statusCode, headers: flat(res.headers), body };
}

/** A loopback HTTP proxy that records each request and passes it on to `front`. */
async function recordingProxy(
  front: string,
  calls: CapturedRequest[],
): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    void (async () => {
      try {
        const captured: CapturedRequest = {
          method: req.method ?? 'GET',
          target: req.url ?? '/',
          headers: flat(req.headers),
          body: await bodyOf(req),
        };
        calls.push(captured);
        const answer = await forward(front, captured);
        res.writeHead(answer.status, answer.headers);
        res.end(answer.body);
      } catch {
        if (!res.headersSent) res.writeHead(502);
        res.end();
      }
    })();
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${String(port)}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          resolve();
        });
      }),
  };
}

function copyOf(message: ServiceBusMessage): CapturedMessage['message'] {
  const raw: unknown = message.body;
  const body = Buffer.isBuffer(raw)
    ? Buffer.from(raw)
    : typeof raw === 'string'
      ? Buffer.from(raw, 'utf8')
      : Buffer.from(JSON.stringify(raw));
  return {
    ...message,
    body,
    ...(message.applicationProperties === undefined
      ? {}
      : { applicationProperties: { ...message.applicationProperties } }),
  };
}

/** Makes every sender of `sb` record (and pass to `hook`) what it sends. */
function wiretap(
  sb: ServiceBusClient,
  sent: CapturedMessage[],
  hook: () => TappedWorld['onSend'],
): void {
  const create = sb.createSender.bind(sb);
  sb.createSender = (entity: string, options?: object): ServiceBusSender => {
    const sender = create(entity, options);
    const send = sender.sendMessages.bind(sender);
    sender.sendMessages = async (messages: unknown, opts?: object): Promise<void> => {
      const list = Array.isArray(messages) ? (messages as ServiceBusMessage[]) : [messages];
      const captured = list
        .filter((m): m is ServiceBusMessage => typeof m === 'object' && m !== null && 'body' in m)
        .map((m) => ({ entity, message: copyOf(m) }));
      sent.push(...captured);
      const fn = hook();
      await Promise.all([
        send(messages as ServiceBusMessage, opts),
        ...(fn === undefined ? [] : captured.map((c) => fn(c))),
      ]);
    };
    return sender;
  };
}

/** Resolves with the first `channel` message for which `match` holds. */
function nextMessage(
  channel: string,
  match: (m: Record<string, unknown>) => boolean,
): Promise<void> {
  return new Promise((resolve) => {
    const fn = (m: unknown): void => {
      if (!match(m as Record<string, unknown>)) return;
      diagnostics.unsubscribe(channel, fn);
      resolve();
    };
    diagnostics.subscribe(channel, fn);
  });
}

/** The message id prefix of the probes below; cases leave these messages out of their counts. */
export const PROBE_PREFIX = 'sec-probe-';

/**
 * Resolves once the world's tenant driver (watchDeadLetters on) has its HELLO and dead-letter
 * receivers running: it answers a HELLO with no reply session (dead-lettered as unanswerable)
 * and reports a request we dead-letter ourselves (`sb`: a client with Send and Listen, e.g. on
 * the tenant's rule). Call it before closing that driver early. A driver closed while the SDK is still setting one of them up leaves
 * it retrying, on a 30 s timer that its close() does not clear and that holds the test up.
 */
export async function waitForTenantDriverUp(sb: ServiceBusClient): Promise<void> {
  const id = `${PROBE_PREFIX}${randomUUID()}`;
  const hello = nextMessage(TENANT_CHANNELS.hello, (m) => m.messageId === id);
  const dead = nextMessage(TENANT_CHANNELS.deadLetter, (m) => m.messageId === id);
  const handshake = sb.createSender('handshake');
  const requests = sb.createSender('requests');
  try {
    await handshake.sendMessages({ body: Buffer.from('{}'), messageId: id, subject: 'hello' });
    await requests.sendMessages({ body: Buffer.from('probe'), messageId: id, subject: 'probe' });
  } finally {
    await handshake.close();
    await requests.close();
  }
  const receiver = sb.createReceiver('requests', { receiveMode: 'peekLock' });
  try {
    const [m] = await receiver.receiveMessages(1, { maxWaitTimeInMs: 10_000 });
    if (m === undefined) throw new Error('the probe request was not received');
    await receiver.deadLetterMessage(m, {
      deadLetterReason: 'SEC_PROBE',
      deadLetterErrorDescription: 'a probe of the tenant driver',
    });
  } finally {
    await receiver.close();
  }
  await Promise.all([hello, dead]);
}

export async function startTappedWorld(
  t: tap.Test,
  options: {
    readonly world?: Json;
    readonly relay?: (config: Json) => void;
    /** 'later': the case starts the tenant itself (startTenant), e.g. after the relay. */
    readonly tenant?: 'now' | 'later';
  } = {},
): Promise<TappedWorld> {
  const rw = await startRelayWorld(t, options.world === undefined ? {} : { world: options.world });
  const { world } = rw;
  const plain = world.serviceBus?.listeners.plain;
  const front = world.hybrid?.listeners.plain;
  const tenantCfg = world.config.tenant;
  const sbRule = world.config.serviceBus?.authorizationRules.find((r) => r.keyName === 'tenant');
  const hcRule = world.config.hybrid?.authorizationRules.find((r) => r.keyName === 'cloud-tenant');
  if (
    world.tenant === undefined ||
    world.backOffice === undefined ||
    world.hybrid === undefined ||
    plain === undefined ||
    front === undefined ||
    tenantCfg === undefined ||
    sbRule === undefined ||
    hcRule === undefined
  ) {
    throw new Error('the world lacks a tenant, back office, plain listeners or tenant rules');
  }
  const connectionString = `Endpoint=sb://${plain.host}:${String(plain.port)};SharedAccessKeyName=${sbRule.keyName};SharedAccessKey=${sbRule.key};UseDevelopmentEmulator=true`;
  const sent: CapturedMessage[] = [];
  const calls: CapturedRequest[] = [];
  // Short retry delays: a retry the SDK has scheduled outlives close() and would hold the
  // process (and the test file) up for as long as its delay, up to 30 s by default.
  const clientOptions = {
    retryOptions: { maxRetries: 3, retryDelayInMs: 100, maxRetryDelayInMs: 1_000 },
  };
  const tapped = new ServiceBusClient(connectionString, clientOptions);
  const own = new ServiceBusClient(connectionString, clientOptions);
  const proxy = await recordingProxy(front.url, calls);
  // The world's own driver would answer HELLOs too: this case's driver replaces it.
  await waitForTenantDriverUp(own);
  await world.tenant.close();
  let tenant: TenantDriver | undefined;
  let relay: RelayChild | undefined;
  const senders = new Map<string, ServiceBusSender>();
  let closed = false;
  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    // The Service Bus clients first: closed after the relay process went, their session links
    // on handshake-replies and replies wait for ever on their detach.
    await tenant?.close();
    for (const s of senders.values()) await s.close().catch(() => undefined);
    await tapped.close();
    await own.close();
    await relay?.stop();
    await proxy.close();
  };
  t.teardown(close);
  const hybridHost = world.hybrid.host;
  const startTenant = async (): Promise<TenantDriver> => {
    if (tenant !== undefined) return tenant;
    tenant = await startTenantDriver({
      tenant: tenantCfg.id,
      keys: tenantCfg.keys.map((k) => ({ kid: k.kid, key: k.secret })),
      entities: { ...RELAY_ENTITIES },
      watchDeadLetters: true,
      serviceBus: tapped,
      hybrid: { url: proxy.url, host: hybridHost, keyName: hcRule.keyName, key: hcRule.key },
    });
    return tenant;
  };
  const result: TappedWorld = {
    rw,
    backOffice: world.backOffice,
    sb: own,
    sent,
    calls,
    onSend: undefined,
    startTenant,
    tenant: () => {
      if (tenant === undefined) throw new Error('the tapped tenant is not started');
      return tenant;
    },
    startRelay: async (o = {}) => {
      const path =
        options.relay === undefined
          ? rw.relayConfigPath
          : rw.writeRelayConfig('relay-sec.json', options.relay);
      relay = rw.startRelay(path);
      if (o.live !== false) await rw.live(relay);
      return relay;
    },
    send: async (entity, message) => {
      let s = senders.get(entity);
      if (s === undefined) {
        s = own.createSender(entity);
        senders.set(entity, s);
      }
      await s.sendMessages(message);
    },
    sendRequest: (req) => forward(front.url, req),
    close,
  };
  wiretap(tapped, sent, () => result.onSend);
  if (options.tenant !== 'later') await startTenant();
  return result;
}
