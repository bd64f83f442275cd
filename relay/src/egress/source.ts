// What every IP range parser returns, and the text plumbing they share. In: the bytes or
// text of a source (ServiceTags JSON, one tag record, or the legacy XML). Out: decoded
// text (UTF-8 only, BOM dropped, size-capped), the detected format, 1-based line/column
// positions for messages, and the ParsedSource shape the selection works on. No IO.
import type { Cidr } from './cidr';
import { RangesError } from './errors';

export type SourceFormat = 'json' | 'xml';

/** Which of the three accepted layouts the source had. */
export type SourceLayout = 'service-tags' | 'tag-record' | 'legacy-xml';

/** One named list of prefixes: a service tag, or a region of the legacy XML. */
export interface RangeGroup {
  /** Exact tag name ("ServiceBus.UKSouth"); undefined for a legacy XML region. */
  readonly tag: string | undefined;
  /** Tag family: the tag name up to its first dot; "AzureCloud" for a legacy XML region. */
  readonly family: string;
  /** Region as written in the source (properties.region or Region@Name); "" for global tags. */
  readonly region: string;
  /** The tag's own changeNumber; undefined for the legacy XML. */
  readonly changeNumber: number | undefined;
  /** properties.systemService ("AzureServiceBus"); undefined for the legacy XML. */
  readonly systemService: string | undefined;
  readonly prefixes: readonly Cidr[];
}

/** A parsed, validated source. Every prefix in it is a canonical CIDR. */
export interface ParsedSource {
  readonly format: SourceFormat;
  readonly layout: SourceLayout;
  /** Top-level changeNumber (ServiceTags), the record's own (tag record), undefined (XML). */
  readonly changeNumber: number | undefined;
  /** "Public" and so on; undefined unless the source says. */
  readonly cloud: string | undefined;
  readonly groups: readonly RangeGroup[];
  /** How many U+00A0 were replaced by a space (tolerant XML only); 0 otherwise. */
  readonly nbspReplaced: number;
  /** What lenient parsing (strict: false) skipped, one sentence each. */
  readonly warnings: readonly string[];
}

/** Options shared by the parsers. */
export interface ParseOptions {
  /**
   * Strict (default): unknown JSON fields, XML elements and attributes, stray text and
   * duplicate tag/region names are refused. false: they are skipped and listed in warnings.
   */
  readonly strict?: boolean;
  /**
   * Legacy XML only. false (default): a U+00A0 NO-BREAK SPACE inside a tag or between
   * elements is refused (IP_E_CHARACTER). true: each one is replaced by a space and counted.
   */
  readonly tolerateNbsp?: boolean;
  /** Largest accepted input, in bytes (UTF-16 code units for text). Default 64 MiB. */
  readonly maxBytes?: number;
}

export const DEFAULT_MAX_BYTES = 64 * 1024 * 1024;

/** Text of the source: UTF-8 bytes are decoded strictly; a leading BOM is dropped. */
export function decodeText(input: string | Uint8Array, maxBytes = DEFAULT_MAX_BYTES): string {
  if (typeof input === 'string') {
    if (input.length > maxBytes) {
      throw new RangesError('IP_E_SIZE', `the source is over the ${maxBytes}-byte limit`, {
        limit: maxBytes,
      });
    }
    return input.charCodeAt(0) === 0xfeff ? input.slice(1) : input;
  }
  if (!(input instanceof Uint8Array)) {
    throw new RangesError('IP_E_FORMAT', 'the source must be text or bytes');
  }
  if (input.byteLength > maxBytes) {
    throw new RangesError(
      'IP_E_SIZE',
      `the source is ${input.byteLength} bytes, over the ${maxBytes}-byte limit`,
      { bytes: input.byteLength, limit: maxBytes },
    );
  }
  if (
    input.byteLength >= 2 &&
    ((input[0] === 0xff && input[1] === 0xfe) || (input[0] === 0xfe && input[1] === 0xff))
  ) {
    throw new RangesError(
      'IP_E_ENCODING',
      'the source is UTF-16 (it starts with a UTF-16 byte order mark); save it as UTF-8',
    );
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(input);
  } catch {
    throw new RangesError('IP_E_ENCODING', 'the source is not valid UTF-8 text');
  }
}

/** 1-based line and column (in Unicode characters) of a code-unit offset in `text`. */
export function locate(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  const end = Math.min(offset, text.length);
  for (let i = 0; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x0a || (c === 0x0d && text.charCodeAt(i + 1) !== 0x0a)) {
      line++;
      lineStart = i + 1;
    }
  }
  let column = 1;
  for (let i = lineStart; i < end; i++) {
    const c = text.charCodeAt(i);
    // The high half of a surrogate pair and its low half count as one character.
    if (!(c >= 0xdc00 && c <= 0xdfff && i > lineStart)) column++;
  }
  return { line, column };
}

/** U+XXXX spelling of a code point. */
export function codePointName(cp: number): string {
  return `U+${cp.toString(16).toUpperCase().padStart(4, '0')}`;
}

/**
 * The format of a source from its first significant character: "{" or "[" → JSON,
 * "<" → XML. An HTML page (for instance the download page saved by mistake) and anything
 * else are refused with IP_E_FORMAT.
 */
export function detectFormat(text: string): SourceFormat {
  const m = /^[\s\uFEFF]*(\S)/.exec(text.slice(0, 4096));
  const first = m?.[1];
  if (first === undefined) {
    throw new RangesError('IP_E_FORMAT', 'the source is empty (or only whitespace)');
  }
  if (first === '{' || first === '[') return 'json';
  if (first === '<') {
    const head = text.slice(0, 4096).toLowerCase();
    if (/^[\s\ufeff]*(?:<!doctype\s+html|<html[\s>])/.test(head)) {
      throw new RangesError(
        'IP_E_FORMAT',
        'the source is an HTML page (the download page?), not an IP range list; download the ServiceTags JSON file itself',
      );
    }
    return 'xml';
  }
  const cp = first.codePointAt(0) ?? 0;
  throw new RangesError(
    'IP_E_FORMAT',
    `the source starts with ${JSON.stringify(first)} (${codePointName(cp)}); expected "{" (ServiceTags JSON) or "<" (legacy AzurePublicIpAddresses XML)`,
  );
}

/** The tag family of a tag name: everything before the first dot. */
export function tagFamily(name: string): string {
  const dot = name.indexOf('.');
  return dot < 0 ? name : name.slice(0, dot);
}
