// The relay's route table at work: the guide's eight uses in three shapes. In: one piece of
// opened work (from a sealed Service Bus message or a sealed Hybrid Connections request): its
// route, method, path, content type, form type, declared file name, body (bytes or a stream)
// and idempotency key.
// Out: the back-office answer (retrieve, post-xml) or a file drop's receipt (file-drop), or a
// typed error: RELAY_E_ROUTE_* (unknown route, wrong method, a path that leaves the service),
// RELAY_E_CONTENT_* (the body or the declared file name failed its check: nothing reached the
// back office), RELAY_E_AV_* (a dropped file's virus scan), RELAY_E_BACKOFFICE_* and
// RELAY_E_FILEDROP_*. workSettlement() says which of them a Service
// Bus message is dead-lettered for and which it is abandoned (redelivered) for.
import { Readable } from 'node:stream';
import type { RouteConfig, RouteXmlConfig } from '../config/types';
import type { Scanner } from './antivirus';
import { isRelaycheckError } from '../protocol/errors';
import { DEAD_LETTER_CODES, type BackOfficeClient, type Settlement } from './backoffice';
import { checkXml, parseXmlCheckOptions, xmlCheckStream, type XmlCheckOptions } from './content';
import { RelayRouteError } from './route-path';
import { createFileDrop, FILEDROP_DEAD_LETTER_CODES, type FileDrop } from './filedrop';

/** One piece of work, opened and ready to be done. */
export interface Work {
  readonly via: 'servicebus' | 'hybrid';
  readonly route: string;
  /** GET, HEAD, POST or PUT. */
  readonly method: string;
  /** Path and query relative to the service ('/accounts/CT1'); for a file drop '/{formType}'. */
  readonly path: string;
  readonly contentType?: string | undefined;
  /** The form type of a file drop (Service Bus: the `formType` property). */
  readonly formType?: string | undefined;
  /**
   * The file name a file drop declares (Service Bus: the `fileName` property; Hybrid Connections:
   * the Content-Disposition filename): validated and logged, never used as a path.
   */
  readonly fileName?: unknown;
  readonly body?: Buffer | Readable | undefined;
  /** The idempotency key: the message id. Sent to the back office; names a dropped file. */
  readonly key: string;
  readonly signal?: AbortSignal | undefined;
  /** Keeps a Service Bus lock valid through retry waits. */
  readonly renewLock?: (() => Promise<void>) | undefined;
}

/** What the work came to. */
export interface Answer {
  readonly status: number;
  /** Lower-case names. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Readable;
  /**
   * `success`: 2xx/3xx (or a file written). `permanent`: the back office refused the work with
   * a 4xx or non-retryable 5xx (body: at most 4 KiB, already read).
   */
  readonly outcome: 'success' | 'permanent';
  /** The back-office service (undefined for a file drop). */
  readonly service: string | undefined;
}

export interface Router {
  /** Does the work; rejects with a typed error (see workSettlement for what each means). */
  perform(work: Work): Promise<Answer>;
  /** The use of a route, or undefined when the table has no such route. */
  use(route: string): RouteConfig['use'] | undefined;
  /** Removes temporary files a crash left in the file-drop folders (older than `ms`). */
  sweep(ms: number): Promise<number>;
}

export interface RouterDeps {
  readonly client: BackOfficeClient;
  /** Scans every dropped file before it is published; absent: files are not scanned. */
  readonly scanner?: Scanner | undefined;
}

/** Codes a Service Bus message is dead-lettered for: retrying cannot help. */
export const WORK_DEAD_LETTER_CODES: ReadonlySet<string> = new Set([
  ...DEAD_LETTER_CODES,
  ...FILEDROP_DEAD_LETTER_CODES,
  'RELAY_E_CONTENT_XML',
  'RELAY_E_CONTENT_PDF',
  'RELAY_E_ROUTE_ANSWER',
]);

/**
 * The least time a message refused by an open breaker is held before it is abandoned: also the
 * hold while a half-open probe decides (retryInMs 0), so that redeliveries do not spin through
 * the broker's max delivery count in the meantime.
 */
export const OPEN_BREAKER_MIN_HOLD_MS = 1000;

/**
 * How long a message whose file could not be scanned (clamd unavailable, fail-closed) is held
 * before it is abandoned: redelivered at once, it would use up the broker's max delivery count
 * in a second while clamd restarts.
 */
export const SCANNER_UNAVAILABLE_HOLD_MS = 2000;

/**
 * How long a message whose file could not be written (RELAY_E_FILEDROP_IO: the share full,
 * read-only or unreachable) is held before it is abandoned, by default: redelivered at once, it
 * would use up the broker's max delivery count in a second, so a share full for a moment would
 * dead-letter everything that arrived meanwhile. Relay config `limits.fileDropRetryHoldMs`.
 */
export const FILE_DROP_IO_HOLD_MS = 5000;

export interface WorkSettlementOptions {
  /** The hold of a message whose file could not be written (default FILE_DROP_IO_HOLD_MS). */
  readonly fileDropHoldMs?: number;
}

/** A work failure's settlement: what the work receiver does with its message. */
export type WorkSettlement = Settlement & {
  /** On the last delivery: dead-letter with this instead of abandoning (see the receiver). */
  readonly lastDelivery?: { readonly reason: string; readonly description: string };
};

/**
 * What to do with a Service Bus message whose work failed with `e`: dead-letter (with the code
 * as reason and the message as description) for a permanent refusal; abandon otherwise, an
 * unknown error included, so that the broker's max delivery count decides in the end. Work an
 * open breaker refused is held until a probe may go out (retryInMs, at least
 * OPEN_BREAKER_MIN_HOLD_MS) before it is abandoned: failing fast must not use up deliveries.
 * A file that could not be written is held (fileDropHoldMs) and, on the message's last
 * delivery, dead-lettered with its code and system error (ENOSPC, EROFS...) rather than left to
 * the broker's MaxDeliveryCountExceeded, which says nothing of why.
 */
export function workSettlementWith(
  options: WorkSettlementOptions = {},
): (e: unknown) => WorkSettlement {
  const fileDropHoldMs = options.fileDropHoldMs ?? FILE_DROP_IO_HOLD_MS;
  return (e) => {
    if (isRelaycheckError(e) && WORK_DEAD_LETTER_CODES.has(e.code)) {
      return { action: 'dead-letter', reason: e.code, description: e.message.slice(0, 1024) };
    }
    if (!isRelaycheckError(e)) return { action: 'abandon', code: 'unknown' };
    const retryInMs = e.details.retryInMs;
    if (e.code === 'RELAY_E_BACKOFFICE_OPEN' && typeof retryInMs === 'number') {
      const holdMs = Math.max(OPEN_BREAKER_MIN_HOLD_MS, Math.ceil(retryInMs));
      return { action: 'abandon', code: e.code, holdMs };
    }
    if (e.code === 'RELAY_E_AV_UNAVAILABLE') {
      return { action: 'abandon', code: e.code, holdMs: SCANNER_UNAVAILABLE_HOLD_MS };
    }
    if (e.code === 'RELAY_E_FILEDROP_IO') {
      return {
        action: 'abandon',
        code: e.code,
        ...(fileDropHoldMs > 0 ? { holdMs: fileDropHoldMs } : {}),
        lastDelivery: { reason: e.code, description: e.message.slice(0, 900) },
      };
    }
    return { action: 'abandon', code: e.code };
  };
}

/** workSettlementWith() with the defaults. */
export const workSettlement: (e: unknown) => WorkSettlement = workSettlementWith();

const XML_TYPE = 'application/xml; charset=utf-8';
const JSON_TYPE = 'application/json';

function wrongMethod(route: RouteConfig, method: string, allowed: string): RelayRouteError {
  return new RelayRouteError(
    'RELAY_E_ROUTE_PATH',
    `the ${route.use} route ${route.name} takes ${allowed}, not ${method.slice(0, 16)}`,
    { route: route.name, use: route.use },
  );
}

function xmlOptions(xml: RouteXmlConfig): XmlCheckOptions {
  const { roots, namespace, ...limits } = xml;
  return parseXmlCheckOptions({
    ...limits,
    expectedRoot: [...roots],
    ...(namespace === undefined ? {} : { expectedNamespace: namespace }),
  });
}

/**
 * Reads a streamed XML body through the check into one Buffer: every limit (size included)
 * holds chunk by chunk, so a hostile body is refused before it is read whole, and the back
 * office gets a body that can be sent again on a retry.
 */
async function checkedXml(body: Readable, options: XmlCheckOptions): Promise<Buffer> {
  const check = xmlCheckStream(options);
  const parts: Buffer[] = [];
  let size = 0;
  body.on('error', (e) => check.destroy(e));
  body.pipe(check);
  try {
    for await (const chunk of check) {
      const b = chunk as Buffer;
      parts.push(b);
      size += b.length;
    }
  } finally {
    body.unpipe(check);
    if (!body.readableEnded) body.destroy();
  }
  return Buffer.concat(parts, size);
}

/** The form type of a file drop: the Service Bus property, or the single path segment. */
function formTypeOf(work: Work): string {
  if (work.formType !== undefined) return work.formType;
  const [pathname = ''] = work.path.split('?', 1);
  return pathname.replace(/^\/+|\/+$/g, '');
}

/** Builds the router over the validated route table. */
export function createRouter(routes: readonly RouteConfig[], deps: RouterDeps): Router {
  const table = new Map(routes.map((r) => [r.name, r]));
  const xmlChecks = new Map<string, XmlCheckOptions>();
  const drops = new Map<string, FileDrop>();
  for (const r of routes) {
    if (r.use === 'post-xml') xmlChecks.set(r.name, xmlOptions(r.xml));
    if (r.use === 'file-drop') {
      drops.set(
        r.name,
        createFileDrop(
          {
            folders: r.folders,
            maxFileBytes: r.maxFileBytes,
            pdf: r.pdf,
            fileNames: r.fileNames,
          },
          { scanner: deps.scanner },
        ),
      );
    }
  }

  const fromBackOffice = async (
    work: Work,
    service: string,
    method: string,
    path: string,
    body: Buffer | undefined,
    contentType: string | undefined,
  ): Promise<Answer> => {
    const res = await deps.client.call({
      service,
      route: work.route,
      method,
      path,
      idempotencyKey: work.key,
      ...(body === undefined ? {} : { body }),
      ...(contentType === undefined ? {} : { headers: { 'content-type': contentType } }),
      ...(work.signal === undefined ? {} : { signal: work.signal }),
      ...(work.renewLock === undefined ? {} : { renewLock: work.renewLock }),
    });
    return {
      status: res.status,
      headers: res.headers,
      body: res.body,
      outcome: res.outcome,
      service,
    };
  };

  const perform = async (work: Work): Promise<Answer> => {
    const route = table.get(work.route);
    if (route === undefined) {
      if (work.body instanceof Readable) work.body.resume();
      throw new RelayRouteError(
        'RELAY_E_ROUTE_UNKNOWN',
        `no route "${work.route.slice(0, 64)}" in this relay's route table`,
        { route: work.route.slice(0, 64) },
      );
    }
    const method = work.method.toUpperCase();
    switch (route.use) {
      case 'retrieve': {
        if (method !== 'GET' && method !== 'HEAD') throw wrongMethod(route, method, 'GET or HEAD');
        if (work.body !== undefined && (work.body instanceof Readable || work.body.length > 0)) {
          if (work.body instanceof Readable) work.body.resume();
          throw new RelayRouteError(
            'RELAY_E_ROUTE_PATH',
            `the retrieve route ${route.name} takes no body`,
            { route: route.name },
          );
        }
        return fromBackOffice(work, route.service, method, work.path, undefined, undefined);
      }
      case 'post-xml': {
        if (method !== 'POST') throw wrongMethod(route, method, 'POST');
        const options = xmlChecks.get(route.name) ?? xmlOptions(route.xml);
        let body: Buffer;
        if (work.body instanceof Readable) {
          body = await checkedXml(work.body, options);
        } else {
          body = work.body ?? Buffer.alloc(0);
          checkXml(body, options);
        }
        return fromBackOffice(work, route.service, 'POST', route.path, body, XML_TYPE);
      }
      case 'file-drop': {
        if (method !== 'POST' && method !== 'PUT') throw wrongMethod(route, method, 'POST or PUT');
        const drop = drops.get(route.name);
        if (drop === undefined) throw new Error('file-drop route without its writer');
        const receipt = await drop.drop({
          formType: formTypeOf(work),
          key: work.key,
          fileName: work.fileName,
          body: work.body ?? Buffer.alloc(0),
          ...(work.signal === undefined ? {} : { signal: work.signal }),
        });
        const text = JSON.stringify({
          formType: receipt.formType,
          name: receipt.name,
          size: receipt.size,
          sha256: receipt.sha256,
          replayed: receipt.replayed,
          ...(receipt.declaredName === undefined ? {} : { declaredName: receipt.declaredName }),
          findings: receipt.findings,
          scan: receipt.scan,
        });
        return {
          status: receipt.replayed ? 200 : 201,
          headers: { 'content-type': JSON_TYPE },
          body: Readable.from([Buffer.from(text)]),
          outcome: 'success',
          service: undefined,
        };
      }
    }
  };

  return Object.freeze({
    perform,
    use: (name: string) => table.get(name)?.use,
    async sweep(ms: number) {
      let n = 0;
      for (const d of drops.values()) n += await d.sweep(ms);
      return n;
    },
  });
}
