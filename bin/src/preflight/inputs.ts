// The edge of `relaycheck preflight`: from the command line's text to checked inputs. In: the
// flags as given (strings; zod-validated here so every refusal has a stable code) and the files
// they name: the relay's own config (hosts, ranges, CA, mode, profile, allowed ports, TLS
// minimum and network map, as the relay would read them), a service-tag download, a CA bundle,
// a network map (the simulator's network-map.json, or the world description relay-config.json
// holding one). Out: a PreflightInput and the output format. Errors: PREFLIGHT_E_OPTION,
// PREFLIGHT_E_MAP, and the owners' codes for the files (RELAY_E_CONFIG, IP_E_*,
// RELAY_E_EGRESS_CA, RELAY_E_EGRESS_MAP). Nothing is contacted here.
import { readFile, stat } from 'node:fs/promises';
import { z } from 'zod';
import type {
  ConnectivityMode,
  Profile,
  TlsMinVersion,
} from '../../../relay/src/connectivity/config';
import { isEgressError } from '../../../relay/src/connectivity/errors';
import {
  NETWORK_MAP_MAX_BYTES,
  networkMapFile,
  parseNetworkMap,
  type NetworkMap,
  type NetworkMapSource,
} from '../../../relay/src/connectivity/network-map';
import { loadCaFile } from '../../../relay/src/connectivity/tls-trust';
import type { RangeCheck } from './assess';
import { isLoopbackAddress } from './dialer';
import { PreflightError } from './errors';
import { checkHost, parsePortList } from './plan';
import { rangesFromPrefixes, rangesFromSource } from './ranges';
import { DEFAULT_TIMEOUT_MS, EXPIRY_WARN_DAYS, type PreflightInput } from './run';

/** The flags as commander hands them over. */
export interface PreflightFlags {
  readonly namespace?: string;
  readonly relayNamespace?: string;
  readonly config?: string;
  readonly source?: string;
  readonly regions?: string;
  readonly tags?: string;
  readonly tolerant?: boolean;
  readonly ports?: string;
  readonly timeout?: string;
  readonly ca?: string;
  readonly map?: string;
  readonly mode?: string;
  readonly format?: string;
  readonly expiryWarnDays?: string;
}

export type OutputFormat = 'table' | 'json';

export interface ResolvedInputs {
  readonly input: PreflightInput;
  readonly format: OutputFormat;
}

const list = z
  .string()
  .transform((s) =>
    s
      .split(',')
      .map((x) => x.trim())
      .filter((x) => x !== ''),
  )
  .refine((l) => l.length > 0, 'give one or more names, comma-separated');

function whole(min: number, max: number) {
  return z
    .string()
    .regex(/^\d+$/, 'a whole number')
    .transform(Number)
    .refine((n) => n >= min && n <= max, `a whole number from ${min} to ${max}`);
}

const flagsSchema = z.object({
  namespace: z.string().optional(),
  relayNamespace: z.string().optional(),
  config: z.string().min(1).optional(),
  source: z.string().min(1).optional(),
  regions: list.optional(),
  tags: list.optional(),
  tolerant: z.boolean().optional(),
  ports: z.string().optional(),
  timeout: whole(50, 120_000).optional(),
  ca: z.string().min(1).optional(),
  map: z.string().min(1).optional(),
  mode: z.enum(['auto', 'tcp', 'https'], 'one of auto, tcp, https').optional(),
  format: z.enum(['table', 'json'], 'one of table, json').optional(),
  expiryWarnDays: whole(0, 3650).optional(),
});

const FLAG_NAMES: Readonly<Record<string, string>> = {
  relayNamespace: '--relay-namespace',
  expiryWarnDays: '--expiry-warn-days',
};

function flagName(key: string): string {
  return FLAG_NAMES[key] ?? `--${key}`;
}

function optionError(option: string, message: string): PreflightError {
  return new PreflightError('PREFLIGHT_E_OPTION', `${option}: ${message}`, { option });
}

/** Every dial target of the map is loopback, or PREFLIGHT_E_MAP before anything is contacted. */
function checkLoopback(map: NetworkMap, label: string): NetworkMap {
  const off = map.endpoints.find((e) => !isLoopbackAddress(e.dial.host));
  if (off !== undefined) {
    throw new PreflightError(
      'PREFLIGHT_E_MAP',
      `the network map ${label} sends ${off.logicalAddress}:${off.port} to ${off.dial.host}, which is not loopback: refused`,
      { file: label },
    );
  }
  return map;
}

/** Reads --map: a network map, or `relaycheck sim`'s world description (its `network` field). */
export async function readMapFile(file: string): Promise<NetworkMapSource> {
  let text: string;
  try {
    const info = await stat(file);
    if (!info.isFile()) throw Object.assign(new Error('not a file'), { code: 'ENOTFILE' });
    if (info.size > NETWORK_MAP_MAX_BYTES) {
      throw new PreflightError('PREFLIGHT_E_MAP', `--map ${file}: too large (${info.size} bytes)`, {
        file,
      });
    }
    text = await readFile(file, 'utf8');
  } catch (e) {
    if (e instanceof PreflightError) throw e;
    const code = (e as NodeJS.ErrnoException | undefined)?.code ?? 'EIO';
    throw new PreflightError(
      'PREFLIGHT_E_MAP',
      `--map ${file}: ${code === 'ENOENT' ? 'no such file' : `cannot read it (${code})`}`,
      { file, errno: code },
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new PreflightError('PREFLIGHT_E_MAP', `--map ${file}: not JSON`, { file });
  }
  const inner =
    typeof json === 'object' && json !== null && 'network' in json ? json.network : json;
  if (inner === null) {
    throw new PreflightError(
      'PREFLIGHT_E_MAP',
      `--map ${file}: the world it describes has no network model (network: null)`,
      { file },
    );
  }
  let map: NetworkMap;
  try {
    map = parseNetworkMap(inner, `--map ${file}`);
  } catch (e) {
    if (!isEgressError(e)) throw e;
    throw new PreflightError(
      'PREFLIGHT_E_MAP',
      `${e.message} (a network map or a world description)`,
      {
        file,
      },
    );
  }
  checkLoopback(map, file);
  return Object.freeze({ label: file, read: () => Promise.resolve(map) });
}

/** The relay config's part preflight uses (loaded with the relay's own loader). */
interface RelaySide {
  readonly file: string;
  readonly namespace: string;
  readonly relayNamespace: string;
  readonly mode: ConnectivityMode;
  readonly profile: Profile;
  readonly ports: readonly number[];
  readonly minVersion: TlsMinVersion;
  readonly caFile: string | undefined;
  readonly networkMapFile: string | undefined;
  readonly ranges: RangeCheck;
}

async function loadRelaySide(file: string): Promise<RelaySide> {
  // Loaded here: the relay config module is only needed with --config.
  const { loadRelayConfig } = await import('../../../relay/src/config');
  const c = await loadRelayConfig(file);
  const r = c.egress.ranges;
  const ranges =
    'serviceTags' in r
      ? await rangesFromSource({
          source: r.serviceTags.source,
          regions: r.serviceTags.regions,
          tags: r.serviceTags.tags,
        })
      : rangesFromPrefixes(r.prefixes, `${file} egress.ranges.prefixes`);
  return {
    file,
    namespace: c.serviceBus.host,
    relayNamespace: c.hybrid.host,
    mode: c.connectivity.mode,
    profile: c.profile,
    ports: c.egress.ports,
    minVersion: c.tls.minVersion,
    caFile: c.tls.caFile,
    networkMapFile: c.egress.networkMapFile,
    ranges,
  };
}

/** Checks the flags, reads the files they name, and merges the relay config under the flags. */
export async function resolveInputs(raw: PreflightFlags): Promise<ResolvedInputs> {
  const parsed = flagsSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw optionError(flagName(String(issue?.path[0] ?? '')), issue?.message ?? 'invalid');
  }
  const f = parsed.data;
  if (f.source === undefined) {
    for (const k of ['regions', 'tags', 'tolerant'] as const) {
      if (f[k] !== undefined) throw optionError(`--${k}`, 'is used with --source');
    }
  } else if (f.regions === undefined) {
    throw optionError('--source', 'name the regions too, e.g. --regions uksouth,ukwest');
  }
  const ports = parsePortList(f.ports ?? 'guide');
  const relay = f.config === undefined ? undefined : await loadRelaySide(f.config);

  const namespaceText = f.namespace ?? relay?.namespace;
  if (namespaceText === undefined) {
    throw optionError(
      '--namespace',
      'name the Service Bus namespace (e.g. --namespace council-42.servicebus.windows.net) or give the relay config with --config',
    );
  }
  const namespace = checkHost(namespaceText, '--namespace');
  const relayText = f.relayNamespace ?? relay?.relayNamespace;
  const relayNamespace =
    relayText === undefined ? undefined : checkHost(relayText, '--relay-namespace');
  if (relayNamespace === namespace) {
    throw optionError(
      '--relay-namespace',
      'is the Service Bus namespace; the Azure Relay namespace is a namespace of its own',
    );
  }

  const ranges =
    f.source !== undefined
      ? await rangesFromSource({
          source: f.source,
          regions: f.regions ?? [],
          tags: f.tags,
          tolerant: f.tolerant === true,
        })
      : relay?.ranges;
  const caFile = f.ca ?? relay?.caFile;
  const extraCa = caFile === undefined ? [] : await loadCaFile(caFile);
  let map: NetworkMapSource | undefined;
  if (f.map !== undefined) {
    map = await readMapFile(f.map);
  } else if (relay?.networkMapFile !== undefined) {
    const live = networkMapFile(relay.networkMapFile);
    checkLoopback(await live.read(), relay.networkMapFile);
    map = live;
  }
  return {
    format: f.format ?? 'table',
    input: {
      namespace,
      relayNamespace,
      ports,
      timeoutMs: f.timeout ?? DEFAULT_TIMEOUT_MS,
      mode: f.mode ?? relay?.mode ?? 'auto',
      profile: relay?.profile ?? 'production',
      allowedPorts: relay?.ports,
      minVersion: relay?.minVersion ?? 'TLSv1.2',
      extraCa,
      caLabel: caFile,
      ranges,
      map,
      expiryWarnDays: f.expiryWarnDays ?? EXPIRY_WARN_DAYS,
    },
  };
}
