// Small adapters between the messaging code and the @azure/service-bus SDK. In: an injected
// ServiceBusClient (or a factory the lead points at the tcp or https path), received messages
// and SDK errors. Out: the current client, one cached sender per entity on it (re-made when the
// factory hands out another client), message fields as checked text or bytes, and an SDK error's
// code. No other IO.
import type { ServiceBusClient, ServiceBusSender } from '@azure/service-bus';

/** The client itself, or a factory asked each time one is needed (it may hand out a new one). */
export type ServiceBusSource = ServiceBusClient | (() => ServiceBusClient);

/** Normalises a ServiceBusSource to a factory. */
export function clientFactory(source: ServiceBusSource): () => ServiceBusClient {
  return typeof source === 'function' ? source : () => source;
}

/** Senders on the current client, re-made when the client changes; close() closes them. */
export class SenderCache {
  #client: ServiceBusClient | undefined;
  #senders = new Map<string, ServiceBusSender>();

  get(client: ServiceBusClient, entity: string): ServiceBusSender {
    if (client !== this.#client) {
      void this.close();
      this.#client = client;
    }
    let sender = this.#senders.get(entity);
    if (sender === undefined || sender.isClosed) {
      sender = client.createSender(entity);
      this.#senders.set(entity, sender);
    }
    return sender;
  }

  async close(): Promise<void> {
    const senders = [...this.#senders.values()];
    this.#senders = new Map();
    this.#client = undefined;
    await Promise.allSettled(senders.map((s) => s.close()));
  }
}

/** The `code` of an SDK error (ServiceBusError, MessagingError, AbortError), else its name. */
export function sbCode(e: unknown): string {
  if (typeof e === 'object' && e !== null) {
    if ('code' in e && typeof e.code === 'string') return e.code;
    if ('name' in e && typeof e.name === 'string') return e.name;
  }
  return 'Error';
}

/** Codes of a lost or unreachable connection (SDK and Node system errors). */
const COMMUNICATION_CODES: ReadonlySet<string> = new Set([
  'ServiceCommunicationProblem',
  'ServiceCommunicationError',
  'ConnectionForcedError',
  'ECONNRESET',
  'ECONNREFUSED',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
]);

/**
 * True for Service Bus throttling (com.microsoft:server-busy: the SDK's ServiceBusy, core-amqp's
 * ServerBusyError): the namespace is over its limits and asks its clients to wait and try again.
 * It is not a lost connection: tearing the connection down and building it again only adds
 * load; the SDK retries after its retry delay.
 */
export function isThrottling(e: unknown): boolean {
  const code = sbCode(e);
  return code === 'ServiceBusy' || code === 'ServerBusyError';
}

/** True for an error that says the connection to Service Bus was lost or cannot be made. */
export function isCommunicationProblem(e: unknown): boolean {
  return COMMUNICATION_CODES.has(sbCode(e));
}

/** A short, secret-free description of an SDK error for a message (never a token). */
export function sbReason(e: unknown): string {
  const text = e instanceof Error ? e.message : String(e);
  return text.replace(/SharedAccess\w*=[^;\s]*/gi, 'SharedAccess…=[redacted]').slice(0, 200);
}

/** A message body as bytes: Buffers and typed arrays as they are, text as UTF-8, else undefined. */
export function bodyBytes(body: unknown): Buffer | undefined {
  if (Buffer.isBuffer(body)) return body;
  if (body instanceof Uint8Array) return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  if (typeof body === 'string') return Buffer.from(body, 'utf8');
  return undefined;
}

/** A message id or correlation id as text (the SDK may hand out strings, numbers or Buffers). */
export function idText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (Buffer.isBuffer(value)) return value.toString('hex');
  return undefined;
}
