// The target of an Azure run (`relaycheck run --target azure`): the council's own Service Bus
// and Azure Relay namespaces, named by two namespace-level connection strings, and the
// tenant's half of the handshake (tenant id, key id, 32-byte key) from a tenant config file.
// In: the command line's strings (a connection string or `env:NAME`) and the file (untrusted
// JSON). Out: a validated Target (RunError RUN_E_TARGET_CONFIG naming the option or the field
// otherwise), written 0600 to target.json for the case processes (RELAYCHECK_TARGET), and the
// relay config and tenant driver options a case world builds from it. Keys are never put in an
// error message. Pure but for reading and writing those files.
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { isIP } from 'node:net';
import { z } from 'zod';
import { RELAY_ENTITIES } from '../../simulator/src/world/relay-file';
import { DEFAULT_HYBRID_PATHS } from '../../simulator/src/cloud/hybrid/defaults';
import { writeFileAtomic } from '../../simulator/src/cloud/tls/ca';
import { entitiesSchema } from '../../simulator/src/cloud/tenant/config';
import { RunError } from '../runner/errors';

/** The environment variable naming the target.json of an Azure run. */
export const TARGET_ENV = 'RELAYCHECK_TARGET';

/** One namespace as a connection string names it. */
export interface Namespace {
  /** The namespace host, e.g. council-42.servicebus.windows.net (or an IP literal). */
  readonly host: string;
  readonly keyName: string;
  readonly key: string;
}

const HOST =
  /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

function configError(message: string, path: string): RunError {
  return new RunError('RUN_E_TARGET_CONFIG', message, { path });
}

/**
 * The value of an option that may be given as `env:NAME` (so a key stays out of the command
 * line and the shell history). `what` names the option in the error.
 */
export function fromEnv(value: string, what: string, env: NodeJS.ProcessEnv = process.env): string {
  if (!value.startsWith('env:')) return value;
  const name = value.slice(4);
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
    throw configError(`${what}: ${JSON.stringify(value)} is not env:NAME`, what);
  }
  const v = env[name];
  if (v === undefined || v === '') {
    throw configError(`${what}: the environment variable ${name} is not set`, what);
  }
  return v;
}

/**
 * Parses a namespace-level connection string as the Azure portal gives it:
 * `Endpoint=sb://<host>/;SharedAccessKeyName=<rule>;SharedAccessKey=<key>`. Refuses an entity
 * path, a shared access signature instead of a key, the development emulator and a port (the
 * relay dials Azure's own ports). `what` names the option in the error; the key never appears.
 */
export function parseConnectionString(text: string, what: string): Namespace {
  const parts = new Map<string, string>();
  for (const piece of text.split(';')) {
    if (piece.trim() === '') continue;
    const eq = piece.indexOf('=');
    if (eq <= 0) {
      throw configError(`${what}: "${piece.slice(0, 40)}" is not Name=value`, what);
    }
    const name = piece.slice(0, eq).trim().toLowerCase();
    if (parts.has(name)) throw configError(`${what}: ${piece.slice(0, eq)} is given twice`, what);
    parts.set(name, piece.slice(eq + 1).trim());
  }
  if (parts.has('entitypath')) {
    throw configError(
      `${what}: this connection string is for one entity (EntityPath); give the namespace's (a shared access policy of the namespace, not of a queue)`,
      what,
    );
  }
  if (parts.has('sharedaccesssignature')) {
    throw configError(
      `${what}: a shared access signature expires; give a key (SharedAccessKeyName and SharedAccessKey)`,
      what,
    );
  }
  if (parts.has('usedevelopmentemulator')) {
    throw configError(
      `${what}: this is the development emulator's connection string; --target azure is for an Azure namespace (the simulator is --target simulator)`,
      what,
    );
  }
  const endpoint = parts.get('endpoint');
  const keyName = parts.get('sharedaccesskeyname');
  const key = parts.get('sharedaccesskey');
  const missing = [
    endpoint === undefined || endpoint === '' ? 'Endpoint' : undefined,
    keyName === undefined || keyName === '' ? 'SharedAccessKeyName' : undefined,
    key === undefined || key === '' ? 'SharedAccessKey' : undefined,
  ].filter((m): m is string => m !== undefined);
  if (endpoint === undefined || keyName === undefined || key === undefined || missing.length > 0) {
    throw configError(`${what}: the connection string has no ${missing.join(', ')}`, what);
  }
  const m = /^sb:\/\/([^/:?#]+|\[[0-9A-Fa-f:.]+\])(:\d+)?\/?$/.exec(endpoint);
  if (m === null) {
    throw configError(
      `${what}: Endpoint must be sb://<namespace>.servicebus.windows.net/, got ${JSON.stringify(endpoint.slice(0, 120))}`,
      what,
    );
  }
  if (m[2] !== undefined) {
    throw configError(
      `${what}: Endpoint has a port (${m[2].slice(1)}); an Azure namespace has none: the relay dials 5671, 443 and 9350-9354`,
      what,
    );
  }
  const host = (m[1] ?? '').toLowerCase();
  const bare = host.replace(/^\[(.*)\]$/, '$1');
  if (isIP(bare) === 0 && !HOST.test(host)) {
    throw configError(`${what}: ${JSON.stringify(host)} is not a host name`, what);
  }
  if (keyName.length > 256) throw configError(`${what}: SharedAccessKeyName is too long`, what);
  return { host: bare, keyName, key };
}

const KEY_BYTES = 32;

/** The tenant config file of `--target azure` (docs/run.md). */
const tenantFileSchema = z.strictObject({
  /** The tenant id of the handshake. */
  tenant: z.string().regex(/^[a-z0-9-]{3,64}$/, 'a tenant id of 3-64 a-z, 0-9, -'),
  /** The handshake key's id. */
  kid: z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,64}$/, 'a key id of 1-64 letters, digits, . _ -')
    .default('k1'),
  /** The tenant's 32-byte handshake and envelope key: base64, or env:NAME. */
  key: z.string().min(1).max(200),
  /** The Service Bus entities (docs/protocol/messaging.md); default their standard names. */
  entities: entitiesSchema,
  /** The Hybrid Connections the relay listens on; default the four retrieval ones. */
  hybridConnections: z
    .array(z.string().regex(/^[a-z0-9-]{1,64}$/))
    .min(1)
    .max(100)
    .optional(),
  /** The address ranges the relay may dial (the relay config's egress.ranges). */
  ranges: z
    .union([
      z.strictObject({ prefixes: z.array(z.string().min(1).max(64)).min(1).max(100_000) }),
      z.strictObject({
        serviceTags: z.strictObject({
          source: z.string().min(1),
          regions: z.array(z.string().min(1)).min(1),
          tags: z.array(z.string().min(1)).min(1).optional(),
        }),
      }),
    ])
    .optional(),
  /** A CA bundle (PEM) to trust besides the system's: only for a namespace behind your own TLS. */
  caFile: z.string().min(1).optional(),
});

const targetSchema = z.strictObject({
  version: z.literal(1),
  serviceBus: z.strictObject({ host: z.string(), keyName: z.string(), key: z.string() }),
  relayNamespace: z.strictObject({ host: z.string(), keyName: z.string(), key: z.string() }),
  tenant: z.strictObject({ id: z.string(), kid: z.string(), key: z.string() }),
  entities: z.strictObject({
    handshake: z.string(),
    handshakeReplies: z.string(),
    requests: z.string(),
    replies: z.string(),
  }),
  hybridConnections: z.array(z.string()).min(1),
  ranges: z.union([
    z.strictObject({ prefixes: z.array(z.string()).min(1) }),
    z.strictObject({
      serviceTags: z.strictObject({
        source: z.string(),
        regions: z.array(z.string()),
        tags: z.array(z.string()).optional(),
      }),
    }),
  ]),
  caFile: z.string().optional(),
});

/** Everything a case process needs to run against the namespaces (target.json, mode 0600). */
export type Target = z.infer<typeof targetSchema>;

/** The default ranges: the guide's regions' ServiceBus tag, from the repository's fixture. */
export function defaultRanges(repoRoot: string): Target['ranges'] {
  return {
    serviceTags: {
      source: resolve(repoRoot, 'fixtures/service-tags/ServiceTags_Public_excerpt_uk.json'),
      regions: ['uksouth', 'ukwest'],
      tags: ['ServiceBus'],
    },
  };
}

export interface TargetInput {
  /** --servicebus: a connection string or env:NAME. */
  readonly serviceBus: string;
  /** --relay-namespace: a connection string or env:NAME. */
  readonly relayNamespace: string;
  /** --tenant-config: the file. */
  readonly tenantConfig: string;
  readonly repoRoot: string;
  readonly env?: NodeJS.ProcessEnv;
}

/** Builds the Target from the command line; RUN_E_TARGET_CONFIG on anything malformed. */
export function loadTarget(input: TargetInput): Target {
  const env = input.env ?? process.env;
  const serviceBus = parseConnectionString(
    fromEnv(input.serviceBus, '--servicebus', env),
    '--servicebus',
  );
  const relayNamespace = parseConnectionString(
    fromEnv(input.relayNamespace, '--relay-namespace', env),
    '--relay-namespace',
  );
  const file = resolve(input.tenantConfig);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    const why =
      e instanceof SyntaxError
        ? 'it is not JSON'
        : `it cannot be read (${(e as NodeJS.ErrnoException).code ?? 'EIO'})`;
    throw configError(`--tenant-config ${file}: ${why}`, file);
  }
  const parsed = tenantFileSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = (issue?.path ?? []).map(String).join('.');
    throw configError(
      `--tenant-config ${file}: ${where === '' ? '(top level)' : where}: ${issue?.message ?? 'invalid'}`,
      file,
    );
  }
  const c = parsed.data;
  const keyText = fromEnv(c.key, `--tenant-config ${file}: key`, env);
  const key = Buffer.from(keyText, 'base64');
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(keyText) || key.length !== KEY_BYTES) {
    throw configError(
      `--tenant-config ${file}: key: the handshake key must be ${String(KEY_BYTES)} bytes in base64`,
      file,
    );
  }
  const base = dirname(file);
  const abs = (p: string): string => (isAbsolute(p) ? p : resolve(base, p));
  const ranges: Target['ranges'] =
    c.ranges === undefined
      ? defaultRanges(input.repoRoot)
      : 'prefixes' in c.ranges
        ? { prefixes: [...c.ranges.prefixes] }
        : { serviceTags: { ...c.ranges.serviceTags, source: abs(c.ranges.serviceTags.source) } };
  if (c.caFile !== undefined) {
    try {
      const pem = readFileSync(abs(c.caFile), 'utf8');
      if (!pem.includes('-----BEGIN CERTIFICATE-----')) throw new Error('no certificate');
    } catch {
      throw configError(
        `--tenant-config ${file}: caFile: ${abs(c.caFile)} is not a readable PEM certificate bundle`,
        file,
      );
    }
  }
  return {
    version: 1,
    serviceBus,
    relayNamespace,
    tenant: { id: c.tenant, kid: c.kid, key: key.toString('base64') },
    entities: { ...RELAY_ENTITIES, ...c.entities },
    hybridConnections: [...(c.hybridConnections ?? DEFAULT_HYBRID_PATHS)],
    ranges,
    ...(c.caFile === undefined ? {} : { caFile: abs(c.caFile) }),
  };
}

/** Writes target.json (0600: it holds keys). */
export function writeTarget(file: string, target: Target): void {
  writeFileAtomic(file, JSON.stringify(target, null, 2), 0o600);
}

/** The target of this process's run, or undefined when it is not an Azure run. */
export function currentTarget(env: NodeJS.ProcessEnv = process.env): Target | undefined {
  const file = env[TARGET_ENV];
  if (file === undefined || file === '') return undefined;
  const parsed = targetSchema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
  if (!parsed.success) {
    throw new Error(`${TARGET_ENV}=${file} is not a target file: ${parsed.error.message}`);
  }
  return parsed.data;
}

/** The SDK connection string of a namespace (TLS on 5671, as Azure's). */
export function sdkConnectionString(ns: Namespace): string {
  const host = ns.host.includes(':') ? `[${ns.host}]` : ns.host;
  return `Endpoint=sb://${host}/;SharedAccessKeyName=${ns.keyName};SharedAccessKey=${ns.key}`;
}

/** What the report and the brief may show of a target: hosts and rule names, no key. */
export function describeTarget(target: Target): string {
  return (
    `Service Bus ${target.serviceBus.host} (rule ${target.serviceBus.keyName}), ` +
    `Azure Relay ${target.relayNamespace.host} (rule ${target.relayNamespace.keyName}), ` +
    `tenant ${target.tenant.id} (key ${target.tenant.kid})`
  );
}
