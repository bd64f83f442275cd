// Every SAS token presented to the simulated namespaces while a test runs, captured where the
// simulator receives it (SEC-006: the signatures the relay produced are secrets the scan looks
// for). In: nothing; install() wraps, in this process, the methods that take a token — the
// Service Bus CBS put-token, the Hybrid Connections endpoint's HTTP requests and WebSocket
// upgrades (header or sb-hc-token query) and a listener's renewToken — and restore() puts them
// back. Out: the tokens seen and, for each, its key name, resource and the signature's bytes.
// Nothing here is logged or published.
import type { IncomingMessage } from 'node:http';
import { CbsSession } from '../../../simulator/src/cloud/servicebus/amqp/cbs';
import { ControlChannel } from '../../../simulator/src/cloud/hybrid/channels';
import { HybridEndpoint } from '../../../simulator/src/cloud/hybrid/endpoint';

export interface SeenToken {
  /** Where the simulator received it. */
  readonly at: 'sb-cbs' | 'hc-request' | 'hc-upgrade' | 'hc-renew';
  /** The key name (skn) the token says it was signed with. */
  readonly keyName: string;
  /** The resource (sr) it was signed for. */
  readonly resource: string;
  /** The HMAC-SHA256 signature's bytes (sig, decoded); undefined when it is not 32 bytes. */
  readonly signature: Buffer | undefined;
}

export interface TokenTap {
  readonly tokens: readonly SeenToken[];
  /** Puts the simulator's methods back (idempotent). */
  restore(): void;
}

function field(token: string, name: string): string | undefined {
  const m = new RegExp(`(?:^|[\\s&])${name}=([^&\\s]*)`).exec(token);
  if (m?.[1] === undefined) return undefined;
  try {
    return decodeURIComponent(m[1]);
  } catch {
    return m[1];
  }
}

function parse(at: SeenToken['at'], token: unknown): SeenToken | undefined {
  if (typeof token !== 'string' || !token.includes('sig=')) return undefined;
  const sig = field(token, 'sig');
  const bytes = sig === undefined ? undefined : Buffer.from(sig, 'base64');
  return {
    at,
    keyName: field(token, 'skn') ?? '',
    resource: field(token, 'sr') ?? '',
    signature: bytes?.length === 32 ? bytes : undefined,
  };
}

function fromRequest(req: IncomingMessage): unknown[] {
  const out: unknown[] = [req.headers.servicebusauthorization, req.headers.authorization];
  const query = (req.url ?? '').split('?')[1] ?? '';
  for (const part of query.split('&')) {
    const [k, v] = part.split('=');
    if (k?.toLowerCase() === 'sb-hc-token' && v !== undefined) {
      try {
        out.push(decodeURIComponent(v));
      } catch {
        out.push(v);
      }
    }
  }
  return out;
}

type Renew = (token: string) => void;

/** Starts capturing the tokens the simulator receives in this process. */
export function installTokenTap(): TokenTap {
  const tokens: SeenToken[] = [];
  const add = (at: SeenToken['at'], token: unknown): void => {
    const seen = parse(at, token);
    if (seen !== undefined) tokens.push(seen);
  };
  // Called with their own `this` below (call), never detached from it.
  // eslint-disable-next-line @typescript-eslint/unbound-method
  const put = CbsSession.prototype.putToken;
  // eslint-disable-next-line @typescript-eslint/unbound-method
  const onRequest = HybridEndpoint.prototype.onRequest;
  // eslint-disable-next-line @typescript-eslint/unbound-method
  const onUpgrade = HybridEndpoint.prototype.onUpgrade;
  const control = ControlChannel.prototype as unknown as { onRenew: Renew };
  const onRenew = control.onRenew;
  CbsSession.prototype.putToken = function (this: CbsSession, audience, type, token) {
    add('sb-cbs', token);
    return put.call(this, audience, type, token);
  };
  HybridEndpoint.prototype.onRequest = function (this: HybridEndpoint, req, res, via) {
    for (const t of fromRequest(req)) add('hc-request', t);
    onRequest.call(this, req, res, via);
  };
  HybridEndpoint.prototype.onUpgrade = function (this: HybridEndpoint, req, socket, head, via) {
    for (const t of fromRequest(req)) add('hc-upgrade', t);
    onUpgrade.call(this, req, socket, head, via);
  };
  control.onRenew = function (this: ControlChannel, token: string) {
    add('hc-renew', token);
    onRenew.call(this, token);
  };
  let restored = false;
  return {
    tokens,
    restore: () => {
      if (restored) return;
      restored = true;
      CbsSession.prototype.putToken = put;
      HybridEndpoint.prototype.onRequest = onRequest;
      HybridEndpoint.prototype.onUpgrade = onUpgrade;
      control.onRenew = onRenew;
    },
  };
}
