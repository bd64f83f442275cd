// Hostile XML bodies, generated here at run time (never committed as files): every XML attack of
// issue 10, each in several forms. In: the root element the route expects and a context: the URL
// an entity, DTD, XInclude or xml:base points at (a case points it at a canary server; the
// default is a closed loopback port) and the route's limits (default: the XML check's). Out:
// HOSTILE_XML, rows of { name, attack, rule (the RELAY_E_CONTENT_XML rule that refuses it),
// fetches (whether it names the URL), make(root, context) -> the body }. The suites read the same
// table through suites/lib/hostile/xml.ts (relay/ never imports suites/).
import { randomBytes } from 'node:crypto';
import { parseXmlCheckOptions, type XmlCheckOptions } from '../../../src/work/content';

/** The attacks of issue 10's XML list, one catalogue case each (XML-001 ... XML-014). */
export const XML_ATTACKS = [
  'external-entity-file',
  'external-entity-url',
  'remote-dtd',
  'billion-laughs',
  'quadratic-blowup',
  'xinclude',
  'deep-nesting',
  'oversize-body',
  'oversize-attribute',
  'oversize-name',
  'truncated',
  'encoding-bom',
  'illegal-characters',
  'wrong-root',
] as const;
export type XmlAttack = (typeof XML_ATTACKS)[number];

/** The limits a body is made against: those of the route it is sent to. */
export type HostileLimits = Pick<
  XmlCheckOptions,
  'maxBytes' | 'maxDepth' | 'maxAttributes' | 'maxAttributeValueLength' | 'maxNameLength'
>;

export interface HostileXmlContext {
  /** What an entity, DTD, XInclude or xml:base points at (default DEFAULT_URL). */
  readonly url?: string;
  /** The route's limits (any not given: the XML check's defaults). */
  readonly limits?: Partial<HostileLimits>;
}

export interface HostileXml {
  /** What the body tries, for test titles. */
  readonly name: string;
  readonly attack: XmlAttack;
  /** The RELAY_E_CONTENT_XML rule that refuses it. */
  readonly rule: string;
  /** True when the body names context.url for a careless parser to fetch. */
  readonly fetches: boolean;
  /** The body, for a route whose root element is `root`. */
  make(root: string, context?: HostileXmlContext): Buffer;
}

/** A loopback port nothing listens on (discard): never a real address, even by mistake. */
export const DEFAULT_URL = 'http://127.0.0.1:9/relaycheck-canary';

const DEFAULTS: HostileLimits = (() => {
  const o = parseXmlCheckOptions();
  return {
    maxBytes: o.maxBytes,
    maxDepth: o.maxDepth,
    maxAttributes: o.maxAttributes,
    maxAttributeValueLength: o.maxAttributeValueLength,
    maxNameLength: o.maxNameLength,
  };
})();

const DECL = '<?xml version="1.0" encoding="UTF-8"?>\n';
const BOM8 = Buffer.from([0xef, 0xbb, 0xbf]);
const XI_2001 = 'http://www.w3.org/2001/XInclude';
const XI_2003 = 'http://www.w3.org/2003/XInclude';

const utf8 = (s: string): Buffer => Buffer.from(s, 'utf8');
const limitsOf = (c?: HostileXmlContext): HostileLimits => ({ ...DEFAULTS, ...c?.limits });
const urlOf = (c?: HostileXmlContext): string => c?.url ?? DEFAULT_URL;
/** A short nonce, so that no two bodies are the same (no cache or replay decides a case). */
const nonce = (): string => randomBytes(4).toString('hex');
/** An ordinary document of `root` with `inner` inside. */
const doc = (root: string, inner: string, head = DECL): Buffer =>
  utf8(
    `${head}<${root} xmlns="urn:relaycheck:tenant:forms:v1">${inner}<Nonce>${nonce()}</Nonce></${root}>\n`,
  );
/** A document behind a DOCTYPE with `subset` as its internal subset. */
const withDoctype = (root: string, subset: string, inner: string): Buffer =>
  utf8(
    `${DECL}<!DOCTYPE ${root} [\n${subset}\n]>\n<${root}>${inner}<Nonce>${nonce()}</Nonce></${root}>\n`,
  );

const rows: HostileXml[] = [];
function add(
  attack: XmlAttack,
  rule: string,
  name: string,
  make: (root: string, context?: HostileXmlContext) => Buffer,
  fetches = false,
): void {
  rows.push(Object.freeze({ name, attack, rule, fetches, make }));
}

// --- external entity to a local file (XXE) ------------------------------------------------------
for (const [what, system] of [
  ['/etc/passwd', 'file:///etc/passwd'],
  ['/etc/hostname', 'file:///etc/hostname'],
  ['a Windows file', 'file:///c:/windows/win.ini'],
  ['a relative path', '../../../../../../etc/passwd'],
  ['/proc/self/environ', 'file:///proc/self/environ'],
] as const) {
  add('external-entity-file', 'doctype', `external entity to ${what}`, (root) =>
    withDoctype(root, `<!ENTITY xxe SYSTEM "${system}">`, '<Note>&xxe;</Note>'),
  );
}
add('external-entity-file', 'doctype', 'external entity (PUBLIC) to /etc/passwd', (root) =>
  withDoctype(
    root,
    '<!ENTITY xxe PUBLIC "-//council//x//EN" "file:///etc/passwd">',
    '<N>&xxe;</N>',
  ),
);
add('external-entity-file', 'doctype', 'external entity used in an attribute value', (root) =>
  withDoctype(root, '<!ENTITY xxe SYSTEM "file:///etc/passwd">', '<Note ref="&xxe;"/>'),
);
add('external-entity-file', 'doctype', 'external entity behind a UTF-8 BOM and a comment', (root) =>
  Buffer.concat([
    BOM8,
    utf8(`<!-- hello -->\n<!DOCTYPE ${root} [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>`),
    utf8(`<${root}>&xxe;</${root}>`),
  ]),
);

// --- external entity to an internal URL (SSRF) ----------------------------------------------------
add(
  'external-entity-url',
  'doctype',
  'external entity (SYSTEM) to an internal URL',
  (root, c) => withDoctype(root, `<!ENTITY ssrf SYSTEM "${urlOf(c)}">`, '<Note>&ssrf;</Note>'),
  true,
);
add(
  'external-entity-url',
  'doctype',
  'external entity (PUBLIC) to an internal URL',
  (root, c) =>
    withDoctype(root, `<!ENTITY ssrf PUBLIC "-//council//x//EN" "${urlOf(c)}">`, '<N>&ssrf;</N>'),
  true,
);
add(
  'external-entity-url',
  'doctype',
  'external entity to an internal URL, in an attribute',
  (root, c) => withDoctype(root, `<!ENTITY ssrf SYSTEM "${urlOf(c)}">`, '<Note ref="&ssrf;"/>'),
  true,
);
add(
  'external-entity-url',
  'doctype',
  'unparsed external entity (NDATA) to an internal URL',
  (root, c) =>
    withDoctype(
      root,
      `<!NOTATION png SYSTEM "image/png">\n<!ENTITY pic SYSTEM "${urlOf(c)}" NDATA png>\n` +
        '<!ATTLIST Photo src ENTITY #REQUIRED>',
      '<Photo src="pic"/>',
    ),
  true,
);

// --- parameter entity loading a remote DTD --------------------------------------------------------
add(
  'remote-dtd',
  'doctype',
  'parameter entity loading a remote DTD',
  (root, c) => withDoctype(root, `<!ENTITY % remote SYSTEM "${urlOf(c)}">\n%remote;`, '<N>x</N>'),
  true,
);
add(
  'remote-dtd',
  'doctype',
  'out-of-band exfiltration through a remote DTD',
  (root, c) =>
    withDoctype(
      root,
      `<!ENTITY % file SYSTEM "file:///etc/hostname">\n<!ENTITY % dtd SYSTEM "${urlOf(c)}">\n%dtd;`,
      '<N>&send;</N>',
    ),
  true,
);
add(
  'remote-dtd',
  'doctype',
  'an external DTD subset (SYSTEM)',
  (root, c) => utf8(`${DECL}<!DOCTYPE ${root} SYSTEM "${urlOf(c)}">\n<${root}><N>x</N></${root}>`),
  true,
);
add(
  'remote-dtd',
  'doctype',
  'an external DTD subset (PUBLIC)',
  (root, c) =>
    utf8(
      `${DECL}<!DOCTYPE ${root} PUBLIC "-//council//DTD forms//EN" "${urlOf(c)}">\n` +
        `<${root}><N>x</N></${root}>`,
    ),
  true,
);

// --- billion laughs -----------------------------------------------------------------------------
/** Ten levels of ten: 10^10 copies of the innermost text once expanded. */
function laughs(parameter: boolean): string {
  const levels = [`<!ENTITY lol0 "lol${nonce()}">`];
  for (let i = 1; i <= 10; i++) {
    const ref = parameter && i < 10 ? `%lol${String(i - 1)};` : `&lol${String(i - 1)};`;
    levels.push(`<!ENTITY lol${String(i)} "${ref.repeat(10)}">`);
  }
  return levels.join('\n');
}
add('billion-laughs', 'doctype', 'billion laughs (10 levels of 10)', (root) =>
  withDoctype(root, laughs(false), '<Note>&lol10;</Note>'),
);
add('billion-laughs', 'doctype', 'billion laughs in an attribute value', (root) =>
  withDoctype(root, laughs(false), '<Note text="&lol10;"/>'),
);
add('billion-laughs', 'doctype', 'billion laughs without the XML declaration', (root) =>
  Buffer.from(withDoctype(root, laughs(false), '&lol10;').toString('utf8').slice(DECL.length)),
);
add('billion-laughs', 'doctype', 'billion laughs of 30 levels of 2 (deep, narrow)', (root) => {
  const levels = ['<!ENTITY a0 "ha">'];
  for (let i = 1; i <= 30; i++)
    levels.push(`<!ENTITY a${String(i)} "&a${String(i - 1)};&a${String(i - 1)};">`);
  return withDoctype(root, levels.join('\n'), '<N>&a30;</N>');
});

// --- quadratic blow-up --------------------------------------------------------------------------
/** One big entity referenced many times, within the route's size limit (no nesting at all). */
function quadratic(root: string, c: HostileXmlContext | undefined, inAttribute: boolean): Buffer {
  const budget = Math.max(4096, Math.min(limitsOf(c).maxBytes - 1024, 240_000));
  const big = 'a'.repeat(Math.floor(budget / 2));
  const refs = '&x;'.repeat(Math.floor(budget / 2 / 3) - 8);
  return withDoctype(
    root,
    `<!ENTITY x "${big}">`,
    inAttribute ? `<Note text="${refs}"/>` : `<Note>${refs}</Note>`,
  );
}
add('quadratic-blowup', 'doctype', 'quadratic blow-up in text', (root, c) =>
  quadratic(root, c, false),
);
add('quadratic-blowup', 'doctype', 'quadratic blow-up in an attribute value', (root, c) =>
  quadratic(root, c, true),
);

// --- XInclude (and xml:base) --------------------------------------------------------------------
add('xinclude', 'xinclude', 'XInclude of /etc/passwd as text', (root) =>
  doc(root, `<xi:include xmlns:xi="${XI_2001}" href="file:///etc/passwd" parse="text"/>`),
);
add(
  'xinclude',
  'xinclude',
  'XInclude of an internal URL',
  (root, c) => doc(root, `<xi:include xmlns:xi="${XI_2001}" href="${urlOf(c)}" parse="xml"/>`),
  true,
);
add(
  'xinclude',
  'xinclude',
  'XInclude with a fallback, declared on the root',
  (root, c) =>
    utf8(
      `${DECL}<${root} xmlns:xi="${XI_2001}"><Note>x</Note>` +
        `<xi:include href="${urlOf(c)}"><xi:fallback>none</xi:fallback></xi:include></${root}>`,
    ),
  true,
);
add('xinclude', 'xinclude', 'XInclude in the default namespace, deep inside', (root) =>
  doc(root, `<A><B><include xmlns="${XI_2001}" href="file:///etc/hostname" parse="text"/></B></A>`),
);
add('xinclude', 'xinclude', 'XInclude under the 2003 namespace', (root) =>
  doc(root, `<xi:include xmlns:xi="${XI_2003}" href="file:///etc/passwd" parse="text"/>`),
);
add('xinclude', 'xinclude', 'XInclude under a namespace spelled in capitals with a slash', (root) =>
  doc(root, `<x:include xmlns:x="HTTP://WWW.W3.ORG/2001/XINCLUDE/" href="file:///etc/passwd"/>`),
);
add(
  'xinclude',
  'xinclude',
  'xml:base pointing at an internal URL',
  (root, c) => utf8(`${DECL}<${root} xml:base="${urlOf(c)}"><Note>x</Note></${root}>`),
  true,
);

// --- 100,000-deep nesting -----------------------------------------------------------------------
const DEEP = 100_000;
add('deep-nesting', 'depth', '100,000 nested elements', (root) =>
  utf8(`<${root}>${'<a>'.repeat(DEEP)}x${'</a>'.repeat(DEEP)}</${root}>`),
);
add('deep-nesting', 'depth', '100,000 nested elements that never close', (root) =>
  utf8(`${DECL}<${root}>${'<a b="1">'.repeat(DEEP)}`),
);
add('deep-nesting', 'depth', 'one level deeper than the limit', (root, c) => {
  const n = limitsOf(c).maxDepth;
  return utf8(`<${root}>${'<L>'.repeat(n)}x${'</L>'.repeat(n)}</${root}>`);
});

// --- oversize body, attribute and name ----------------------------------------------------------
/** Lines of `text` inside the root until the body is over the route's size limit. */
const overSize = (root: string, c: HostileXmlContext | undefined, line: string): Buffer =>
  doc(root, line.repeat(Math.ceil((limitsOf(c).maxBytes + 1) / Buffer.byteLength(line))));
add('oversize-body', 'size', 'a body of plain lines over the size limit', (root, c) =>
  overSize(root, c, `<Line>${'Noise from the unit next door, every night. '.repeat(20)}</Line>\n`),
);
add(
  'oversize-body',
  'size',
  'a body of Welsh text (two-byte letters) over the size limit',
  (root, c) =>
    overSize(
      root,
      c,
      `<Llinell>${'Sŵn o’r fflat drws nesaf, bob nos. Ŵyl Dewi. '.repeat(20)}</Llinell>\n`,
    ),
);
add('oversize-body', 'size', 'comments after the root past the size limit', (root, c) => {
  const pad = `<!-- ${'padding '.repeat(120)}-->\n`;
  const n = Math.ceil((limitsOf(c).maxBytes + 1) / pad.length);
  return Buffer.concat([doc(root, '<N>x</N>'), utf8(pad.repeat(n))]);
});
add('oversize-attribute', 'attributes', 'an attribute value one over the limit', (root, c) =>
  doc(root, `<Note text="${'v'.repeat(limitsOf(c).maxAttributeValueLength + 1)}"/>`),
);
add(
  'oversize-attribute',
  'attributes',
  'an attribute value of escapes over the limit',
  (root, c) => {
    // The limit counts characters once decoded: as many of them escapes (five bytes each) as the
    // route's size limit leaves room for, so that the body breaks the value limit, not the size.
    const { maxAttributeValueLength, maxBytes } = limitsOf(c);
    const n = maxAttributeValueLength + 1;
    const escapes = Math.max(0, Math.min(n, Math.floor((maxBytes - 1024 - n) / 4)));
    return doc(root, `<Note text="${'&amp;'.repeat(escapes)}${'v'.repeat(n - escapes)}"/>`);
  },
);
add('oversize-attribute', 'attributes', 'one attribute more than the limit', (root, c) => {
  const n = limitsOf(c).maxAttributes + 1;
  return doc(
    root,
    `<Note ${Array.from({ length: n }, (_, i) => `a${String(i)}="${String(i)}"`).join(' ')}/>`,
  );
});
add('oversize-name', 'name', 'an element name one over the limit', (root, c) => {
  const name = `N${'n'.repeat(limitsOf(c).maxNameLength)}`;
  return doc(root, `<${name}>x</${name}>`);
});
add('oversize-name', 'name', 'an attribute name one over the limit', (root, c) =>
  doc(root, `<Note ${'a'.repeat(limitsOf(c).maxNameLength + 1)}="1"/>`),
);
add('oversize-name', 'name', 'a prefix that makes the name too long', (root, c) => {
  const prefix = `p${'p'.repeat(limitsOf(c).maxNameLength)}`;
  return doc(root, `<${prefix}:Note xmlns:${prefix}="urn:x">x</${prefix}:Note>`);
});

// --- truncated documents ------------------------------------------------------------------------
const whole = (root: string): string =>
  `${DECL}<${root} xmlns="urn:relaycheck:tenant:forms:v1" ref="CT-${nonce()}">` +
  `<Name>Siân Llŷr</Name><!-- comment --><Text><![CDATA[raw <text>]]></Text></${root}>\n`;
/** The whole document cut right after the first occurrence of `marker` (or before it, with -1). */
const cutAt = (root: string, marker: string, shift = 0): Buffer => {
  const text = whole(root);
  const at = text.indexOf(marker);
  return utf8(text.slice(0, at + shift));
};
add('truncated', 'malformed', 'cut before the root closes', (root) => cutAt(root, `</${root}>`));
add('truncated', 'malformed', 'cut inside a start tag', (root) => cutAt(root, '<Name>', 3));
add('truncated', 'malformed', 'cut inside an attribute value', (root) => cutAt(root, 'ref="', 6));
add('truncated', 'malformed', 'cut inside a comment', (root) => cutAt(root, '<!--', 7));
add('truncated', 'malformed', 'cut inside a CDATA section', (root) => cutAt(root, '<![CDATA[', 12));
add('truncated', 'malformed', 'cut inside an end tag', (root) => cutAt(root, `</${root}>`, 3));
add('truncated', 'encoding', 'cut inside a two-byte character', (root) => {
  const text = utf8(whole(root));
  return text.subarray(0, text.indexOf(utf8('â')) + 1);
});
add('truncated', 'root', 'cut after the XML declaration', () => utf8(DECL));
add('truncated', 'root', 'cut to nothing', () => Buffer.alloc(0));

// --- an encoding declaration that contradicts the BOM -------------------------------------------
const declared = (encoding: string, root: string): string =>
  `<?xml version="1.0" encoding="${encoding}"?>\n<${root}><N>x</N></${root}>\n`;
add('encoding-bom', 'encoding', 'UTF-8 BOM, encoding="UTF-16"', (root) =>
  Buffer.concat([BOM8, utf8(declared('UTF-16', root))]),
);
add('encoding-bom', 'encoding', 'UTF-8 BOM, encoding="ISO-8859-1"', (root) =>
  Buffer.concat([BOM8, utf8(declared('ISO-8859-1', root))]),
);
add('encoding-bom', 'encoding', 'UTF-16LE BOM, encoding="UTF-8", body in UTF-16LE', (root) =>
  Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(declared('UTF-8', root), 'utf16le')]),
);
add('encoding-bom', 'encoding', 'UTF-16BE BOM, encoding="UTF-8", body in UTF-16BE', (root) =>
  Buffer.concat([
    Buffer.from([0xfe, 0xff]),
    Buffer.from(declared('UTF-8', root), 'utf16le').swap16(),
  ]),
);
add('encoding-bom', 'encoding', 'UTF-16LE BOM, encoding="UTF-8", body in UTF-8', (root) =>
  Buffer.concat([Buffer.from([0xff, 0xfe]), utf8(declared('UTF-8', root))]),
);
add('encoding-bom', 'encoding', 'UTF-32LE BOM, encoding="UTF-8"', (root) =>
  Buffer.concat([Buffer.from([0xff, 0xfe, 0x00, 0x00]), utf8(declared('UTF-8', root))]),
);
add('encoding-bom', 'encoding', 'UTF-8 BOM, encoding="UTF-32"', (root) =>
  Buffer.concat([BOM8, utf8(declared('UTF-32', root))]),
);

// --- characters XML 1.0 forbids -----------------------------------------------------------------
for (const [what, inner] of [
  ['U+0001 in text', '<N>bill\u0001</N>'],
  ['NUL in text', '<N>bill\u0000</N>'],
  ['U+001F in an attribute value', '<N v="a\u001fb"/>'],
  ['U+000B in a comment', '<!-- \u000b -->'],
  ['U+FFFE in text', '<N>\ufffe</N>'],
  ['U+FFFF in text', '<N>\uffff</N>'],
  ['a lone surrogate by reference (&#xD800;)', '<N>&#xD800;</N>'],
  ['NUL by reference (&#0;)', '<N>&#0;</N>'],
  ['U+0001 by reference (&#x1;)', '<N>&#x1;</N>'],
  ['U+FFFE by reference (&#xFFFE;)', '<N>&#xFFFE;</N>'],
  ['beyond U+10FFFF by reference (&#x110000;)', '<N>&#x110000;</N>'],
  ['U+0008 in a CDATA section', '<N><![CDATA[\u0008]]></N>'],
] as const) {
  add('illegal-characters', 'malformed', what, (root) => doc(root, inner));
}
for (const [what, bytes] of [
  ['a lone surrogate in UTF-8 bytes (ED A0 80)', [0xed, 0xa0, 0x80]],
  ['an overlong "<" (C0 BC)', [0xc0, 0xbc]],
  ['a byte that is never UTF-8 (FF)', [0xff]],
  ['beyond U+10FFFF in bytes (F4 90 80 80)', [0xf4, 0x90, 0x80, 0x80]],
] as const) {
  add('illegal-characters', 'encoding', what, (root) =>
    Buffer.concat([utf8(`<${root}><N>`), Buffer.from(bytes), utf8(`</N></${root}>`)]),
  );
}

// --- well-formed, but the wrong root element for the route ---------------------------------------
add('wrong-root', 'root', "another service's document", (root) =>
  doc(root === 'LicenceApplication' ? 'ChangeOfCircumstances' : 'LicenceApplication', '<N>x</N>'),
);
add('wrong-root', 'root', 'the root name in another case', (root) =>
  doc(root.toLowerCase(), '<N>x</N>'),
);
add('wrong-root', 'root', 'the expected root wrapped in an envelope', (root) =>
  doc('Envelope', `<${root}><N>x</N></${root}>`),
);
add('wrong-root', 'root', 'a second root after the expected one', (root) =>
  Buffer.concat([doc(root, '<N>x</N>'), utf8(`<${root}><N>y</N></${root}>`)]),
);
add('wrong-root', 'root', 'text after the root', (root) =>
  Buffer.concat([doc(root, '<N>x</N>'), utf8('and some text')]),
);
add('wrong-root', 'root', 'a prefixed root with another local name', (root) =>
  utf8(`<f:${root}Extra xmlns:f="urn:x"><f:N>x</f:N></f:${root}Extra>`),
);

/** Every hostile XML body, with its attack and the rule that refuses it. */
export const HOSTILE_XML: readonly HostileXml[] = Object.freeze(rows);

/** The rows of one attack. */
export function hostileXmlOf(attack: XmlAttack): readonly HostileXml[] {
  return HOSTILE_XML.filter((h) => h.attack === attack);
}
