// The relay config's validation, pure. In: config text or bytes (YAML or JSON, by the file's
// extension) or an already parsed value, plus the file name for messages, the directory that
// relative paths resolve against and the environment that env: references read. Out: a
// frozen RelayConfig, or the first problem as a RelayConfigError naming the file, the path in
// it and what was expected. Nothing here touches the disk: loadRelayConfig (./load.ts) reads
// the file and checks that the files it names exist.
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { dirname, isAbsolute, resolve } from 'node:path';
import type { z } from 'zod';
import { tryParseCidr } from '../egress/cidr';
import { configError, formatPath, type ConfigLocation } from './errors';
import { isLoopbackHost } from './loopback';
import { relayConfigSchema, type RelayConfigParsed } from './schema';
import {
  checkSasKey,
  decodeTenantKey,
  redactable,
  resolveSecretText,
  type Environment,
} from './secrets';
import { formatForFile, parseConfigText, type ConfigFormat, type Position } from './source';
import type { RelayConfig, RouteConfig, RouteXmlConfig } from './types';
import { checkPath } from '../work/route-path';
import { parseAntivirusConfig } from '../work/antivirus';
import { parsePdfCheckOptions } from '../work/content';
import { parseFileNamePolicy } from '../work/filedrop/filename';
import { isRelaycheckError } from '../protocol/errors';

export interface ParseRelayConfigOptions {
  /** The file name used in messages and, unless `format` is given, to pick the format. */
  readonly file?: string;
  /** Relative paths in the config resolve against this. Default: the file's directory. */
  readonly baseDir?: string;
  /** Where env:NAME references are read. Default: process.env. */
  readonly env?: Environment;
  /** Overrides the format the file name implies (text input only). */
  readonly format?: ConfigFormat;
  /** Makes the default instance id. Default: `<hostname>-<pid>-<6 hex digits>`. */
  readonly defaultInstanceId?: () => string;
}

/** `<hostname>-<pid>-<6 hex>`, with characters the instance id pattern refuses replaced. */
export function defaultInstanceId(): string {
  const host =
    hostname()
      .replace(/[^A-Za-z0-9._:@-]/g, '-')
      .slice(0, 100) || 'relay';
  return `${host}-${process.pid}-${randomBytes(3).toString('hex')}`;
}

type Locate = (path: readonly PropertyKey[]) => Position | undefined;

/**
 * Validates a relay config. `input` is text or bytes (parsed as YAML or JSON by the file's
 * extension or `format`) or a value already parsed (an object from a test or the simulator).
 */
export function parseRelayConfig(
  input: unknown,
  options: ParseRelayConfigOptions = {},
): RelayConfig {
  const file = options.file ?? '(config)';
  const baseDir = resolve(options.baseDir ?? (options.file === undefined ? '.' : dirname(file)));
  const env = options.env ?? process.env;
  let value: unknown;
  let locate: Locate = () => undefined;
  let format: ConfigFormat | 'object' = 'object';
  if (typeof input === 'string' || input instanceof Uint8Array) {
    format = options.format ?? formatForFile(file);
    const doc = parseConfigText(input, format, file);
    value = doc.value;
    locate = (p) => doc.locate(p);
  } else {
    value = input;
  }
  const where = (path: readonly PropertyKey[]): ConfigLocation => ({
    file,
    path: formatPath(path),
    ...locate(path),
  });

  const result = relayConfigSchema.safeParse(value);
  if (!result.success) {
    const first = result.error.issues[0];
    const explained =
      first === undefined
        ? { path: [], expected: 'a valid config', found: 'an invalid one' }
        : explainIssue(first, value, []);
    throw configError(where(explained.path), explained.expected, explained.found);
  }
  return finish(result.data, { file, baseDir, env, format, where, options });
}

// ---------------------------------------------------------------------- cross-field rules

interface FinishContext {
  readonly file: string;
  readonly baseDir: string;
  readonly env: Environment;
  readonly format: ConfigFormat | 'object';
  readonly where: (path: readonly PropertyKey[]) => ConfigLocation;
  readonly options: ParseRelayConfigOptions;
}

function finish(c: RelayConfigParsed, ctx: FinishContext): RelayConfig {
  const { where, env } = ctx;
  const fail = (path: readonly PropertyKey[], expected: string, found: string): never => {
    throw configError(where(path), expected, found);
  };
  const absolute = (p: string): string => (isAbsolute(p) ? p : resolve(ctx.baseDir, p));
  /** Runs a module's own option parser on a section; its typed refusal becomes a config error. */
  const section = <T>(
    path: readonly PropertyKey[],
    parse: (input: unknown) => T,
    input: unknown,
    expected: string,
  ): T => {
    try {
      return parse(input);
    } catch (e) {
      if (!isRelaycheckError(e)) throw e;
      const sub = typeof e.details.path === 'string' && e.details.path ? e.details.path : '';
      return fail([...path, ...(sub === '' ? [] : sub.split('.'))], expected, e.message);
    }
  };

  // tenant
  const kids = new Set<string>();
  const keys = c.tenant.keys.map((k, i) => {
    if (kids.has(k.kid))
      fail(['tenant', 'keys', i, 'kid'], 'key ids that differ', `"${k.kid}" twice`);
    kids.add(k.kid);
    const path = ['tenant', 'keys', i, 'secret'];
    const secret = decodeTenantKey(resolveSecretText(k.secret, env, where(path)), where(path));
    return Object.freeze(redactable({ kid: k.kid, secret }, ['secret']));
  });

  // Service Bus and Hybrid Connections
  const sasKey = (section: 'serviceBus' | 'hybrid', raw: string): string => {
    const loc = where([section, 'key']);
    return checkSasKey(resolveSecretText(raw, env, loc), loc);
  };
  const entities = c.serviceBus.entities;
  const entityNames = new Map<string, string>();
  for (const [name, entity] of Object.entries(entities)) {
    const other = entityNames.get(entity.toLowerCase());
    if (other !== undefined) {
      fail(
        ['serviceBus', 'entities', name],
        `an entity other than ${other}'s`,
        `"${entity}" again`,
      );
    }
    entityNames.set(entity.toLowerCase(), name);
  }
  const paths = new Set<string>();
  c.hybrid.paths.forEach((p, i) => {
    if (paths.has(p.toLowerCase()))
      fail(['hybrid', 'paths', i], 'paths that differ', `"${p}" twice`);
    paths.add(p.toLowerCase());
  });

  // connectivity
  const cn = c.connectivity;
  for (let i = 1; i < cn.reconnectDelaysMs.length; i++) {
    const prev = cn.reconnectDelaysMs[i - 1] ?? 0;
    const cur = cn.reconnectDelaysMs[i] ?? 0;
    if (prev * (1 + cn.reconnectJitter) > cur) {
      fail(
        ['connectivity', 'reconnectDelaysMs', i],
        `at least ${Math.ceil(prev * (1 + cn.reconnectJitter))} (delays must not decrease, even with the largest jitter)`,
        `${cur}`,
      );
    }
  }
  if (cn.reprobeIntervalMs < cn.probeTimeoutMs) {
    fail(
      ['connectivity', 'reprobeIntervalMs'],
      `at least probeTimeoutMs (${cn.probeTimeoutMs})`,
      `${cn.reprobeIntervalMs}`,
    );
  }

  // egress
  const ports = c.egress.ports;
  const seen = new Set<number>();
  ports.forEach((p, i) => {
    if (seen.has(p)) fail(['egress', 'ports', i], 'each port once', `${p} twice`);
    seen.add(p);
    if (p === 5672 && c.profile !== 'development') {
      fail(
        ['egress', 'ports', i],
        'no plain AMQP (5672) outside the development profile',
        `5672 with profile ${c.profile}`,
      );
    }
  });
  const tcpPath = seen.has(9352) && (seen.has(5671) || seen.has(5672));
  const httpsPath = seen.has(443);
  const need =
    cn.mode === 'tcp'
      ? tcpPath
        ? undefined
        : '9352 and 5671 (or 5672 in development) for connectivity mode tcp'
      : cn.mode === 'https'
        ? httpsPath
          ? undefined
          : '443 for connectivity mode https'
        : tcpPath || httpsPath
          ? undefined
          : '443, or 9352 and 5671, for connectivity mode auto';
  if (need !== undefined)
    fail(['egress', 'ports'], `ports that include ${need}`, `[${ports.join(', ')}]`);

  let ranges: RelayConfig['egress']['ranges'];
  if ('prefixes' in c.egress.ranges) {
    const prefixes = c.egress.ranges.prefixes;
    prefixes.forEach((p, i) => {
      const parsed = tryParseCidr(p);
      if (typeof parsed === 'string') {
        fail(['egress', 'ranges', 'prefixes', i], `a canonical CIDR prefix (${parsed})`, quote(p));
      }
    });
    ranges = Object.freeze({ prefixes: Object.freeze([...prefixes]) });
  } else {
    const st = c.egress.ranges.serviceTags;
    ranges = Object.freeze({
      serviceTags: Object.freeze({
        source: absolute(st.source),
        regions: Object.freeze([...st.regions]),
        tags: Object.freeze([...st.tags]),
      }),
    });
  }

  // back office and routes
  const backOffice: Record<string, string> = {};
  for (const [name, raw] of Object.entries(c.backOffice)) {
    backOffice[name] = checkBackOfficeUrl(raw, where(['backOffice', name]));
  }
  const routeNames = new Set<string>();
  const routes: RouteConfig[] = c.routes.map((r, i) => {
    if (routeNames.has(r.name))
      fail(['routes', i, 'name'], 'route names that differ', `"${r.name}" twice`);
    routeNames.add(r.name);
    const stray = (field: string, why: string): void => {
      if ((r as Record<string, unknown>)[field] !== undefined) {
        fail(['routes', i, field], why, `${field} on a ${r.use} route`);
      }
    };
    if (r.use === 'file-drop') {
      stray('service', 'no service: a file-drop route writes into folders');
      stray('path', 'no path: a file-drop route writes into folders');
      stray('xml', 'no xml: a file-drop route takes PDFs');
      const folders = Object.entries(r.folders ?? {});
      if (folders.length === 0) {
        fail(['routes', i, 'folders'], 'at least one form type and its folder', 'none');
      }
      return {
        name: r.name,
        use: 'file-drop',
        folders: Object.fromEntries(folders.map(([type, folder]) => [type, absolute(folder)])),
        maxFileBytes: r.maxFileBytes ?? 64 * 1024 * 1024,
        pdf: section(['routes', i, 'pdf'], parsePdfCheckOptions, r.pdf, 'the PDF policy'),
        fileNames: section(
          ['routes', i, 'fileNames'],
          parseFileNamePolicy,
          r.fileNames,
          'the file-name policy',
        ),
      };
    }
    stray('folders', `no folders: only a file-drop route writes files`);
    stray('maxFileBytes', `no maxFileBytes: only a file-drop route writes files`);
    stray('pdf', `no pdf: only a file-drop route takes PDFs`);
    stray('fileNames', `no fileNames: only a file-drop route takes file names`);
    const service = r.service;
    if (service === undefined || !Object.prototype.hasOwnProperty.call(backOffice, service)) {
      const known = Object.keys(backOffice);
      fail(
        ['routes', i, 'service'],
        known.length === 0
          ? 'a service named in backOffice (backOffice is empty)'
          : `a service named in backOffice (${known.join(', ')})`,
        service === undefined ? 'none' : quote(service),
      );
    }
    const svc = service ?? '';
    if (r.use === 'retrieve') {
      stray('path', 'no path: a retrieve route takes the path of each request');
      stray('xml', 'no xml: a retrieve route sends no body');
      return { name: r.name, use: 'retrieve', service: svc };
    }
    if (r.path === undefined) fail(['routes', i, 'path'], 'the path the XML is posted to', 'none');
    const path = r.path ?? '/';
    try {
      checkPath(path);
    } catch (e) {
      fail(
        ['routes', i, 'path'],
        'a relative path such as /changes',
        e instanceof Error ? e.message : quote(path),
      );
    }
    if (r.xml === undefined) {
      fail(['routes', i, 'xml'], 'the XML check of the route (at least its roots)', 'none');
    }
    const xml = r.xml ?? { roots: [] };
    return {
      name: r.name,
      use: 'post-xml',
      service: svc,
      path,
      xml: Object.fromEntries(
        Object.entries(xml).filter((entry) => (entry[1] as unknown) !== undefined),
      ) as unknown as RouteXmlConfig,
    };
  });

  // antivirus: a clamd socket path resolves against the config file's folder
  const antivirusOf = (raw: Record<string, unknown>) => {
    const clamd = raw.clamd;
    const input =
      typeof clamd === 'object' &&
      clamd !== null &&
      typeof (clamd as Record<string, unknown>).socket === 'string'
        ? {
            ...raw,
            clamd: {
              ...clamd,
              socket: absolute((clamd as Record<string, unknown>).socket as string),
            },
          }
        : raw;
    return section(['antivirus'], parseAntivirusConfig, input, 'the antivirus (clamd) settings');
  };

  // health
  if (!isLoopbackHost(c.health.host)) {
    fail(
      ['health', 'host'],
      'a loopback host (127.0.0.0/8, ::1 or localhost)',
      quote(c.health.host),
    );
  }

  const instanceId = c.instanceId ?? (ctx.options.defaultInstanceId ?? defaultInstanceId)();

  const config = {
    version: 1 as const,
    profile: c.profile,
    instanceId,
    tenant: redactable({ id: c.tenant.id, keys: Object.freeze(keys) }),
    serviceBus: redactable(
      {
        host: c.serviceBus.host.toLowerCase(),
        keyName: c.serviceBus.keyName,
        key: sasKey('serviceBus', c.serviceBus.key),
        entities: { ...entities },
        idleTimeoutMs: c.serviceBus.idleTimeoutMs,
        maxDeliveryCount: c.serviceBus.maxDeliveryCount,
        busyBackoffMs: Object.freeze([...c.serviceBus.busyBackoffMs]),
      },
      ['key'],
    ),
    hybrid: redactable(
      {
        host: c.hybrid.host.toLowerCase(),
        keyName: c.hybrid.keyName,
        key: sasKey('hybrid', c.hybrid.key),
        paths: [...c.hybrid.paths],
        tokenTtlSeconds: c.hybrid.tokenTtlSeconds,
        pingIntervalMs: c.hybrid.pingIntervalMs,
        pongTimeoutMs: c.hybrid.pongTimeoutMs,
      },
      ['key'],
    ),
    connectivity: { ...cn, reconnectDelaysMs: [...cn.reconnectDelaysMs] },
    egress: {
      ports: [...ports],
      ranges,
      ...(c.egress.networkMapFile === undefined
        ? {}
        : { networkMapFile: absolute(c.egress.networkMapFile) }),
    },
    tls: {
      minVersion: c.tls.minVersion,
      ...(c.tls.caFile === undefined ? {} : { caFile: absolute(c.tls.caFile) }),
    },
    backOffice,
    routes,
    health: { host: c.health.host, port: c.health.port },
    log: { level: c.log.level },
    limits: { ...c.limits },
    delivery: c.delivery,
    ...(c.antivirus === undefined ? {} : { antivirus: antivirusOf(c.antivirus) }),
    idempotency: c.idempotency.file === undefined ? {} : { file: absolute(c.idempotency.file) },
    source: { file: ctx.file, baseDir: ctx.baseDir, format: ctx.format },
  };
  return deepFreeze(redactable(config));
}

function checkBackOfficeUrl(raw: string, where: ConfigLocation): string {
  const expected = 'an http or https base URL without credentials, query or fragment';
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw configError(where, expected, 'text that is not a URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw configError(where, expected, `the scheme ${quote(url.protocol.slice(0, -1))}`);
  }
  if (url.username !== '' || url.password !== '') {
    throw configError(where, expected, 'a URL with credentials (user info)');
  }
  if (url.search !== '' || url.hash !== '') {
    throw configError(where, expected, 'a URL with a query or fragment');
  }
  return raw;
}

/** Freezes `value` and everything under it, except Buffers (which cannot be frozen). */
function deepFreeze<T>(value: T): T {
  if (typeof value !== 'object' || value === null || value instanceof Uint8Array) return value;
  for (const v of Object.values(value)) deepFreeze(v);
  return Object.freeze(value);
}

// --------------------------------------------------------------------- issue → message

interface Explained {
  readonly path: readonly PropertyKey[];
  readonly expected: string;
  readonly found: string;
}

type Issue = z.core.$ZodIssue;

const TYPE_NAMES: Readonly<Record<string, string>> = {
  string: 'a string',
  number: 'a number',
  int: 'an integer',
  boolean: 'true or false',
  object: 'a mapping (object)',
  array: 'a list',
  record: 'a mapping (object)',
  literal: 'a fixed value',
};

function explainIssue(issue: Issue, root: unknown, prefix: readonly PropertyKey[]): Explained {
  const path = [...prefix, ...issue.path];
  const value = valueAt(root, path);
  const found = describe(value, path);
  switch (issue.code) {
    case 'invalid_type':
      return { path, expected: TYPE_NAMES[issue.expected] ?? issue.expected, found };
    case 'too_small':
    case 'too_big': {
      const bound = issue.code === 'too_small' ? issue.minimum : issue.maximum;
      const word = issue.code === 'too_small' ? 'at least' : 'at most';
      const n = Number(bound);
      if (issue.origin === 'array' || issue.origin === 'set') {
        return { path, expected: `${word} ${n} item${n === 1 ? '' : 's'}`, found };
      }
      if (issue.origin === 'string') {
        return { path, expected: `${word} ${n} character${n === 1 ? '' : 's'}`, found };
      }
      const cmp =
        issue.code === 'too_small'
          ? issue.inclusive === false
            ? 'more than'
            : 'at least'
          : issue.inclusive === false
            ? 'less than'
            : 'at most';
      return { path, expected: `a number ${cmp} ${n}`, found };
    }
    case 'invalid_value':
      return {
        path,
        expected:
          issue.values.length === 1
            ? JSON.stringify(issue.values[0])
            : `one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`,
        found,
      };
    case 'unrecognized_keys': {
      const key = issue.keys[0] ?? '';
      const known = knownFields(issue.path.length === 0 ? prefix : path);
      return {
        path: [...path, key],
        expected: known.length === 0 ? 'no such field' : `one of the fields ${known.join(', ')}`,
        found: `the unknown field ${quote(key)}`,
      };
    }
    case 'invalid_union': {
      const fields =
        typeof value === 'object' && value !== null && !Array.isArray(value)
          ? Object.keys(value)
          : undefined;
      if (fields !== undefined) {
        // Pick the branch that failed deepest: the one meant (serviceTags vs prefixes).
        const branch = issue.errors.find((b) => b.length > 0 && b.every((i) => i.path.length > 0));
        const inner = branch?.[0];
        if (inner !== undefined && fields.length === 1) return explainIssue(inner, root, path);
      }
      const options = unionKeys(path);
      return {
        path,
        expected:
          options.length > 0
            ? `a mapping with exactly one of ${options.join(', ')}`
            : 'one of the allowed shapes',
        found:
          fields === undefined
            ? found
            : fields.length === 0
              ? 'an empty mapping'
              : `the fields ${fields.join(', ')}`,
      };
    }
    case 'invalid_key':
      return {
        path,
        expected: issue.issues[0]?.message ?? 'a valid key',
        found: `the key ${quote(String(path[path.length - 1] ?? ''))}`,
      };
    case 'invalid_element':
      return { path, expected: 'a valid item', found };
    case 'invalid_format':
      return {
        path,
        expected: issue.message.startsWith('Invalid')
          ? `a string in ${issue.format} format`
          : issue.message,
        found,
      };
    case 'not_multiple_of':
      return { path, expected: `a multiple of ${String(issue.divisor)}`, found };
    case 'custom':
      return { path, expected: issue.message, found };
  }
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let v = root;
  for (const seg of path) {
    if (typeof v !== 'object' || v === null) return undefined;
    if (!Object.prototype.hasOwnProperty.call(v, seg)) return undefined;
    v = (v as Record<PropertyKey, unknown>)[seg];
  }
  return v;
}

const SECRET_SEGMENTS = new Set(['secret', 'key', 'keys']);

/** A short description of a value that never quotes a secret. */
function describe(value: unknown, path: readonly PropertyKey[]): string {
  if (value === undefined) return 'nothing (the field is missing)';
  if (value === null) return 'null (an empty value)';
  if (typeof value === 'boolean') return String(value);
  if (typeof value === 'number') return Number.isFinite(value) ? `${value}` : String(value);
  if (typeof value === 'string') {
    const secretish = path.some((p) => typeof p === 'string' && SECRET_SEGMENTS.has(p));
    if (secretish || value.length > 64 || !/^[ -~]*$/.test(value)) {
      return `a string of ${value.length} character${value.length === 1 ? '' : 's'}`;
    }
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `a list of ${value.length} item${value.length === 1 ? '' : 's'}`;
  if (typeof value === 'object') return 'a mapping';
  return typeof value;
}

function quote(s: string): string {
  return s.length <= 64 && /^[ -~]*$/.test(s)
    ? JSON.stringify(s)
    : `a name of ${s.length} characters`;
}

// ------------------------------------------------------------- schema introspection (for messages)

interface SchemaNode {
  readonly def: {
    readonly type: string;
    readonly shape?: Readonly<Record<string, SchemaNode>>;
    readonly innerType?: SchemaNode;
    readonly element?: SchemaNode;
    readonly valueType?: SchemaNode;
    readonly options?: readonly SchemaNode[];
  };
}

function unwrap(node: SchemaNode | undefined): SchemaNode | undefined {
  let n = node;
  while (n?.def.innerType !== undefined) n = n.def.innerType;
  return n;
}

function schemaAt(path: readonly PropertyKey[]): SchemaNode | undefined {
  let node = unwrap(relayConfigSchema);
  for (const seg of path) {
    if (node === undefined) return undefined;
    const d = node.def;
    if (d.type === 'object') node = d.shape?.[String(seg)];
    else if (d.type === 'array') node = d.element;
    else if (d.type === 'record') node = d.valueType;
    else if (d.type === 'union')
      node = d.options?.find((o) => unwrap(o)?.def.shape?.[String(seg)] !== undefined);
    else return undefined;
    node = unwrap(node);
  }
  return node;
}

function knownFields(path: readonly PropertyKey[]): string[] {
  const node = schemaAt(path);
  return node?.def.type === 'object'
    ? Object.keys(node.def.shape ?? {}).filter((k) => k !== '$schema')
    : [];
}

function unionKeys(path: readonly PropertyKey[]): string[] {
  const node = schemaAt(path);
  if (node?.def.type !== 'union') return [];
  return (node.def.options ?? []).flatMap((o) => Object.keys(unwrap(o)?.def.shape ?? {}));
}
