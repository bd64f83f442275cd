// The JSON messages of the Hybrid Connections control and rendezvous channels. In: text a
// listener sent (response, renewToken, or a verb this endpoint does not know). Out: a typed
// message, or SIM_E_HC_FRAME saying what is wrong (never echoing a token); and the text of
// the `request` and `accept` messages the service sends. Pure: no IO.
import { z } from 'zod';
import { SimHybridError } from './errors';

/** What a listener sent, once parsed. */
export type ListenerMessage =
  | { readonly kind: 'response'; readonly response: ResponseFrame }
  | { readonly kind: 'renewToken'; readonly token: string }
  | { readonly kind: 'unknown'; readonly verb: string };

export interface ResponseFrame {
  readonly requestId: string;
  readonly statusCode: number;
  readonly statusDescription: string | undefined;
  /** Header name → value, as the listener gave them (names validated as HTTP tokens). */
  readonly responseHeaders: Readonly<Record<string, string>>;
  readonly body: boolean;
}

/** An HTTP token (RFC 7230 §3.2.6): what a header name may be. */
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** Characters Node refuses in a header value or reason phrase. */

const BAD_VALUE = /[^\t\x20-\x7e\x80-\xff]/;

const headerValue = z.union([
  z.string(),
  z.number(),
  z.boolean(),
  z.array(z.union([z.string(), z.number()])).min(1),
]);

const responseSchema = z.object({
  requestId: z.string().min(1).max(256),
  // The protocol document shows "200" (a string); Microsoft's clients send a number.
  statusCode: z.union([z.int(), z.string().regex(/^[0-9]{3}$/)]),
  statusDescription: z.string().max(1024).nullish(),
  responseHeaders: z.record(z.string(), headerValue).nullish(),
  body: z.boolean().nullish(),
});

const renewSchema = z.object({ token: z.string().min(1).max(8192) });

function frameError(detail: string): SimHybridError {
  return new SimHybridError('SIM_E_HC_FRAME', `malformed listener message: ${detail}`, { detail });
}

/** The JSON of one text message from a listener, typed; throws SIM_E_HC_FRAME. */
export function parseListenerMessage(text: string): ListenerMessage {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw frameError('not JSON');
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw frameError('not a JSON object');
  }
  const keys = Object.keys(json);
  if (keys.length !== 1) throw frameError(`${keys.length} top-level names where one belongs`);
  const verb = keys[0] ?? '';
  const value = (json as Record<string, unknown>)[verb];
  if (verb === 'response') return { kind: 'response', response: parseResponse(value) };
  if (verb === 'renewToken') {
    const r = renewSchema.safeParse(value);
    if (!r.success) throw frameError('renewToken without a usable token');
    return { kind: 'renewToken', token: r.data.token };
  }
  return { kind: 'unknown', verb: /^[A-Za-z]{1,32}$/.test(verb) ? verb : '(not shown)' };
}

function parseResponse(value: unknown): ResponseFrame {
  const r = responseSchema.safeParse(value);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw frameError(`response.${issue?.path.join('.') ?? '?'}: ${issue?.message ?? 'invalid'}`);
  }
  const status = Number(r.data.statusCode);
  if (!Number.isInteger(status) || status < 100 || status > 599) {
    throw frameError('response.statusCode is not an HTTP status (100-599)');
  }
  const headers: Record<string, string> = {};
  for (const [name, raw] of Object.entries(r.data.responseHeaders ?? {})) {
    if (!TOKEN.test(name)) throw frameError('response.responseHeaders has an invalid header name');
    const value = Array.isArray(raw) ? raw.map(String).join(', ') : String(raw);
    if (BAD_VALUE.test(value)) throw frameError(`response header ${name} has an invalid value`);
    headers[name] = value;
  }
  const description = r.data.statusDescription ?? undefined;
  return Object.freeze({
    requestId: r.data.requestId,
    statusCode: status,
    statusDescription:
      description === undefined || description === '' || BAD_VALUE.test(description)
        ? undefined
        : description,
    responseHeaders: Object.freeze(headers),
    body: r.data.body ?? false,
  });
}

export interface RequestFrameInput {
  /** The rendezvous address; left out on a rendezvous socket (already used). */
  readonly address?: string;
  readonly id: string;
  readonly requestTarget?: string;
  readonly method?: string;
  readonly requestHeaders?: Readonly<Record<string, string>>;
  readonly body?: boolean;
}

/**
 * `{"request":{...}}`. For a request routed by rendezvous only `address` and `id` are given
 * (the listener must connect to the address to receive the request).
 */
export function requestFrame(input: RequestFrameInput): string {
  return JSON.stringify({ request: input });
}

export interface AcceptFrameInput {
  readonly address: string;
  readonly id: string;
  readonly connectHeaders: Readonly<Record<string, string>>;
  readonly remoteEndpoint?: { readonly address: string; readonly port: number };
}

/** `{"accept":{address, id, connectHeaders, remoteEndpoint}}`. */
export function acceptFrame(input: AcceptFrameInput): string {
  return JSON.stringify({ accept: input });
}
