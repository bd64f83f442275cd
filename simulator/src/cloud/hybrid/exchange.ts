// One relayed HTTP request, from the sender's request to the answer it gets. In: the
// sender's request and response objects, what routing decided (listener, route), the
// listener's response frame and body, deadlines from the scheduler. Out: exactly one answer
// to the sender — the listener's (with Via) or the service's own (502, 504) — and events.
// Cleanup hooks let the channels forget the request once it is settled.
import { randomUUID } from 'node:crypto';
import { STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import type { EndpointContext } from './context';
import { SimHybridError } from './errors';
import { HC_CHANNELS } from './events';
import type { ResponseFrame } from './frames';
import { senderResponseHeaders } from './headers';
import { answerSender } from './render';
import type { Cancel } from './scheduler';

export type Route = 'control' | 'rendezvous' | 'session';

export interface ExchangeRequest {
  readonly path: string;
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly method: string;
  /** The target forwarded to the listener (sb-hc-* parameters removed). */
  readonly requestTarget: string;
  readonly requestHeaders: Readonly<Record<string, string>>;
  /** Whether a body follows the request message. */
  readonly hasBody: boolean;
  /** Content-Length, or -1 for a chunked body. */
  readonly declaredBytes: number;
  readonly headerBytes: number;
}

/** What the channel that read a response head should do with the next binary message. */
export type AfterHead = 'body' | 'discard' | 'none';

export class HttpExchange {
  readonly id = randomUUID();
  readonly request: ExchangeRequest;
  readonly #ctx: EndpointContext<unknown>;
  route: Route = 'control';
  listenerId = '';
  #head: ResponseFrame | undefined;
  #done = false;
  #outcome: 'answered' | 'failed' | 'abandoned' | undefined;
  #cancelDeadline: Cancel | undefined;
  readonly #onSettled: (() => void)[] = [];

  constructor(ctx: EndpointContext<unknown>, request: ExchangeRequest) {
    this.#ctx = ctx;
    this.request = request;
    request.res.once('close', () => {
      if (!this.#done) this.#settle('abandoned'); // the sender went away first
    });
  }

  get done(): boolean {
    return this.#done;
  }

  /** How the exchange ended: the listener's answer, the service's error, or the sender left. */
  get outcome(): 'answered' | 'failed' | 'abandoned' | undefined {
    return this.#outcome;
  }

  /** Runs `fn` once when the exchange is settled (answered, failed or abandoned). */
  onSettled(fn: () => void): void {
    if (this.#done) fn();
    else this.#onSettled.push(fn);
  }

  /** (Re)arms the deadline: a 504 when it passes before the exchange is settled. */
  armDeadline(stage: 'response' | 'body', ms: number): void {
    this.#cancelDeadline?.();
    this.#cancelDeadline = this.#ctx.scheduler.schedule(ms, () => {
      this.timeout(
        stage,
        `the listener did not send the response ${stage === 'body' ? 'body' : 'message'} within ${ms} ms`,
      );
    });
  }

  /** Answers 504: the listener did not answer (or did not come to the rendezvous) in time. */
  timeout(stage: 'response' | 'body' | 'rendezvous', message: string): void {
    if (this.#done) return;
    this.#ctx.events.publish(HC_CHANNELS.timeout, {
      requestId: this.id,
      path: this.request.path,
      listenerId: this.listenerId,
      route: this.route,
      stage,
    });
    this.fail(new SimHybridError('SIM_E_HC_TIMEOUT', message, { requestId: this.id, stage }));
  }

  /** The listener's response message arrived. Returns what the next binary message is. */
  responseHead(frame: ResponseFrame): AfterHead {
    if (this.#done || this.#head !== undefined) return frame.body ? 'discard' : 'none';
    if (frame.statusCode === 502 || frame.statusCode === 504 || frame.statusCode < 200) {
      this.fail(
        new SimHybridError(
          'SIM_E_HC_BAD_RESPONSE',
          `the listener answered ${frame.statusCode}, which a listener may not send`,
          { requestId: this.id, status: frame.statusCode },
        ),
      );
      return frame.body ? 'discard' : 'none';
    }
    this.#head = frame;
    if (frame.body) {
      this.armDeadline('body', this.#ctx.limits.responseDeadlineMs);
      return 'body';
    }
    this.#answer(frame, undefined);
    return 'none';
  }

  /** The response body (one whole WebSocket message) arrived. */
  responseBody(body: Buffer): void {
    const head = this.#head;
    if (this.#done || head === undefined) return;
    this.#answer(head, body);
  }

  /** Answers the sender with the service's own error (or cuts it if the answer had begun). */
  fail(error: SimHybridError): void {
    if (this.#done) return;
    const { res } = this.request;
    if (error.code !== 'SIM_E_HC_TIMEOUT') {
      this.#ctx.events.publish(HC_CHANNELS.badGateway, {
        path: this.request.path,
        requestId: this.id,
        listenerId: this.listenerId,
        method: this.request.method,
        code: error.code,
        status: error.http,
      });
    }
    answerSender(res, error, this.#ctx.config.host);
    this.#settle('failed');
  }

  #answer(head: ResponseFrame, body: Buffer | undefined): void {
    const { res, method } = this.request;
    const status = head.statusCode;
    const headers = senderResponseHeaders(head.responseHeaders, this.#ctx.config.host);
    const bodyless = method === 'HEAD' || status === 204 || status === 304;
    if (!bodyless) headers['Content-Length'] = String(body?.length ?? 0);
    try {
      res.writeHead(status, head.statusDescription ?? STATUS_CODES[status] ?? 'Unknown', headers);
    } catch {
      this.fail(
        new SimHybridError(
          'SIM_E_HC_BAD_RESPONSE',
          'the listener response head is not valid HTTP',
          {
            requestId: this.id,
          },
        ),
      );
      return;
    }
    res.end(bodyless ? undefined : body);
    this.#ctx.events.publish(HC_CHANNELS.response, {
      path: this.request.path,
      requestId: this.id,
      listenerId: this.listenerId,
      status,
      route: this.route,
      bodyBytes: body?.length ?? 0,
    });
    this.#settle('answered');
  }

  #settle(outcome: 'answered' | 'failed' | 'abandoned'): void {
    if (this.#done) return;
    this.#done = true;
    this.#outcome = outcome;
    this.#cancelDeadline?.();
    for (const fn of this.#onSettled.splice(0)) fn();
  }
}
