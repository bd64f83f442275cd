// The three XML intake services: council tax & benefits changes, environmental health cases,
// licensing applications. In: POST /{collection} with an XML body (streamed, bounded).
// Out: 201 with a Location and an XML <Receipt> holding the new reference, or a typed
// refusal: 413 too large, 415 not XML, 400 malformed / DOCTYPE / wrong root. GET
// /{collection}/{reference} answers the XML that was posted. The check is streaming: saxes
// (a real XML parser) sees each chunk as it arrives; a DOCTYPE is refused as soon as saxes
// reports it and saxes never expands an entity it was not given, so a "billion laughs"
// body costs no more than its own bytes. Only UTF-8 is accepted. An Idempotency-Key already
// held with the same body (SHA-256) gets the original receipt again and adds nothing; with
// another body it is 409 SIM_E_BO_KEY_REUSED.
import { createHash } from 'node:crypto';
import { SaxesParser, type SaxesTagNS } from 'saxes';
import type { Clock } from '../../../relay/src/protocol/primitives';
import type { IntakeServiceName } from './config';
import { SimBackOfficeError } from './errors';
import {
  consume,
  noRoute,
  requireMethod,
  xmlResponse,
  XML_TYPE,
  type BoRequest,
  type BoResponse,
  type RequestNotes,
  type ServiceHandler,
} from './service';
import { XML_NS_BASE, el, renderXml } from './xml';

/** Where each intake service takes submissions, and the prefix of its references. */
export const INTAKE_ROUTES: Readonly<
  Record<IntakeServiceName, { readonly collection: string; readonly prefix: string }>
> = Object.freeze({
  'ctb-intake': { collection: 'changes', prefix: 'CTB' },
  'environmental-health': { collection: 'cases', prefix: 'EH' },
  licensing: { collection: 'applications', prefix: 'LIC' },
});

export interface XmlCheck {
  readonly root: string;
  readonly namespace: string | undefined;
}

function malformed(message: string): SimBackOfficeError {
  return new SimBackOfficeError('SIM_E_BO_XML_MALFORMED', message);
}

/**
 * A streaming well-formedness check. write() each chunk as it arrives, then end(). Throws
 * the first SimBackOfficeError it meets; after that the checker is spent.
 */
export class XmlChecker {
  readonly #parser = new SaxesParser({ xmlns: true, position: true });
  readonly #decoder = new TextDecoder('utf-8', { fatal: true });
  #root: XmlCheck | undefined;
  #failure: SimBackOfficeError | undefined;

  constructor() {
    const p = this.#parser;
    p.on('error', (e) => {
      this.#failure ??= malformed(`not well-formed XML: ${e.message}`);
    });
    p.on('doctype', () => {
      this.#failure ??= new SimBackOfficeError(
        'SIM_E_BO_XML_DOCTYPE',
        `line ${String(p.line)}: a DOCTYPE is not accepted (entity declarations are never expanded)`,
        { line: p.line },
      );
    });
    p.on('xmldecl', (decl) => {
      const enc = decl.encoding;
      if (enc !== undefined && enc.toLowerCase() !== 'utf-8') {
        this.#failure ??= malformed(`the XML declares encoding "${enc}"; only UTF-8 is accepted`);
      }
    });
    p.on('opentag', (tag: SaxesTagNS) => {
      this.#root ??= { root: tag.local, namespace: tag.uri === '' ? undefined : tag.uri };
    });
  }

  #check(): void {
    if (this.#failure !== undefined) throw this.#failure;
  }

  write(chunk: Buffer): void {
    this.#check();
    let text: string;
    try {
      text = this.#decoder.decode(chunk, { stream: true });
    } catch {
      throw (this.#failure = malformed('the body is not valid UTF-8'));
    }
    this.#feed(text);
  }

  #feed(text: string): void {
    try {
      this.#parser.write(text);
    } catch (e) {
      this.#failure ??= malformed(
        `not well-formed XML: ${e instanceof Error ? e.message : 'parse error'}`,
      );
    }
    this.#check();
  }

  end(): XmlCheck {
    this.#check();
    let rest: string;
    try {
      rest = this.#decoder.decode();
    } catch {
      throw (this.#failure = malformed('the body ends inside a UTF-8 sequence'));
    }
    if (rest !== '') this.#feed(rest);
    try {
      this.#parser.close();
    } catch (e) {
      this.#failure ??= malformed(
        `not well-formed XML: ${e instanceof Error ? e.message : 'parse error'}`,
      );
    }
    this.#check();
    if (this.#root === undefined) throw malformed('the body holds no root element');
    return this.#root;
  }
}

/** Checks a whole document at once (for tests and tools). */
export function checkXml(body: Buffer | string): XmlCheck {
  const c = new XmlChecker();
  c.write(Buffer.isBuffer(body) ? body : Buffer.from(body, 'utf8'));
  return c.end();
}

export interface Submission {
  readonly service: IntakeServiceName;
  readonly reference: string;
  readonly root: string;
  readonly namespace: string | undefined;
  readonly size: number;
  readonly sha256: string;
  readonly receivedAt: number;
  readonly idempotencyKey: string | undefined;
  readonly body: Buffer;
}

/**
 * The submissions one intake service keeps, newest last, at most `keep`, and the
 * idempotency keys they came with: a key maps to its submission for as long as the
 * submission is held (so the key map has the same bound), and reset() forgets both.
 */
export class IntakeStore {
  readonly #service: IntakeServiceName;
  readonly #keep: number;
  readonly #clock: Clock;
  readonly #items = new Map<string, Submission>();
  /** Idempotency key → reference of the submission it created (held ones only). */
  readonly #keys = new Map<string, string>();
  #seq = 0;

  constructor(service: IntakeServiceName, keep: number, clock: Clock) {
    this.#service = service;
    this.#keep = keep;
    this.#clock = clock;
  }

  add(fields: Omit<Submission, 'service' | 'reference' | 'receivedAt'>): Submission {
    const now = this.#clock.now();
    const year = new Date(now).getUTCFullYear();
    const reference = `${INTAKE_ROUTES[this.#service].prefix}-${String(year)}-${String(++this.#seq).padStart(6, '0')}`;
    const s: Submission = Object.freeze({
      ...fields,
      service: this.#service,
      reference,
      receivedAt: now,
    });
    if (this.#keep > 0) {
      this.#items.set(reference, s);
      if (s.idempotencyKey !== undefined) {
        this.#keys.delete(s.idempotencyKey); // re-insert: newest last
        this.#keys.set(s.idempotencyKey, reference);
      }
      while (this.#items.size > this.#keep) {
        const oldest = this.#items.keys().next().value;
        if (oldest === undefined) break;
        const gone = this.#items.get(oldest);
        this.#items.delete(oldest);
        const key = gone?.idempotencyKey;
        if (key !== undefined && this.#keys.get(key) === oldest) this.#keys.delete(key);
      }
    }
    return s;
  }

  get(reference: string): Submission | undefined {
    return this.#items.get(reference);
  }

  /** The held submission that this idempotency key created, if any. */
  byIdempotencyKey(key: string): Submission | undefined {
    const reference = this.#keys.get(key);
    return reference === undefined ? undefined : this.#items.get(reference);
  }

  list(): Submission[] {
    return [...this.#items.values()];
  }

  /** How many submissions were accepted since start or reset (kept or not); replays are not. */
  get accepted(): number {
    return this.#seq;
  }

  /** How many idempotency keys are held (never more than the submissions held). */
  get keysHeld(): number {
    return this.#keys.size;
  }

  reset(): void {
    this.#items.clear();
    this.#keys.clear();
    this.#seq = 0;
  }
}

export interface IntakeOptions {
  readonly service: IntakeServiceName;
  readonly roots: readonly string[];
  readonly maxBodyBytes: number;
  readonly requireXmlContentType: boolean;
  readonly store: IntakeStore;
}

const XML_MEDIA = /^(?:application\/xml|text\/xml|application\/[A-Za-z0-9.+-]+\+xml)\s*(?:;|$)/i;

function tooLarge(max: number): SimBackOfficeError {
  return new SimBackOfficeError(
    'SIM_E_BO_TOO_LARGE',
    `the body is over the limit of ${String(max)} bytes`,
    { max },
  );
}

/** Reads and checks the body; resolves with the check, the bytes and their SHA-256. */
async function readXml(
  req: BoRequest,
  max: number,
): Promise<{ check: XmlCheck; body: Buffer; sha256: string }> {
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > max) throw tooLarge(max);
  const checker = new XmlChecker();
  const hash = createHash('sha256');
  const chunks: Buffer[] = [];
  let size = 0;
  await consume(req.body, (b) => {
    size += b.length;
    req.note({ requestBytes: size });
    if (size > max) throw tooLarge(max);
    chunks.push(b);
    hash.update(b);
    checker.write(b);
  });
  return { check: checker.end(), body: Buffer.concat(chunks), sha256: hash.digest('hex') };
}

export function receiptXml(service: IntakeServiceName, s: Submission): string {
  return renderXml(
    el(
      'Receipt',
      { xmlns: `${XML_NS_BASE}:${service}:v1` },
      el('Reference', {}, s.reference),
      el('Root', {}, s.root),
      el('ReceivedAt', {}, new Date(s.receivedAt).toISOString()),
      el('Size', {}, s.size),
      el('Sha256', {}, s.sha256),
    ),
  );
}

/** An intake service: POST /{collection}; GET|HEAD /{collection}/{reference}. */
export function intakeHandler(options: IntakeOptions): ServiceHandler {
  const { collection } = INTAKE_ROUTES[options.service];
  return async (req: BoRequest): Promise<BoResponse> => {
    const [first, ref, ...rest] = req.segments;
    if (first !== collection || rest.length > 0) throw noRoute(req);
    if (ref === undefined || ref === '') {
      requireMethod(req, ['POST']);
      const type = req.headers['content-type'] ?? '';
      if (options.requireXmlContentType && !XML_MEDIA.test(type)) {
        throw new SimBackOfficeError(
          'SIM_E_BO_CONTENT_TYPE',
          `the body must be application/xml or text/xml, not "${type.slice(0, 80)}"`,
        );
      }
      const { check, body, sha256 } = await readXml(req, options.maxBodyBytes);
      if (!options.roots.includes(check.root)) {
        throw new SimBackOfficeError(
          'SIM_E_BO_XML_ROOT',
          `the root element is <${check.root.slice(0, 100)}>; this service accepts ${options.roots.map((r) => `<${r}>`).join(', ')}`,
          { root: check.root.slice(0, 100) },
        );
      }
      const key = req.idempotencyKey;
      const held = key === undefined ? undefined : options.store.byIdempotencyKey(key);
      if (held !== undefined) {
        if (held.sha256 !== sha256) {
          throw new SimBackOfficeError(
            'SIM_E_BO_KEY_REUSED',
            `the idempotency key was used for ${held.reference} with another body; send a new key for a new submission`,
            { reference: held.reference },
          );
        }
        // The same request again (a retry after a lost answer): the original receipt.
        const replayed: RequestNotes & { readonly replayed: true } = {
          reference: held.reference,
          replayed: true,
        };
        req.note(replayed);
        return xmlResponse(201, receiptXml(options.service, held), {
          location: `/${collection}/${held.reference}`,
        });
      }
      const s = options.store.add({
        root: check.root,
        namespace: check.namespace,
        size: body.length,
        sha256,
        idempotencyKey: req.idempotencyKey,
        body,
      });
      req.note({ reference: s.reference });
      return xmlResponse(201, receiptXml(options.service, s), {
        location: `/${collection}/${s.reference}`,
      });
    }
    requireMethod(req, ['GET', 'HEAD']);
    req.note({ reference: ref.slice(0, 64) });
    const s = options.store.get(ref);
    if (s === undefined) {
      throw new SimBackOfficeError(
        'SIM_E_BO_NOT_FOUND',
        `no submission ${ref} is held by ${options.service}`,
        { reference: ref.slice(0, 64) },
      );
    }
    return { status: 200, headers: { 'content-type': XML_TYPE }, body: s.body };
  };
}
