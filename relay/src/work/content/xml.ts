// The XML content check. In: a body as byte chunks, split anywhere, and the route's limits. Out:
// a summary (root, namespace, elements, depth, bytes) once the body ended well, or ONE
// RELAY_E_CONTENT_XML error raised by the chunk that breaks a rule (details.rule names it).
// Built on saxes, which never resolves an entity it was not born with: a DOCTYPE is refused
// outright, so no entity expansion, external entity or DTD fetch can happen.
//
// Rules (strict, no tolerance options):
// - encoding: UTF-8 only. A UTF-8 BOM is allowed, any other bytes that are not UTF-8 (a UTF-16
//   or UTF-32 BOM, an overlong form, a surrogate, a cut sequence at the end) are refused, as is
//   an XML declaration naming another encoding (`UTF-8` in any letter case is the only one).
// - doctype: `<!DOCTYPE` as markup anywhere (in a comment or CDATA section it is just text).
// - pi: the `<?xml ...?>` declaration at the very start is allowed, every other processing
//   instruction (`<?xml-stylesheet?>` included) is refused.
// - xinclude: an element in an XInclude namespace (http://www.w3.org/2001/XInclude, and the
//   2003 one some processors still honour; compared without regard to case, scheme or a trailing
//   slash), whatever its prefix, so that a back-office parser with XInclude on cannot be made to
//   pull in a local file or an internal URL. Decided: an xml:base attribute is refused under the
//   same rule: it only redirects where XInclude, XLink and other references resolve, and no
//   council document needs it.
// - root: exactly one root element, no text or CDATA outside it (whitespace and comments are
//   fine), and the route's expectedRoot (local name) / expectedNamespace when set.
// - malformed: anything else that is not well-formed XML 1.0 with namespaces (a declared
//   version other than 1.0 included: back-office parsers are XML 1.0 parsers).
// - size / depth / elements / attributes / name / text: the limits below. A text node, comment or
//   CDATA section counts as text (after entity decoding); an entity reference's name is bounded
//   only by maxBytes (it is never defined, so it is refused as malformed where it ends).
//
// The verdict does not depend on how the body is split. The rule named does not either when the
// body breaks one rule; with several, it is the first one met, which for a long token (text,
// name, value) may be met on the chunk that crosses the limit rather than where the token ends.
import { SaxesParser, type SaxesAttributeNSIncomplete, type SaxesTagNS } from 'saxes';
import { z } from 'zod';
import { clip, isRelayContentError, refusal, RelayContentError } from './errors';
import { checkLifecycle } from './lifecycle';
import { parseContentOptions } from './options';
import { pendingOf } from './saxes-peek';
import { Utf8Decoder } from './utf8';

const KIB = 1024;
const MIB = 1024 * KIB;
/** An XML local name (no colon). */
const NCNAME = /^[\p{L}_][\p{L}\p{N}._\u00b7-]*$/u;

const xmlOptionsSchema = z.strictObject({
  /** Largest body in bytes (default 10 MiB). */
  maxBytes: z
    .int()
    .min(1)
    .max(1024 * MIB)
    .default(10 * MIB),
  /** Deepest element nesting; the root is depth 1 (default 64). */
  maxDepth: z.int().min(1).max(10_000).default(64),
  /** Most attributes on one element, namespace declarations included (default 64). */
  maxAttributes: z.int().min(0).max(10_000).default(64),
  /** Longest element or attribute name, prefix included, in characters (default 256). */
  maxNameLength: z
    .int()
    .min(1)
    .max(64 * KIB)
    .default(256),
  /** Longest attribute value in characters (default 64 KiB). */
  maxAttributeValueLength: z
    .int()
    .min(0)
    .max(64 * MIB)
    .default(64 * KIB),
  /** Longest text node, comment or CDATA section in characters (default 1 MiB). */
  maxTextLength: z
    .int()
    .min(0)
    .max(1024 * MIB)
    .default(MIB),
  /** Most elements in the whole body (default 1,000,000). */
  maxElements: z.int().min(1).max(1_000_000_000).default(1_000_000),
  /**
   * The local name the root element must have, or a list of the names it may have (any
   * namespace unless expectedNamespace).
   */
  expectedRoot: z
    .union([
      z.string().max(256).regex(NCNAME, 'must be an XML local name'),
      z.array(z.string().max(256).regex(NCNAME, 'must be an XML local name')).min(1).max(64),
    ])
    .optional(),
  /** The namespace URI the root element must be in. */
  expectedNamespace: z.string().min(1).max(2048).optional(),
});

/** The options as written by a caller (every field optional). */
export type XmlCheckInput = z.input<typeof xmlOptionsSchema>;
/** The options after validation: complete and frozen. */
export type XmlCheckOptions = Readonly<z.output<typeof xmlOptionsSchema>>;

/** Validates XML check options; throws RELAY_E_CONTENT_CONFIG naming the offending field. */
export function parseXmlCheckOptions(input?: unknown): XmlCheckOptions {
  return parseContentOptions(xmlOptionsSchema, input, 'XML check');
}

/** What an accepted body held. */
export interface XmlSummary {
  /** The root element's local name. */
  readonly root: string;
  /** The root element's namespace URI ('' when none). */
  readonly namespace: string;
  readonly elements: number;
  readonly maxDepth: number;
  readonly bytes: number;
}

/** A check of one body. push() and end() throw RelayContentError, nothing else. */
export interface XmlCheck {
  /** Takes the next chunk; throws on the chunk that breaks a rule (and on every call after). */
  push(chunk: Uint8Array): void;
  /** Ends the body; returns its summary or throws the refusal. */
  end(): XmlSummary;
  /** Bytes taken so far. */
  readonly bytes: number;
}

const DOCTYPE = '<!DOCTYPE';
/** The XInclude namespaces (the 2001 Recommendation and the 2003 draft), loosely spelled. */
const XINCLUDE_NS = /^\s*https?:\/\/www\.w3\.org\/(2001|2003)\/xinclude\/?\s*$/i;
/** Longest name or value in the XML declaration (`standalone`, encoding names are shorter). */
const DECL_MAX = 64;

type Rule =
  | 'encoding'
  | 'doctype'
  | 'pi'
  | 'xinclude'
  | 'root'
  | 'malformed'
  | 'size'
  | 'depth'
  | 'elements'
  | 'attributes'
  | 'name'
  | 'text';

/** saxes' own refusals that are not plain well-formedness. */
function ruleOfSaxes(message: string): Rule {
  if (message.includes('doctype declaration')) return 'doctype';
  if (
    message.includes('text data outside of root node') ||
    message.includes('documents may contain only one root') ||
    message.includes('document must contain a root element')
  ) {
    return 'root';
  }
  return 'malformed';
}

/** Starts the check of one XML body. */
export function createXmlCheck(input?: XmlCheckInput | XmlCheckOptions): XmlCheck {
  const o = parseXmlCheckOptions(input);
  const parser = new SaxesParser<{ xmlns: true }>({ xmlns: true });
  const utf8 = new Utf8Decoder();
  let bytes = 0;
  let open = 0;
  let deepest = 0;
  let elements = 0;
  let attributes = 0;
  let root: { local: string; uri: string } | undefined;
  let rootSeen = false;
  let tail = '';

  const refuse = (rule: Rule, why: string, limit?: number): RelayContentError =>
    refusal('RELAY_E_CONTENT_XML', rule, why, {
      line: parser.line,
      column: parser.column,
      bytes,
      limit,
    });
  const over = (rule: Rule, what: string, limit: number): never => {
    throw refuse(rule, `${what} the limit of ${limit}`, limit);
  };
  const textLength = (n: number): void => {
    if (n > o.maxTextLength)
      over('text', 'a text node, comment or CDATA section is longer than', o.maxTextLength);
  };
  const nameLength = (n: number): void => {
    if (n > o.maxNameLength) over('name', 'a name is longer than', o.maxNameLength);
  };
  const valueLength = (n: number): void => {
    if (n > o.maxAttributeValueLength) {
      over('attributes', 'an attribute value is longer than', o.maxAttributeValueLength);
    }
  };

  parser.on('xmldecl', (decl) => {
    for (const v of [decl.version, decl.encoding, decl.standalone]) {
      if (v !== undefined && v.length > DECL_MAX) {
        throw refuse('malformed', 'the XML declaration holds an over-long value');
      }
    }
    if (decl.version !== undefined && decl.version !== '1.0') {
      throw refuse('malformed', `only XML 1.0 is accepted, not ${clip(decl.version)}`);
    }
    if (decl.encoding !== undefined && decl.encoding.toLowerCase() !== 'utf-8') {
      throw refuse('encoding', `the declared encoding ${clip(decl.encoding)} is not UTF-8`);
    }
  });
  parser.on('doctype', () => {
    throw refuse('doctype', 'a DOCTYPE is never accepted');
  });
  parser.on('processinginstruction', (pi) => {
    throw refuse('pi', `the processing instruction <?${clip(pi.target)} is not accepted`);
  });
  parser.on('opentagstart', (tag) => {
    nameLength(tag.name.length);
    if (open === 0) {
      if (rootSeen) throw refuse('root', 'a second root element');
      const local = tag.name.slice(tag.name.indexOf(':') + 1);
      const roots = o.expectedRoot;
      if (roots !== undefined && !(typeof roots === 'string' ? [roots] : roots).includes(local)) {
        const wanted = typeof roots === 'string' ? roots : roots.join(' or ');
        throw refuse('root', `the root element is ${clip(local)}, not ${wanted}`);
      }
      rootSeen = true;
    }
    if (open + 1 > o.maxDepth) over('depth', 'elements nest deeper than', o.maxDepth);
    if (elements + 1 > o.maxElements)
      over('elements', 'the body has more elements than', o.maxElements);
    open++;
    elements++;
    deepest = Math.max(deepest, open);
    attributes = 0;
  });
  parser.on('attribute', (attr: SaxesAttributeNSIncomplete) => {
    nameLength(attr.name.length);
    if (attr.prefix === 'xml' && attr.local === 'base') {
      throw refuse('xinclude', 'an xml:base attribute (it redirects where references resolve)');
    }
    attributes++;
    if (attributes > o.maxAttributes) {
      over('attributes', 'an element has more attributes than', o.maxAttributes);
    }
    valueLength(attr.value.length);
  });
  parser.on('opentag', (tag: SaxesTagNS) => {
    if (XINCLUDE_NS.test(tag.uri)) {
      throw refuse('xinclude', `the XInclude element <${clip(tag.name)}> is never accepted`);
    }
    if (open === 1 && root === undefined) {
      if (o.expectedNamespace !== undefined && tag.uri !== o.expectedNamespace) {
        throw refuse('root', `the root element is in namespace ${clip(tag.uri)}`);
      }
      root = { local: tag.local, uri: tag.uri };
    }
  });
  parser.on('closetag', () => {
    open--;
  });
  parser.on('text', (text) => {
    textLength(text.length);
  });
  parser.on('cdata', (text) => {
    textLength(text.length);
  });
  parser.on('comment', (text) => {
    textLength(text.length);
  });

  /** Applies the limits to the token saxes is in the middle of. */
  const peek = (): void => {
    const p = pendingOf(parser);
    switch (p.kind) {
      case 'doctype':
        throw refuse('doctype', 'a DOCTYPE is never accepted');
      case 'pi':
        throw refuse('pi', 'a processing instruction other than <?xml ...?> is not accepted');
      case 'text':
        textLength(p.length);
        break;
      case 'name':
        nameLength(p.length);
        if (p.value !== undefined) valueLength(p.value);
        break;
      case 'close':
        if (p.length > o.maxNameLength)
          throw refuse('malformed', 'a closing tag matches no element');
        break;
      case 'decl':
        if (p.length > DECL_MAX) {
          throw refuse('malformed', 'the XML declaration holds an over-long value');
        }
        break;
      case 'none':
        break;
    }
  };
  const write = (text: string): void => {
    if (text === '') return;
    try {
      parser.write(text);
    } catch (e) {
      if (isRelayContentError(e)) throw e;
      throw fromSaxes(e);
    }
    peek();
  };
  const fromSaxes = (e: unknown): RelayContentError => {
    const raw = e instanceof Error ? e.message : 'parser failure';
    const message = raw.replace(/^\d+:\d+: /, '');
    return refuse(ruleOfSaxes(message), `not well-formed: ${clip(message)}`);
  };
  /** Writes `text`, stopping right after each `<!DOCTYPE` to look at what saxes made of it. */
  const feed = (text: string): void => {
    const seen = tail + text;
    let from = 0;
    for (let at = seen.indexOf(DOCTYPE); at !== -1; at = seen.indexOf(DOCTYPE, at + 1)) {
      const cut = at + DOCTYPE.length - tail.length;
      write(text.slice(from, cut));
      from = cut;
    }
    write(text.slice(from));
    tail = seen.slice(-(DOCTYPE.length - 1));
  };
  const take = (piece: Uint8Array): void => {
    bytes += piece.length;
    const { text, invalid } = utf8.decode(piece);
    feed(text);
    if (invalid) throw refuse('encoding', 'the body is not valid UTF-8');
  };

  const life = checkLifecycle({
    kind: 'xml',
    maxBytes: o.maxBytes,
    bytes: () => bytes,
    take,
    tooLarge: () =>
      refuse('size', `the body is larger than the limit of ${o.maxBytes} bytes`, o.maxBytes),
    typed: fromSaxes,
    finish: () => {
      if (utf8.pending > 0) throw refuse('encoding', 'the body ends inside a UTF-8 sequence');
      try {
        parser.close();
      } catch (e) {
        if (isRelayContentError(e)) throw e;
        throw fromSaxes(e);
      }
      if (root === undefined) throw refuse('root', 'the body has no root element');
      return Object.freeze({
        root: root.local,
        namespace: root.uri,
        elements,
        maxDepth: deepest,
        bytes,
      });
    },
  });

  return {
    get bytes() {
      return bytes;
    },
    push: life.push,
    end: life.end,
  };
}

/** Checks a whole body at once (a Service Bus message body, after its envelope is opened). */
export function checkXml(body: Uint8Array, options?: XmlCheckInput | XmlCheckOptions): XmlSummary {
  const check = createXmlCheck(options);
  check.push(body);
  return check.end();
}
