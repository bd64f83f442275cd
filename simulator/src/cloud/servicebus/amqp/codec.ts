// Wire conversions of the simulated namespace's AMQP edge. In: rhea messages as decoded from
// transfers, engine snapshots and deliveries, lock tokens (uuid strings), times (ms). Out:
// IncomingMessage for the engine, the rhea message object sent to a receiver, delivery tags
// in .NET GUID byte order, .NET ticks. Pure: no IO.
import { message as rheaMessage, types, string_to_uuid, uuid_to_string } from 'rhea';
import type { IncomingMessage, MessageSnapshot } from '../engine/types';
import { MESSAGE_STATE_CODE } from '../engine/types';

/** The `message_format` of a batch: the body is a list of data sections, each a message. */
export const BATCH_FORMAT = 0x80013700;

/** Ticks (100 ns) between 0001-01-01 and 1970-01-01: .NET DateTime epoch offset. */
const DOTNET_EPOCH_TICKS = 621355968000000000n;

/** The fields of a decoded rhea message that the edge reads (rhea types them as any). */
export interface WireMessage {
  message_id?: unknown;
  correlation_id?: unknown;
  group_id?: unknown;
  subject?: unknown;
  to?: unknown;
  reply_to?: unknown;
  reply_to_group_id?: unknown;
  content_type?: unknown;
  ttl?: unknown;
  delivery_count?: unknown;
  message_annotations?: Record<string, unknown>;
  application_properties?: Record<string, unknown>;
  body?: unknown;
  [field: string]: unknown;
}

// ---------------------------------------------------------------------------------------
// Lock tokens and GUIDs

/** .NET writes the first three GUID groups little-endian: swap them (an involution). */
function dotnetOrder(bytes: Buffer): Buffer {
  const b = Buffer.from(bytes);
  const out = Buffer.from(b);
  out[0] = b[3] ?? 0;
  out[1] = b[2] ?? 0;
  out[2] = b[1] ?? 0;
  out[3] = b[0] ?? 0;
  out[4] = b[5] ?? 0;
  out[5] = b[4] ?? 0;
  out[6] = b[7] ?? 0;
  out[7] = b[6] ?? 0;
  return out;
}

/** The 16-byte delivery tag for a lock token (uuid string), in .NET GUID byte order. */
export function lockTokenToTag(lockToken: string): Buffer {
  return dotnetOrder(Buffer.from(string_to_uuid(lockToken)));
}

/** The lock token a delivery tag stands for; undefined when the tag is not 16 bytes. */
export function tagToLockToken(tag: Buffer | string | undefined): string | undefined {
  if (tag === undefined) return undefined;
  const bytes = typeof tag === 'string' ? Buffer.from(tag) : tag;
  if (bytes.length !== 16) return undefined;
  return uuid_to_string(dotnetOrder(bytes));
}

/** A uuid string from an AMQP uuid value (16 bytes, RFC order, as $management sends). */
export function uuidFromWire(value: unknown): string | undefined {
  if (Buffer.isBuffer(value) && value.length === 16) return uuid_to_string(value);
  if (
    typeof value === 'string' &&
    /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value)
  ) {
    return value.toLowerCase();
  }
  return undefined;
}

/** An AMQP uuid value for a uuid string (RFC order, as $management answers carry). */
export function uuidToWire(uuid: string): unknown {
  return types.wrap_uuid(string_to_uuid(uuid));
}

// ---------------------------------------------------------------------------------------
// Times and numbers

/** ms since 1970 → .NET ticks as an 8-byte big-endian long (link property locked-until-utc). */
export function msToTicks(ms: number): unknown {
  const ticks = BigInt(Math.round(ms)) * 10000n + DOTNET_EPOCH_TICKS;
  const b = Buffer.alloc(8);
  b.writeBigInt64BE(ticks);
  return types.wrap_long(b);
}

/** Ticks (a long as a Buffer or a number) → ms since 1970. */
export function ticksToMs(value: unknown): number | undefined {
  let ticks: bigint;
  if (Buffer.isBuffer(value) && value.length === 8) ticks = value.readBigInt64BE();
  else if (typeof value === 'number' && Number.isFinite(value)) ticks = BigInt(Math.trunc(value));
  else return undefined;
  return Number((ticks - DOTNET_EPOCH_TICKS) / 10000n);
}

/** A long as rhea decodes it (a number when safe, else 8 bytes) → a safe integer. */
export function longFromWire(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isSafeInteger(value)) return value;
  if (Buffer.isBuffer(value) && value.length === 8) {
    const n = value.readBigInt64BE();
    if (n <= BigInt(Number.MAX_SAFE_INTEGER) && n >= BigInt(Number.MIN_SAFE_INTEGER)) {
      return Number(n);
    }
  }
  return undefined;
}

/** A sequence number (or any integer) as an AMQP long. */
export function longToWire(n: number): unknown {
  return types.wrap_long(n);
}

/** A time as rhea decodes a timestamp (a Date) or a number of ms → ms. */
export function timeFromWire(value: unknown): number | undefined {
  if (value instanceof Date) return value.getTime();
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  return undefined;
}

// ---------------------------------------------------------------------------------------
// Messages

function text(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') {
    return String(value);
  }
  if (Buffer.isBuffer(value))
    return value.length === 16 ? uuid_to_string(value) : value.toString('hex');
  return undefined;
}

/** Decodes an encoded message (one data section of a batch, or a whole transfer). */
export function decodeMessage(bytes: Buffer): WireMessage {
  return rheaMessage.decode(bytes);
}

/** Encodes a rhea message object. */
export function encodeMessage(msg: WireMessage): Buffer {
  return rheaMessage.encode(msg);
}

/**
 * The sections of a batch transfer: each data section of the outer message is one encoded
 * message. Returns undefined when the body is not data sections.
 */
export function batchParts(outer: WireMessage): Buffer[] | undefined {
  const body = outer.body as
    { typecode?: number; content?: unknown; multiple?: boolean } | undefined;
  if (body?.typecode !== 0x75) return undefined;
  const content = body.content;
  if (Array.isArray(content)) {
    return content.every((c) => Buffer.isBuffer(c)) ? content : undefined;
  }
  return Buffer.isBuffer(content) ? [content] : undefined;
}

/** The IncomingMessage fields other than payload, size, messageId and sessionId. */
type RareFields = Omit<IncomingMessage, 'payload' | 'size' | 'messageId' | 'sessionId'>;

/**
 * An IncomingMessage whose payload is encoded bytes, kept as the memory they live in (slab
 * space, see slabs.ts) and their offset: a Buffer view per held message would cost ~100 bytes
 * of heap more. `payload` makes the view when a delivery asks for it. The common fields are
 * declared, so they live inside the object; the rare ones share one object, made only for a
 * message that has any (a property added later would cost a properties array of its own:
 * 100,000 held messages are 100,000 of these).
 */
class EncodedIncoming implements IncomingMessage {
  readonly #memory: ArrayBufferLike;
  readonly #offset: number;
  readonly #rare: RareFields | undefined;
  /** Encoded size in bytes: also the length of the payload. */
  readonly size: number;
  readonly messageId: string | undefined;
  readonly sessionId: string | undefined;

  constructor(
    bytes: Buffer,
    messageId: string | undefined,
    sessionId: string | undefined,
    rare: RareFields | undefined,
  ) {
    this.#memory = bytes.buffer;
    this.#offset = bytes.byteOffset;
    this.size = bytes.length;
    this.messageId = messageId;
    this.sessionId = sessionId;
    this.#rare = rare;
  }

  get payload(): Buffer {
    return Buffer.from(this.#memory, this.#offset, this.size);
  }
  get partitionKey(): string | undefined {
    return this.#rare?.partitionKey;
  }
  get correlationId(): string | undefined {
    return this.#rare?.correlationId;
  }
  get subject(): string | undefined {
    return this.#rare?.subject;
  }
  get to(): string | undefined {
    return this.#rare?.to;
  }
  get replyTo(): string | undefined {
    return this.#rare?.replyTo;
  }
  get replyToSessionId(): string | undefined {
    return this.#rare?.replyToSessionId;
  }
  get contentType(): string | undefined {
    return this.#rare?.contentType;
  }
  get timeToLiveMs(): number | undefined {
    return this.#rare?.timeToLiveMs;
  }
  get scheduledEnqueueTimeUtc(): number | undefined {
    return this.#rare?.scheduledEnqueueTimeUtc;
  }
  get applicationProperties(): IncomingMessage['applicationProperties'] {
    return this.#rare?.applicationProperties;
  }
}

/**
 * What the engine needs from a message. `payload` is what the edge stores for delivery: the
 * encoded bytes (compact; payloadOf decodes them on delivery; their length is the size) or a
 * decoded message of the given `size` (payloadOf takes both). `assignedMessageId` is the
 * broker's message-id for a message sent without one.
 */
export function toIncoming(
  msg: WireMessage,
  payload: WireMessage | Buffer,
  size: number,
  assignedMessageId?: string,
): IncomingMessage {
  const ann = msg.message_annotations ?? {};
  const ttl = typeof msg.ttl === 'number' && msg.ttl > 0 ? msg.ttl : undefined;
  const rare: Record<string, unknown> = {};
  const set = (key: keyof RareFields, value: unknown): void => {
    if (value !== undefined) rare[key] = value;
  };
  set('partitionKey', text(ann['x-opt-partition-key']));
  set('correlationId', text(msg.correlation_id));
  set('subject', text(msg.subject));
  set('to', text(msg.to));
  set('replyTo', text(msg.reply_to));
  set('replyToSessionId', text(msg.reply_to_group_id));
  set('contentType', text(msg.content_type));
  set('timeToLiveMs', ttl);
  set('scheduledEnqueueTimeUtc', timeFromWire(ann['x-opt-scheduled-enqueue-time']));
  if (msg.application_properties !== undefined) {
    set('applicationProperties', { ...msg.application_properties });
  }
  const messageId = assignedMessageId ?? text(msg.message_id);
  const sessionId = text(msg.group_id);
  const rareFields = Object.keys(rare).length > 0 ? (rare as RareFields) : undefined;
  if (Buffer.isBuffer(payload) && payload.length === size) {
    return new EncodedIncoming(payload, messageId, sessionId, rareFields);
  }
  const out: Record<string, unknown> = { payload, size, ...rareFields };
  if (messageId !== undefined) out.messageId = messageId;
  if (sessionId !== undefined) out.sessionId = sessionId;
  return out as unknown as IncomingMessage;
}

/**
 * The message a receiver gets: the payload as it was sent, with the broker's header delivery
 * count, annotations and (possibly modified) application properties.
 */
export function toWire(snapshot: MessageSnapshot): WireMessage {
  const original = payloadOf(snapshot);
  const out: WireMessage = { ...original };
  const ann: Record<string, unknown> = { ...(original.message_annotations ?? {}) };
  ann['x-opt-sequence-number'] = longToWire(snapshot.sequenceNumber);
  ann['x-opt-enqueued-time'] = new Date(snapshot.enqueuedTimeUtc);
  ann['x-opt-message-state'] = types.wrap_int(MESSAGE_STATE_CODE[snapshot.state]);
  if (snapshot.lockedUntilUtc !== undefined) {
    ann['x-opt-locked-until'] = new Date(snapshot.lockedUntilUtc);
  } else {
    delete ann['x-opt-locked-until'];
  }
  if (snapshot.scheduledEnqueueTimeUtc !== undefined) {
    ann['x-opt-scheduled-enqueue-time'] = new Date(snapshot.scheduledEnqueueTimeUtc);
  }
  if (snapshot.deadLetterSource !== undefined) {
    ann['x-opt-deadletter-source'] = snapshot.deadLetterSource;
  }
  out.message_annotations = ann;
  // The broker's message-id for a message sent without one.
  if (
    (out.message_id === undefined || out.message_id === null) &&
    snapshot.messageId !== undefined
  ) {
    out.message_id = snapshot.messageId;
  }
  out.delivery_count = snapshot.deliveryCount;
  const props = snapshot.applicationProperties;
  if (Object.keys(props).length > 0 || original.application_properties !== undefined) {
    out.application_properties = { ...props };
  }
  return out;
}

/** The stored message of a snapshot, decoded (payloads are encoded bytes, see toIncoming). */
function payloadOf(snapshot: MessageSnapshot): WireMessage {
  const payload = snapshot.message.payload;
  return Buffer.isBuffer(payload) ? decodeMessage(payload) : (payload as WireMessage);
}

/** The encoded form of a snapshot (peek and receive-by-sequence-number answers). */
export function encodeSnapshot(snapshot: MessageSnapshot): Buffer {
  return encodeMessage(toWire(snapshot));
}

/** Plain values of an AMQP map as rhea decodes it (a plain object). */
export function asRecord(value: unknown): Record<string, unknown> | undefined {
  if (
    value === null ||
    typeof value !== 'object' ||
    Array.isArray(value) ||
    Buffer.isBuffer(value)
  ) {
    return undefined;
  }
  return value as Record<string, unknown>;
}
