// Writing XML for the back-office mocks. In: a tree of elements, attributes and text built
// with el(). Out: UTF-8 XML text with a declaration, two-space indentation, every text and
// attribute value escaped, and characters XML 1.0 cannot carry replaced by U+FFFD (so a
// reference echoed from a hostile URL can never break the document). Pure.

/** The namespace every back-office document lives under (a suffix names the service). */
export const XML_NS_BASE = 'urn:relaycheck:backoffice';
/** The namespace of <Error> bodies, shared by every service. */
export const ERROR_NS = `${XML_NS_BASE}:v1`;

export type XmlAttrs = Readonly<Record<string, string | number | boolean | undefined>>;
export type XmlChild = XmlElement | string | number | undefined | false;

export interface XmlElement {
  readonly name: string;
  readonly attrs: XmlAttrs;
  readonly children: readonly XmlChild[];
}

/** An element. `undefined` and `false` children and attribute values are left out. */
export function el(name: string, attrs: XmlAttrs = {}, ...children: XmlChild[]): XmlElement {
  return { name, attrs, children };
}

/** A text-only element, or nothing when `text` is undefined. */
export function leaf(
  name: string,
  text: string | number | undefined,
  attrs: XmlAttrs = {},
): XmlElement | undefined {
  return text === undefined ? undefined : el(name, attrs, text);
}

// XML 1.0 Char: #x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF].
const NOT_XML_CHAR = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;

/** Replaces every character XML 1.0 cannot carry (C0 controls, lone surrogates, U+FFFE/F). */
export function xmlSafe(text: string): string {
  return text.replace(NOT_XML_CHAR, '\uFFFD');
}

/** Escapes character data: &, <, > (the last so that "]]>" never appears). */
export function escapeText(text: string): string {
  return xmlSafe(text).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Escapes an attribute value for double quotes; tab, CR and LF as references. */
export function escapeAttr(text: string): string {
  return escapeText(text)
    .replace(/"/g, '&quot;')
    .replace(/\t/g, '&#9;')
    .replace(/\n/g, '&#10;')
    .replace(/\r/g, '&#13;');
}

function isElement(c: XmlChild): c is XmlElement {
  return typeof c === 'object';
}

function attrsText(attrs: XmlAttrs): string {
  let out = '';
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === false) continue;
    out += ` ${k}="${escapeAttr(String(v))}"`;
  }
  return out;
}

function write(node: XmlElement, depth: number, out: string[]): void {
  const pad = '  '.repeat(depth);
  const kids = node.children.filter(
    (c): c is XmlElement | string | number => c !== undefined && c !== false,
  );
  const open = `${pad}<${node.name}${attrsText(node.attrs)}`;
  if (kids.length === 0) {
    out.push(`${open}/>`);
  } else if (!kids.some(isElement)) {
    const text = kids.filter((k): k is string | number => !isElement(k)).map(String);
    out.push(`${open}>${text.map(escapeText).join('')}</${node.name}>`);
  } else {
    out.push(`${open}>`);
    for (const k of kids) {
      if (isElement(k)) write(k, depth + 1, out);
      else out.push(`${pad}  ${escapeText(String(k))}`);
    }
    out.push(`${pad}</${node.name}>`);
  }
}

/** The document: an XML declaration, then the tree, then a final newline. */
export function renderXml(root: XmlElement): string {
  const out = ['<?xml version="1.0" encoding="UTF-8"?>'];
  write(root, 0, out);
  return out.join('\n') + '\n';
}

/** The body of every refusal: <Error xmlns=…><Code/><Message/><Detail name=…/>*</Error>. */
export function errorXml(
  code: string,
  message: string,
  details: Readonly<Record<string, string | number | boolean | undefined>> = {},
): string {
  return renderXml(
    el(
      'Error',
      { xmlns: ERROR_NS },
      el('Code', {}, code),
      el('Message', {}, message),
      ...Object.entries(details)
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => el('Detail', { name: k }, String(v))),
    ),
  );
}

/** Pence as pounds with two decimals ("-12.05"). */
export function money(pence: number): string {
  const sign = pence < 0 ? '-' : '';
  const abs = Math.abs(pence);
  return `${sign}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')}`;
}
