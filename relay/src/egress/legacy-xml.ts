// The legacy Azure IP list (`/AzurePublicIpAddresses/Region[@Name]/IpRange[@Subnet]`,
// deprecated June 2020; the format the integration proxy guide quotes). In: text or bytes.
// Out: a ParsedSource with one group per Region (AzureCloud-equivalent, no tags), or a
// RangesError with line and column.
// Two passes, both linear: a small markup scan refuses a DOCTYPE (so no entity is ever
// declared, let alone expanded), undefined entity references and look-alike characters
// (U+00A0 from a copied document, curly quotes) with a precise position, and, when asked
// (tolerateNbsp), replaces U+00A0 between markup tokens by a space; then saxes, a real
// XML parser, checks well-formedness while handlers check the structure.
import { SaxesParser, type SaxesTagPlain } from 'saxes';
import { tryParseCidr, type Cidr } from './cidr';
import { RangesError, isRangesError } from './errors';
import {
  codePointName,
  decodeText,
  locate,
  type ParseOptions,
  type ParsedSource,
  type RangeGroup,
} from './source';

/** Characters that look like whitespace but are not XML whitespace, with their names. */
const LOOKALIKE_SPACES: ReadonlyMap<number, string> = new Map([
  [0x0085, 'NEXT LINE (NEL)'],
  [0x00a0, 'NO-BREAK SPACE'],
  [0x1680, 'OGHAM SPACE MARK'],
  [0x2000, 'EN QUAD'],
  [0x2001, 'EM QUAD'],
  [0x2002, 'EN SPACE'],
  [0x2003, 'EM SPACE'],
  [0x2004, 'THREE-PER-EM SPACE'],
  [0x2005, 'FOUR-PER-EM SPACE'],
  [0x2006, 'SIX-PER-EM SPACE'],
  [0x2007, 'FIGURE SPACE'],
  [0x2008, 'PUNCTUATION SPACE'],
  [0x2009, 'THIN SPACE'],
  [0x200a, 'HAIR SPACE'],
  [0x200b, 'ZERO WIDTH SPACE'],
  [0x2028, 'LINE SEPARATOR'],
  [0x2029, 'PARAGRAPH SEPARATOR'],
  [0x202f, 'NARROW NO-BREAK SPACE'],
  [0x205f, 'MEDIUM MATHEMATICAL SPACE'],
  [0x3000, 'IDEOGRAPHIC SPACE'],
  [0xfeff, 'ZERO WIDTH NO-BREAK SPACE'],
]);

/** Curly quotes a word processor substitutes for the straight ones. */
const LOOKALIKE_QUOTES: ReadonlyMap<number, string> = new Map([
  [0x2018, 'LEFT SINGLE QUOTATION MARK'],
  [0x2019, 'RIGHT SINGLE QUOTATION MARK'],
  [0x201c, 'LEFT DOUBLE QUOTATION MARK'],
  [0x201d, 'RIGHT DOUBLE QUOTATION MARK'],
]);

const LOOKALIKE_SPACE_RE = /[\u0085\u00a0\u1680\u2000-\u200b\u2028\u2029\u202f\u205f\u3000\ufeff]/;
const PREDEFINED_ENTITIES = new Set(['lt', 'gt', 'amp', 'quot', 'apos']);
const ENTITY_NAME = /^[\p{L}_:][\p{L}\p{N}_.:-]*$/u;
const CHAR_REF = /^#(?:[0-9]+|x[0-9A-Fa-f]+)$/;
const NBSP = 0x00a0;
const TOLERANT_HINT =
  ' (text copied from a web page or document; download the list again, or use the explicit tolerant option to replace U+00A0 by a space)';

interface ScanResult {
  readonly text: string;
  readonly replaced: number;
  /** Offsets of the `<` of every start tag, in document order. */
  readonly tagStarts: readonly number[];
}

function isXmlSpace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
}

/**
 * The markup scan. Refuses DOCTYPE/ENTITY declarations, references to undeclared entities
 * and look-alike characters where XML needs plain whitespace or quotes; replaces U+00A0
 * there by a space when `tolerant`.
 */
function scanMarkup(text: string, tolerant: boolean): ScanResult {
  const n = text.length;
  const replaceAt: number[] = [];
  const tagStarts: number[] = [];

  const at = (offset: number): string => {
    const { line, column } = locate(text, offset);
    return `line ${line}, column ${column}`;
  };
  const position = (offset: number): { line: number; column: number } => locate(text, offset);

  const lookalike = (offset: number, where: string, quote: boolean): never => {
    const cp = text.charCodeAt(offset);
    const name = (quote ? LOOKALIKE_QUOTES : LOOKALIKE_SPACES).get(cp) ?? 'a look-alike character';
    const allowed = quote
      ? `where XML requires a straight quote (" or ') ${where}`
      : `where XML allows only space, tab, CR or LF ${where}`;
    throw new RangesError(
      'IP_E_CHARACTER',
      `${at(offset)}: ${codePointName(cp)} ${name} ${allowed}${cp === NBSP ? TOLERANT_HINT : ''}`,
      { ...position(offset), character: codePointName(cp), name },
    );
  };

  const checkEntity = (amp: number): void => {
    // Look only a short way ahead, so a text full of '&' stays linear.
    const window = text.slice(amp + 1, amp + 66);
    const semi = window.indexOf(';');
    if (semi < 0) return; // not a reference; saxes reports it
    const ref = window.slice(0, semi);
    if (PREDEFINED_ENTITIES.has(ref) || CHAR_REF.test(ref) || !ENTITY_NAME.test(ref)) return;
    throw new RangesError(
      'IP_E_ENTITY',
      `${at(amp)}: &${ref}; is not one of XML's five predefined entities; declaring it would need a DOCTYPE, and DOCTYPEs are refused`,
      { ...position(amp), entity: ref },
    );
  };

  const textRun = (from: number, to: number): void => {
    for (let a = text.indexOf('&', from); a >= 0 && a < to; a = text.indexOf('&', a + 1)) {
      checkEntity(a);
    }
    const run = text.slice(from, to);
    if (!LOOKALIKE_SPACE_RE.test(run)) return;
    for (let i = 0; i < run.length; i++) {
      const c = run.charCodeAt(i);
      if (!isXmlSpace(c) && !LOOKALIKE_SPACES.has(c)) return; // real text: the structure check decides
    }
    for (let i = 0; i < run.length; i++) {
      const c = run.charCodeAt(i);
      if (!LOOKALIKE_SPACES.has(c)) continue;
      if (tolerant && c === NBSP) replaceAt.push(from + i);
      else lookalike(from + i, 'between elements', false);
    }
  };

  const tag = (start: number): number => {
    const endTag = text.charCodeAt(start + 1) === 0x2f;
    if (!endTag) tagStarts.push(start);
    let quote = 0;
    let seenEquals = false;
    for (let j = start + (endTag ? 2 : 1); j < n; j++) {
      const c = text.charCodeAt(j);
      if (quote !== 0) {
        if (c === quote) quote = 0;
        else if (c === 0x26) checkEntity(j);
        continue;
      }
      if (c === 0x22 || c === 0x27) quote = c;
      else if (c === 0x3e) return j + 1;
      else if (c === 0x3c)
        return j; // malformed; saxes reports it
      else if (c === 0x3d) seenEquals = true;
      else if (LOOKALIKE_SPACES.has(c)) {
        if (tolerant && c === NBSP) {
          replaceAt.push(j);
          continue;
        }
        let k = j + 1;
        while (
          k < n &&
          (isXmlSpace(text.charCodeAt(k)) || LOOKALIKE_SPACES.has(text.charCodeAt(k)))
        )
          k++;
        const next = text.charCodeAt(k);
        const where = endTag
          ? 'inside an end tag'
          : next === 0x2f || next === 0x3e
            ? 'before the end of a tag'
            : seenEquals
              ? 'between attributes'
              : 'between a tag name and its attributes';
        lookalike(j, where, false);
      } else if (LOOKALIKE_QUOTES.has(c)) {
        lookalike(j, 'around an attribute value', true);
      }
    }
    return n;
  };

  let i = 0;
  while (i < n) {
    if (text.charCodeAt(i) !== 0x3c) {
      const next = text.indexOf('<', i);
      const to = next < 0 ? n : next;
      textRun(i, to);
      i = to;
      continue;
    }
    if (text.startsWith('<!--', i)) {
      const end = text.indexOf('-->', i + 4);
      i = end < 0 ? n : end + 3;
    } else if (text.startsWith('<![CDATA[', i)) {
      const end = text.indexOf(']]>', i + 9);
      i = end < 0 ? n : end + 3;
    } else if (text.startsWith('<?', i)) {
      const end = text.indexOf('?>', i + 2);
      i = end < 0 ? n : end + 2;
    } else if (/^<!(?:doctype|entity)/i.test(text.slice(i, i + 9))) {
      const declaration = text.slice(i + 2, i + 9).toUpperCase();
      throw new RangesError(
        'IP_E_DOCTYPE',
        `${at(i)}: <!${declaration} refused: the IP range list never needs a document type, and refusing it means no entity can be declared or expanded`,
        position(i),
      );
    } else {
      i = tag(i);
    }
  }

  if (replaceAt.length === 0) return { text, replaced: 0, tagStarts };
  const parts: string[] = [];
  let from = 0;
  for (const r of replaceAt) {
    parts.push(text.slice(from, r), ' ');
    from = r + 1;
  }
  parts.push(text.slice(from));
  return { text: parts.join(''), replaced: replaceAt.length, tagStarts };
}

/** Offset of the value of attribute `name` in the start tag at `tagStart` (for positions). */
function attributeOffset(text: string, tagStart: number, name: string): number {
  const end = text.indexOf('>', tagStart);
  const slice = text.slice(tagStart, end < 0 ? undefined : end);
  const re = new RegExp(`[\\s]${name}\\s*=\\s*["']`);
  const m = re.exec(slice);
  return m === null ? tagStart : tagStart + m.index + m[0].length;
}

const ROOT = 'AzurePublicIpAddresses';

/**
 * Parses the legacy XML list. Refuses (RangesError): DOCTYPE/ENTITY (IP_E_DOCTYPE),
 * undeclared entities (IP_E_ENTITY), look-alike characters in markup (IP_E_CHARACTER,
 * unless tolerateNbsp for U+00A0), malformed XML (IP_E_XML), wrong structure
 * (IP_E_SCHEMA), non-canonical subnets (IP_E_CIDR).
 */
export function parseLegacyXml(
  input: string | Uint8Array,
  options: ParseOptions = {},
): ParsedSource {
  const strict = options.strict ?? true;
  const decoded = decodeText(input, options.maxBytes);
  const scan = scanMarkup(decoded, options.tolerateNbsp === true);
  const text = scan.text;
  const warnings: string[] = [];
  const groups: { region: string; prefixes: Cidr[] }[] = [];
  const byName = new Map<string, { region: string; prefixes: Cidr[] }>();

  const parser = new SaxesParser({ xmlns: false, position: true });
  const stack: string[] = [];
  let skipDepth = 0; // > 0 while inside an element lenient mode skips
  let tagIndex = 0;
  let current: { region: string; prefixes: Cidr[] } | undefined;
  let rangeIndex = 0;

  const here = (): { line: number; column: number } => ({
    line: parser.line,
    column: parser.column + 1,
  });
  const schema = (offset: number | undefined, message: string, path: string): RangesError => {
    const pos = offset === undefined ? here() : locate(text, offset);
    return new RangesError('IP_E_SCHEMA', `line ${pos.line}, column ${pos.column}: ${message}`, {
      ...pos,
      path,
    });
  };
  const lenient = (offset: number | undefined, message: string, path: string): void => {
    if (strict) throw schema(offset, message, path);
    const pos = offset === undefined ? here() : locate(text, offset);
    warnings.push(`line ${pos.line}: ${message} (skipped)`);
  };
  const pathOf = (name: string): string => `/${[...stack, name].join('/')}`;

  const checkAttributes = (
    tag: SaxesTagPlain,
    start: number | undefined,
    allowed: (name: string) => boolean,
  ): void => {
    for (const name of Object.keys(tag.attributes)) {
      if (!allowed(name)) {
        lenient(
          start,
          `unexpected attribute ${name} on <${tag.name}>`,
          pathOf(`${tag.name}/@${name}`),
        );
      }
    }
  };

  parser.on('doctype', () => {
    // The scan refuses every DOCTYPE first; this is the second line of defence.
    throw new RangesError('IP_E_DOCTYPE', `line ${parser.line}: DOCTYPE refused`, here());
  });
  parser.on('error', (err: Error) => {
    const message = err.message.replace(/^\d+:\d+: /, '');
    const pos = here();
    throw new RangesError('IP_E_XML', `line ${pos.line}, column ${pos.column}: ${message}`, pos);
  });
  parser.on('text', (t: string) => {
    if (skipDepth > 0 || !/[^ \t\r\n]/.test(t)) return;
    const shown = t.trim().slice(0, 40);
    lenient(undefined, `unexpected text ${JSON.stringify(shown)}`, `/${stack.join('/')}/text()`);
  });
  parser.on('cdata', () => {
    if (skipDepth === 0) lenient(undefined, 'unexpected CDATA section', `/${stack.join('/')}`);
  });
  parser.on('opentag', (tag: SaxesTagPlain) => {
    const start = scan.tagStarts[tagIndex++];
    if (skipDepth > 0) {
      skipDepth++;
      return;
    }
    const depth = stack.length;
    if (depth === 0) {
      if (tag.name !== ROOT) {
        throw schema(
          start,
          `the root element is <${tag.name}>, expected <${ROOT}>`,
          `/${tag.name}`,
        );
      }
      checkAttributes(tag, start, (a) => a === 'xmlns' || a.startsWith('xmlns:'));
    } else if (depth === 1 && tag.name === 'Region') {
      checkAttributes(tag, start, (a) => a === 'Name');
      const name = tag.attributes.Name;
      if (name === undefined || name.trim() === '') {
        throw schema(start, '<Region> has no Name', pathOf('Region'));
      }
      const key = name.toLowerCase();
      const existing = byName.get(key);
      if (existing !== undefined) {
        lenient(start, `Region "${name}" appears twice`, pathOf(`Region[@Name="${name}"]`));
        current = existing;
      } else {
        current = { region: name, prefixes: [] };
        byName.set(key, current);
        groups.push(current);
      }
      rangeIndex = 0;
    } else if (depth === 2 && tag.name === 'IpRange' && current !== undefined) {
      checkAttributes(tag, start, (a) => a === 'Subnet');
      rangeIndex++;
      const path = `/${ROOT}/Region[@Name="${current.region}"]/IpRange[${rangeIndex}]/@Subnet`;
      const subnet = tag.attributes.Subnet;
      if (subnet === undefined) throw schema(start, '<IpRange> has no Subnet', path);
      const cidr = tryParseCidr(subnet);
      if (typeof cidr === 'string') {
        const pos = locate(text, start === undefined ? 0 : attributeOffset(text, start, 'Subnet'));
        throw new RangesError(
          'IP_E_CIDR',
          `line ${pos.line}, column ${pos.column}: Subnet ${JSON.stringify(subnet)} is not a canonical CIDR: ${cidr}`,
          { ...pos, path, value: subnet },
        );
      }
      current.prefixes.push(cidr);
    } else {
      lenient(start, `unexpected element <${tag.name}>`, pathOf(tag.name));
      skipDepth = 1;
      return;
    }
    if (tag.isSelfClosing) return; // saxes still emits closetag; keep the stack symmetric
    stack.push(tag.name);
  });
  parser.on('closetag', (tag: SaxesTagPlain) => {
    if (skipDepth > 0) {
      skipDepth--;
      return;
    }
    if (tag.isSelfClosing) return;
    stack.pop();
    if (stack.length === 1) current = undefined;
  });

  try {
    parser.write(text).close();
  } catch (e) {
    if (isRangesError(e)) throw e;
    const pos = here();
    const message = e instanceof Error ? e.message : String(e);
    throw new RangesError('IP_E_XML', `line ${pos.line}, column ${pos.column}: ${message}`, pos);
  }

  const out: RangeGroup[] = groups.map((g) => ({
    tag: undefined,
    family: 'AzureCloud',
    region: g.region,
    changeNumber: undefined,
    systemService: undefined,
    prefixes: Object.freeze(g.prefixes),
  }));
  return Object.freeze({
    format: 'xml',
    layout: 'legacy-xml',
    changeNumber: undefined,
    cloud: undefined,
    groups: Object.freeze(out),
    nbspReplaced: scan.replaced,
    warnings: Object.freeze(warnings),
  });
}
