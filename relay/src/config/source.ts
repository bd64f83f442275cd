// Turns the bytes of a relay config file into a plain value, strictly. In: text or bytes, the
// format (from the file's extension) and the file name for messages. Out: the value plus a
// locator from a path (`['egress', 'ports', 2]`) to its 1-based line and column, or a
// RelayConfigError: over the size limit, not UTF-8, a YAML or JSON syntax error (with line and
// column), a duplicate key, an alias, an unknown tag, several documents. Pure: no IO. Error
// messages never quote the file's text (a secret may sit next to the mistake).
import { extname } from 'node:path';
import {
  isAlias,
  isMap,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  parseDocument,
  visit,
  type Document,
  type Node as YamlNode,
} from 'yaml';
import { configError } from './errors';

export type ConfigFormat = 'yaml' | 'json';

/** Largest accepted config file, checked on the bytes before any parsing. */
export const MAX_CONFIG_BYTES = 1024 * 1024;
/** Deepest accepted nesting of JSON arrays and objects. */
const MAX_JSON_DEPTH = 64;

export interface Position {
  readonly line: number;
  readonly column: number;
}

export interface ConfigDocument {
  readonly format: ConfigFormat;
  readonly value: unknown;
  /** The position of the value at `path` (or of its nearest existing parent). */
  locate(path: readonly PropertyKey[]): Position | undefined;
}

/** `.yaml`/`.yml` → yaml, `.json` → json; anything else is refused. */
export function formatForFile(file: string): ConfigFormat {
  const ext = extname(file).toLowerCase();
  if (ext === '.yaml' || ext === '.yml') return 'yaml';
  if (ext === '.json') return 'json';
  throw configError(
    { file, path: '(file name)' },
    'a file name ending in .yaml, .yml or .json',
    ext === '' ? 'no extension' : `the extension ${JSON.stringify(ext.slice(0, 16))}`,
  );
}

/** Refuses input over MAX_CONFIG_BYTES; decodes UTF-8 (fatal) and drops a byte order mark. */
export function decodeConfigText(input: string | Uint8Array, file: string): string {
  const bytes = typeof input === 'string' ? Buffer.byteLength(input, 'utf8') : input.byteLength;
  const where = { file, path: '(file)' };
  if (bytes > MAX_CONFIG_BYTES) {
    throw configError(where, `at most ${MAX_CONFIG_BYTES} bytes`, `${bytes} bytes`);
  }
  let text: string;
  if (typeof input === 'string') {
    text = input;
  } else {
    if (
      bytes >= 2 &&
      ((input[0] === 0xff && input[1] === 0xfe) || (input[0] === 0xfe && input[1] === 0xff))
    ) {
      throw configError(where, 'UTF-8 text', 'UTF-16 (a UTF-16 byte order mark)');
    }
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(input);
    } catch {
      throw configError(where, 'UTF-8 text', 'bytes that are not valid UTF-8');
    }
  }
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/** Parses config text (or bytes) of the given format. */
export function parseConfigText(
  input: string | Uint8Array,
  format: ConfigFormat,
  file: string,
): ConfigDocument {
  const text = decodeConfigText(input, file);
  if (text.trim() === '') {
    throw configError({ file, path: '(top level)' }, 'a config object', 'an empty file');
  }
  const lines = new LineCounter();
  if (format === 'json') checkJson(text, file);
  let doc: Document.Parsed;
  try {
    doc = parseDocument(text, {
      version: '1.2',
      schema: 'core',
      strict: true,
      uniqueKeys: true,
      merge: false,
      resolveKnownTags: false,
      stringKeys: true,
      prettyErrors: false,
      customTags: [],
      lineCounter: lines,
    });
  } catch (e) {
    // Only pathological input (e.g. nesting deep enough to exhaust the stack) gets here.
    throw configError(
      { file, path: '(file)' },
      `well-formed ${format === 'json' ? 'JSON' : 'YAML'}`,
      e instanceof RangeError ? 'nesting too deep to parse' : 'text the parser could not read',
    );
  }
  const at = (offset: number): Position => {
    const p = lines.linePos(offset);
    return { line: p.line, column: p.col };
  };
  if (format === 'yaml') {
    const problem = doc.errors[0] ?? doc.warnings[0];
    if (problem !== undefined) {
      const pos = at(problem.pos[0]);
      throw configError(
        { file, path: '(syntax)', ...pos },
        'well-formed YAML (one document, unique keys, no custom tags)',
        describeYamlProblem(problem.code),
        { yamlCode: problem.code },
      );
    }
    visit(doc, {
      Alias(_key, node) {
        throw configError(
          { file, path: '(syntax)', ...at(node.range?.[0] ?? 0) },
          'plain values (anchors and aliases are not allowed)',
          'an alias',
        );
      },
    });
  }
  const value: unknown = format === 'json' ? JSON.parse(text) : doc.toJS({ maxAliasCount: 0 });
  const locator = doc.errors.length === 0 ? doc : undefined;
  return {
    format,
    value,
    locate(path) {
      if (locator === undefined) return undefined;
      const node = findNode(locator.contents, path);
      const offset = node?.range?.[0];
      return offset === undefined ? undefined : at(offset);
    },
  };
}

/** The node at `path`, or the nearest existing parent. */
function findNode(root: unknown, path: readonly PropertyKey[]): YamlNode | undefined {
  let node = root as YamlNode | null | undefined;
  if (node === null || node === undefined) return undefined;
  for (const seg of path) {
    let next: unknown;
    if (isMap(node)) {
      const pair = node.items.find(
        (p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(seg),
      );
      next = pair === undefined ? undefined : (pair.value ?? pair.key);
    } else if (isSeq(node) && typeof seg === 'number') {
      next = node.items[seg];
    }
    if (next === undefined || next === null || isAlias(next)) break;
    node = next as YamlNode;
  }
  return node;
}

const YAML_PROBLEMS: Readonly<Record<string, string>> = {
  DUPLICATE_KEY: 'a key that appears twice in the same mapping',
  MULTIPLE_DOCS: 'more than one document',
  TAG_RESOLVE_FAILED: 'an unknown or custom tag',
  BAD_COLLECTION_TYPE: 'a tag that does not fit its value',
  NON_STRING_KEY: 'a key that is not a plain string',
  BAD_INDENT: 'bad indentation',
  TAB_AS_INDENT: 'a tab used for indentation',
  BAD_DQ_ESCAPE: 'an invalid escape in a double-quoted string',
  BAD_SCALAR_START: 'a plain value starting with a reserved character',
  BLOCK_AS_IMPLICIT_KEY: 'a block value used as a key',
  MULTILINE_IMPLICIT_KEY: 'a key spread over several lines',
  MISSING_CHAR: 'a missing character (a comma, colon or closing bracket)',
  UNEXPECTED_TOKEN: 'an unexpected token',
  KEY_OVER_1024_CHARS: 'a key longer than 1024 characters',
  BAD_DIRECTIVE: 'an unknown directive',
  MULTIPLE_ANCHORS: 'several anchors on one value',
  MULTIPLE_TAGS: 'several tags on one value',
  BAD_ALIAS: 'an alias to an unknown anchor',
  ALIAS_PROPS: 'an alias with an anchor or tag',
  BAD_PROP_ORDER: 'anchors or tags in the wrong place',
  BLOCK_IN_FLOW: 'a block value inside a flow collection',
  RESOURCE_EXHAUSTION: 'nesting too deep (a parser resource limit)',
};

function describeYamlProblem(code: string): string {
  return YAML_PROBLEMS[code] ?? `a YAML error (${code})`;
}

// ---------------------------------------------------------------------------------- JSON

/**
 * A strict JSON syntax check (RFC 8259) that reports the line and column of the first error
 * and refuses duplicate keys and nesting deeper than MAX_JSON_DEPTH, so that JSON.parse can
 * then run safely. JSON.parse's own messages are not used: they quote the text.
 */
function checkJson(text: string, file: string): void {
  let i = 0;
  const fail = (expected: string, found?: string): never => {
    const prefix = text.slice(0, i);
    const line = prefix.split('\n').length;
    const column = i - (prefix.lastIndexOf('\n') + 1) + 1;
    throw configError(
      { file, path: '(syntax)', line, column },
      `well-formed JSON (${expected})`,
      found ?? (i >= text.length ? 'the end of the file' : describeChar(text.charCodeAt(i))),
    );
  };
  const ws = (): void => {
    while (i < text.length && ' \t\n\r'.includes(text.charAt(i))) i++;
  };
  const str = (): string => {
    const start = i;
    i++; // opening quote
    for (;;) {
      if (i >= text.length) return fail('a closing quote');
      const c = text.charCodeAt(i);
      if (c === 0x22) break;
      if (c < 0x20) return fail('no raw control characters in strings');
      if (c === 0x5c) {
        const e = text.charAt(i + 1);
        if ('"\\/bfnrt'.includes(e) && e !== '') i += 2;
        else if (e === 'u' && /^[0-9A-Fa-f]{4}$/.test(text.slice(i + 2, i + 6))) i += 6;
        else return fail('a valid escape sequence', 'an invalid escape sequence');
      } else i++;
    }
    i++;
    return JSON.parse(text.slice(start, i)) as string;
  };
  const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
  const value = (depth: number): void => {
    if (depth > MAX_JSON_DEPTH)
      fail(`at most ${MAX_JSON_DEPTH} levels of nesting`, 'deeper nesting');
    ws();
    const c = text.charAt(i);
    if (c === '{') {
      i++;
      ws();
      const keys = new Set<string>();
      if (text.charAt(i) === '}') {
        i++;
        return;
      }
      for (;;) {
        ws();
        if (text.charAt(i) !== '"') fail('a double-quoted property name');
        const keyAt = i;
        const key = str();
        if (keys.has(key)) {
          i = keyAt;
          fail('unique keys', 'a key that appears twice in the same object');
        }
        keys.add(key);
        ws();
        if (text.charAt(i) !== ':') fail("':' after a property name");
        i++;
        value(depth + 1);
        ws();
        if (text.charAt(i) === ',') {
          i++;
          continue;
        }
        if (text.charAt(i) === '}') {
          i++;
          return;
        }
        fail("',' or '}' after a property value");
      }
    } else if (c === '[') {
      i++;
      ws();
      if (text.charAt(i) === ']') {
        i++;
        return;
      }
      for (;;) {
        value(depth + 1);
        ws();
        if (text.charAt(i) === ',') {
          i++;
          continue;
        }
        if (text.charAt(i) === ']') {
          i++;
          return;
        }
        fail("',' or ']' after an array item");
      }
    } else if (c === '"') {
      str();
    } else if (text.startsWith('true', i) || text.startsWith('null', i)) {
      i += 4;
    } else if (text.startsWith('false', i)) {
      i += 5;
    } else {
      NUMBER.lastIndex = i;
      const m = NUMBER.exec(text);
      if (m === null || m[0] === '' || m[0] === '-') fail('a value');
      i += m?.[0].length ?? 0;
    }
  };
  value(0);
  ws();
  if (i < text.length) fail('nothing after the top-level value');
}

function describeChar(code: number): string {
  if (code >= 0x21 && code <= 0x7e)
    return `the character ${JSON.stringify(String.fromCharCode(code))}`;
  return `the character U+${code.toString(16).toUpperCase().padStart(4, '0')}`;
}
