// Arbitrary XML bodies for the content-check properties. In: fast-check. Out: small documents
// that are valid under LIMITS, and the same documents with exactly one defect whose rule is
// known (`defective`), plus byte-level mutations of them that may break several rules at once.
import fc from 'fast-check';
import type { XmlCheckInput } from '../../../src/work/content';

/** Limits small enough for generated bodies to reach them. */
export const LIMITS = Object.freeze({
  maxDepth: 4,
  maxAttributes: 3,
  maxNameLength: 8,
  maxAttributeValueLength: 12,
  maxTextLength: 16,
  maxElements: 12,
  maxBytes: 600,
});

interface El {
  readonly name: string;
  readonly attrs: readonly (readonly [string, string])[];
  readonly kids: readonly (El | string)[];
}

const join = (parts: readonly string[]): string => parts.join('');
const name = fc.constantFrom('a', 'bb', 'doc', 'p:e', 'x-1', 'é', 'Ŵ');
const attrName = fc.constantFrom('id', 'n', 'q', 'p:r');
// Each token decodes to at most 2 UTF-16 units: values ≤ 12, texts ≤ 16.
const value = fc
  .array(fc.constantFrom('a', '1', ' ', '&amp;', '&lt;', '&quot;', '&#233;', 'é', '😀'), {
    maxLength: 6,
  })
  .map(join);
const text = fc
  .array(fc.constantFrom('t', 'x ', ' ', '\n', '&amp;', '&gt;', 'é', '😀', '\r\n', ']'), {
    minLength: 1,
    maxLength: 8,
  })
  .map(join);
const cdata = fc
  .array(fc.constantFrom('c', '<', '&', ' ', 'é'), { maxLength: 8 })
  .map((s) => `<![CDATA[${join(s)}]]>`);
const comment = fc
  .array(fc.constantFrom('c', ' ', 'é', '<'), { maxLength: 8 })
  .map((s) => `<!--${join(s)}-->`);
const attrs = (max: number) =>
  fc.uniqueArray(fc.tuple(attrName, value), { selector: (a) => a[0], maxLength: max });

function element(depth: number): fc.Arbitrary<El> {
  const leafy = fc.oneof(text, cdata, comment);
  const kid: fc.Arbitrary<El | string> =
    depth >= LIMITS.maxDepth
      ? leafy
      : fc.oneof({ arbitrary: leafy, weight: 3 }, element(depth + 1));
  return fc.record({
    name,
    attrs: attrs(depth === 1 ? 2 : LIMITS.maxAttributes),
    kids: fc.array(kid, { maxLength: 3 }),
  });
}

const count = (e: El): number =>
  1 + e.kids.reduce((n, k) => n + (typeof k === 'string' ? 0 : count(k)), 0);

function render(e: El, root: boolean): string {
  const a = [...(root ? [['xmlns:p', 'urn:p'] as const] : []), ...e.attrs]
    .map(([k, v]) => ` ${k}="${v}"`)
    .join('');
  if (e.kids.length === 0) return `<${e.name}${a}/>`;
  // Two texts side by side would merge into one longer text node: keep them apart.
  const inner = e.kids
    .map((k, i) => {
      if (typeof k !== 'string') return render(k, false);
      const prev = e.kids[i - 1];
      return typeof prev === 'string' && !prev.startsWith('<') && !k.startsWith('<')
        ? `<!---->${k}`
        : k;
    })
    .join('');
  return `<${e.name}${a}>${inner}</${e.name}>`;
}

interface Doc {
  readonly bom: boolean;
  readonly decl: string;
  readonly before: string;
  readonly root: El;
  readonly after: string;
}

const doc: fc.Arbitrary<Doc> = fc.record({
  bom: fc.boolean(),
  decl: fc.constantFrom(
    '',
    '<?xml version="1.0"?>',
    '<?xml version="1.0" encoding="UTF-8"?>\n',
    "<?xml version='1.0' encoding='utf-8' standalone='yes'?>",
  ),
  before: fc.constantFrom('', '\n', '<!-- hi -->\n', ' \t'),
  root: element(1).filter((e) => count(e) <= 6),
  after: fc.constantFrom('', '\n', '<!-- bye -->', '\r\n '),
});

/** A body: its bytes, the options to check it with, and the rule it breaks (or 'none'). */
export interface Body {
  readonly bytes: Buffer;
  readonly options: XmlCheckInput;
  readonly rule: string;
  readonly defect: string;
}

/** The UTF-8 of this private-use character is swapped for one invalid byte. */
const BAD_BYTE = '\ue000';

function bytesOf(d: Doc): Buffer {
  const body = Buffer.from(`${d.decl}${d.before}${render(d.root, true)}${d.after}`);
  const withBom = d.bom ? Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), body]) : body;
  const at = withBom.indexOf(Buffer.from(BAD_BYTE));
  if (at === -1) return withBom;
  return Buffer.concat([withBom.subarray(0, at), Buffer.from([0xff]), withBom.subarray(at + 3)]);
}

const withKid = (d: Doc, kid: El | string, at: number): Doc => {
  const kids = [...d.root.kids];
  kids.splice(at % (kids.length + 1), 0, kid);
  return { ...d, root: { ...d.root, kids } };
};
const chain = (n: number): El => ({ name: 'd', attrs: [], kids: n > 1 ? [chain(n - 1)] : [] });

type Mutation = readonly [defect: string, rule: string, apply: (d: Doc, at: number) => Body];

const body = (d: Doc, rule: string, defect: string, options: XmlCheckInput = LIMITS): Body => ({
  bytes: bytesOf(d),
  options,
  rule,
  defect,
});
const kid = (defect: string, rule: string, k: El | string): Mutation => [
  defect,
  rule,
  (d, at) => body(withKid(d, k, at), rule, defect),
];

const MUTATIONS: readonly Mutation[] = [
  [
    'doctype',
    'doctype',
    (d) =>
      body({ ...d, before: `${d.before}<!DOCTYPE r [<!ENTITY e "x">]>` }, 'doctype', 'doctype'),
  ],
  kid('pi in the root', 'pi', '<?go now?>'),
  [
    'pi after the root',
    'pi',
    (d) => body({ ...d, after: `${d.after}<?end?>` }, 'pi', 'pi after the root'),
  ],
  ['second root', 'root', (d) => body({ ...d, after: `${d.after}<z/>` }, 'root', 'second root')],
  [
    'text after the root',
    'root',
    (d) => body({ ...d, after: `${d.after}oops` }, 'root', 'text after the root'),
  ],
  ['wrong root', 'root', (d) => body(d, 'root', 'wrong root', { ...LIMITS, expectedRoot: 'zzz' })],
  [
    'unclosed root',
    'malformed',
    (d) => {
      const b = bytesOf({ ...withKid(d, 't', 0), after: '' });
      const cut = b.lastIndexOf('<');
      return {
        bytes: b.subarray(0, cut),
        options: LIMITS,
        rule: 'malformed',
        defect: 'unclosed root',
      };
    },
  ],
  kid('undefined entity', 'malformed', '&nope;'),
  kid('control character', 'malformed', '\u0001'),
  kid('depth', 'depth', chain(4)),
  kid('elements', 'elements', {
    name: 'r',
    attrs: [],
    kids: Array.from({ length: 12 }, () => chain(1)),
  }),
  kid('name', 'name', { name: 'abcdefghij', attrs: [], kids: [] }),
  kid('attribute name', 'name', { name: 'v', attrs: [['abcdefghij', '1']], kids: [] }),
  kid('attribute value', 'attributes', { name: 'v', attrs: [['a', '0123456789abcdef']], kids: [] }),
  kid('attribute count', 'attributes', {
    name: 'v',
    attrs: [
      ['k1', '1'],
      ['k2', '2'],
      ['k3', '3'],
      ['k4', '4'],
    ],
    kids: [],
  }),
  kid('text', 'text', 'T'.repeat(20)),
  kid('comment', 'text', `<!--${'c'.repeat(20)}-->`),
  kid('cdata', 'text', `<![CDATA[${'c'.repeat(20)}]]>`),
  kid('size', 'size', {
    name: 'pad',
    attrs: [],
    kids: Array.from({ length: 40 }, () => '<!--0123456789-->'),
  }),
  kid('invalid byte', 'encoding', BAD_BYTE),
  [
    'declared encoding',
    'encoding',
    (d) =>
      body(
        { ...d, decl: '<?xml version="1.0" encoding="ISO-8859-1"?>' },
        'encoding',
        'declared encoding',
      ),
  ],
  [
    'cut sequence',
    'encoding',
    (d) => {
      const b = bytesOf(d);
      return {
        bytes: Buffer.concat([b, Buffer.from('😀').subarray(0, 2)]),
        options: LIMITS,
        rule: 'encoding',
        defect: 'cut sequence',
      };
    },
  ],
];

/** A valid body, rule 'none'. */
export const valid: fc.Arbitrary<Body> = doc.map((d) => body(d, 'none', 'none'));

/** A body with exactly one defect, and the rule that defect breaks. */
export const defective: fc.Arbitrary<Body> = fc
  .tuple(doc, fc.nat({ max: MUTATIONS.length - 1 }), fc.nat())
  .map(([d, m, at]) => {
    const mutation = MUTATIONS[m];
    if (mutation === undefined) throw new Error(`no mutation ${m}`);
    const [, , apply] = mutation;
    return apply(d, at);
  });

/** Valid or one-defect bodies with random bytes flipped, inserted or removed: any rules. */
export const mangled: fc.Arbitrary<Body> = fc
  .tuple(
    fc.oneof(valid, defective),
    fc.array(
      fc.tuple(
        fc.nat(),
        fc.integer({ min: 0, max: 255 }),
        fc.constantFrom('set', 'insert', 'delete'),
      ),
      {
        minLength: 1,
        maxLength: 4,
      },
    ),
  )
  .map(([b, edits]) => {
    let bytes = Buffer.from(b.bytes);
    for (const [pos, byte, op] of edits) {
      const at = bytes.length === 0 ? 0 : pos % bytes.length;
      if (op === 'set' && bytes.length > 0) bytes[at] = byte;
      else if (op === 'insert')
        bytes = Buffer.concat([bytes.subarray(0, at), Buffer.from([byte]), bytes.subarray(at)]);
      else bytes = Buffer.concat([bytes.subarray(0, at), bytes.subarray(at + 1)]);
    }
    return { ...b, bytes, rule: 'unknown', defect: 'mangled' };
  });

/** Where to cut a body of `length` bytes: a few random places, or after every byte. */
export const cuts: fc.Arbitrary<(length: number) => number[]> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc
      .array(fc.nat(), { maxLength: 12 })
      .map((cs) => (n: number) => cs.map((c) => c % (n + 1))),
  },
  { weight: 1, arbitrary: fc.constant((n: number) => Array.from({ length: n }, (_, i) => i)) },
);
