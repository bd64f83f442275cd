// The current Azure IP list: ServiceTags_Public_YYYYMMDD.json, or one tag record cut from
// it (`{name, id, properties}`, like ServiceBus.UKSouth.json). In: text or bytes. Out: a
// ParsedSource with one group per tag, every prefix a canonical CIDR, or a RangesError
// naming the JSON path and the offending value. parseSource() detects JSON vs legacy XML.
// The shape is checked with zod (strict objects by default: unknown fields are refused).
import { z } from 'zod';
import { tryParseCidr, type Cidr } from './cidr';
import { RangesError } from './errors';
import { parseLegacyXml } from './legacy-xml';
import {
  decodeText,
  detectFormat,
  locate,
  tagFamily,
  type ParseOptions,
  type ParsedSource,
  type RangeGroup,
  type SourceFormat,
} from './source';

function schemas(strict: boolean) {
  const object = strict ? z.strictObject : z.looseObject;
  const properties = object({
    changeNumber: z.int().nonnegative(),
    region: z.string(),
    regionId: z.int().nonnegative(),
    platform: z.string(),
    systemService: z.string(),
    addressPrefixes: z.array(z.string()),
    networkFeatures: z.array(z.string()).nullable().optional(),
  });
  const tag = object({ name: z.string().min(1), id: z.string().min(1), properties });
  const file = object({
    changeNumber: z.int().nonnegative(),
    cloud: z.string().min(1),
    values: z.array(tag),
  });
  return { tag, file };
}

const STRICT = schemas(true);
const LENIENT = schemas(false);

type TagRecord = z.infer<typeof STRICT.tag>;

/** `values[3].properties.addressPrefixes[7]` from a path array. */
export function formatJsonPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else if (typeof p === 'string' && /^[A-Za-z_$][\w$]*$/.test(p)) out += out === '' ? p : `.${p}`;
    else out += `[${JSON.stringify(String(p))}]`;
  }
  return out === '' ? '(top level)' : out;
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let v = root;
  for (const p of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[p];
  }
  return v;
}

function shown(v: unknown): string {
  let s: string | undefined;
  try {
    s = JSON.stringify(v);
  } catch {
    s = undefined;
  }
  s ??= String(v);
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

/** Turns the first zod issue into IP_E_SCHEMA with its path and the value found there. */
function schemaError(root: unknown, error: z.ZodError, what: string): RangesError {
  const issue = error.issues[0];
  const path = issue?.path ?? [];
  let message = issue?.message ?? 'invalid';
  if (issue?.code === 'unrecognized_keys') {
    message = `unexpected field(s) ${issue.keys.map((k) => JSON.stringify(k)).join(', ')}`;
  }
  const value = valueAt(root, path);
  const where = formatJsonPath(path);
  return new RangesError(
    'IP_E_SCHEMA',
    `${what}: at ${where}: ${message}${value === undefined || issue?.code === 'unrecognized_keys' ? '' : ` (found ${shown(value)})`}`,
    { path: where, value: value === undefined ? undefined : shown(value) },
  );
}

function parsePrefixes(prefixes: readonly string[], basePath: string): Cidr[] {
  const out: Cidr[] = new Array<Cidr>(prefixes.length);
  for (let i = 0; i < prefixes.length; i++) {
    const text = prefixes[i] ?? '';
    const r = tryParseCidr(text);
    if (typeof r === 'string') {
      const path = `${basePath}[${i}]`;
      throw new RangesError(
        'IP_E_CIDR',
        `${path}: ${JSON.stringify(text)} is not a canonical CIDR: ${r}`,
        { path, value: text },
      );
    }
    out[i] = r;
  }
  return out;
}

function toGroup(t: TagRecord, basePath: string): RangeGroup {
  return Object.freeze({
    tag: t.name,
    family: tagFamily(t.name),
    region: t.properties.region,
    changeNumber: t.properties.changeNumber,
    systemService: t.properties.systemService,
    prefixes: Object.freeze(parsePrefixes(t.properties.addressPrefixes, basePath)),
  });
}

/**
 * Parses ServiceTags JSON or a single tag record. Refuses (RangesError): malformed JSON
 * (IP_E_JSON, with line/column when the engine reports a position), the wrong shape or,
 * when strict, unknown fields and duplicate tag names (IP_E_SCHEMA), a prefix that is not
 * a canonical CIDR (IP_E_CIDR, with its path).
 */
export function parseServiceTagsJson(
  input: string | Uint8Array,
  options: ParseOptions = {},
): ParsedSource {
  const strict = options.strict ?? true;
  const text = decodeText(input, options.maxBytes);
  let root: unknown;
  try {
    root = JSON.parse(text);
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    const m = /at position (\d+)/.exec(message);
    const pos = m?.[1] === undefined ? undefined : locate(text, Number(m[1]));
    throw new RangesError(
      'IP_E_JSON',
      `${pos === undefined ? '' : `line ${pos.line}, column ${pos.column}: `}not well-formed JSON: ${message}`,
      pos ?? {},
    );
  }
  if (root === null || typeof root !== 'object' || Array.isArray(root)) {
    throw new RangesError(
      'IP_E_SCHEMA',
      `the JSON top level is ${Array.isArray(root) ? 'an array' : root === null ? 'null' : typeof root}; expected a ServiceTags object or one tag record`,
      { path: '(top level)' },
    );
  }
  const s = strict ? STRICT : LENIENT;
  const warnings: string[] = [];

  if ('values' in root) {
    const parsed = s.file.safeParse(root);
    if (!parsed.success) throw schemaError(root, parsed.error, 'not a ServiceTags file');
    const file = parsed.data;
    const seen = new Set<string>();
    const groups = file.values.map((t, i) => {
      if (seen.has(t.name)) {
        const message = `tag ${JSON.stringify(t.name)} appears twice (values[${i}])`;
        if (strict) {
          throw new RangesError('IP_E_SCHEMA', message, {
            path: `values[${i}].name`,
            value: t.name,
          });
        }
        warnings.push(`${message}; both kept`);
      }
      seen.add(t.name);
      return toGroup(t, `values[${i}].properties.addressPrefixes`);
    });
    return Object.freeze({
      format: 'json',
      layout: 'service-tags',
      changeNumber: file.changeNumber,
      cloud: file.cloud,
      groups: Object.freeze(groups),
      nbspReplaced: 0,
      warnings: Object.freeze(warnings),
    });
  }
  if ('properties' in root || 'name' in root) {
    const parsed = s.tag.safeParse(root);
    if (!parsed.success) throw schemaError(root, parsed.error, 'not a service tag record');
    const group = toGroup(parsed.data, 'properties.addressPrefixes');
    return Object.freeze({
      format: 'json',
      layout: 'tag-record',
      changeNumber: parsed.data.properties.changeNumber,
      cloud: undefined,
      groups: Object.freeze([group]),
      nbspReplaced: 0,
      warnings: Object.freeze(warnings),
    });
  }
  throw new RangesError(
    'IP_E_SCHEMA',
    'the JSON is neither a ServiceTags file (no "values") nor a tag record (no "name"/"properties")',
    { path: '(top level)' },
  );
}

export interface SourceOptions extends ParseOptions {
  /** 'auto' (default) detects from the first significant character. */
  readonly format?: SourceFormat | 'auto';
}

/** Parses any accepted source: ServiceTags JSON, a tag record or the legacy XML. */
export function parseSource(input: string | Uint8Array, options: SourceOptions = {}): ParsedSource {
  const text = decodeText(input, options.maxBytes);
  const format =
    options.format === undefined || options.format === 'auto' ? detectFormat(text) : options.format;
  return format === 'json' ? parseServiceTagsJson(text, options) : parseLegacyXml(text, options);
}
