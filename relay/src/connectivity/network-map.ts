// The network map: the simulator's hosts file and endpoint map (absent in production). In:
// the path of the JSON file the simulator rewrites atomically after every change (DNS move,
// firewall, faults), or a map object. Out: a validated, frozen NetworkMap; pure lookups
// (the addresses of a name, the loopback dial target of a logical address:port); and a
// source that re-reads the file when its identity, size or mtime changes (one stat per
// read). Errors: EgressError RELAY_E_EGRESS_MAP naming the file and the path in it.
import { stat, readFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { z } from 'zod';
import { formatAddress, parseAddress } from '../egress/cidr';
import { EgressError } from './errors';

export const NETWORK_MAP_VERSION = 1;
/** A map larger than this is refused unread (the simulator writes a few KiB). */
export const NETWORK_MAP_MAX_BYTES = 16 * 1024 * 1024;

const port = z.int().min(1).max(65535);
function isStrictAddress(text: string): boolean {
  if (isIP(text) === 0) return false;
  try {
    parseAddress(text);
    return true;
  } catch {
    return false;
  }
}

const literal = z
  .string()
  .min(1)
  .max(64)
  .refine(isStrictAddress, 'an IP address literal (a name is never dialled from the map)');

const schema = z.object({
  version: z.literal(NETWORK_MAP_VERSION),
  hosts: z
    .array(z.object({ name: z.string().min(1).max(253), addresses: z.array(literal).max(64) }))
    .max(10_000),
  endpoints: z
    .array(
      z.object({
        host: z.string().min(1).max(253),
        logicalAddress: literal,
        port,
        dial: z.object({ host: literal, port }),
        current: z.boolean(),
      }),
    )
    .max(100_000),
});

export interface NetworkMapEndpoint {
  readonly host: string;
  readonly logicalAddress: string;
  readonly port: number;
  readonly dial: { readonly host: string; readonly port: number };
  readonly current: boolean;
}

export interface NetworkMap {
  readonly version: 1;
  readonly hosts: readonly { readonly name: string; readonly addresses: readonly string[] }[];
  readonly endpoints: readonly NetworkMapEndpoint[];
}

function pathText(path: readonly PropertyKey[]): string {
  const s = path.map((p) => (typeof p === 'number' ? `[${p}]` : String(p))).join('.');
  return s === '' ? '(top level)' : s.replace(/\.\[/g, '[');
}

/** Canonical address text, so that two spellings of one IPv6 address compare equal. */
function canonical(address: string): string {
  return formatAddress(parseAddress(address));
}

/** Names compare case-insensitively, without a trailing dot. */
export function normaliseHostName(name: string): string {
  return name.toLowerCase().replace(/\.$/, '');
}

/** Validates a network map object. `file` names the source in error messages. */
export function parseNetworkMap(input: unknown, file = 'the network map'): NetworkMap {
  const result = schema.safeParse(input);
  if (!result.success) {
    const issue = result.error.issues[0];
    const path = pathText(issue?.path ?? []);
    throw new EgressError(
      'RELAY_E_EGRESS_MAP',
      `${file}: ${path}: ${issue?.message ?? 'invalid'}`,
      { file, path },
    );
  }
  const m = result.data;
  return Object.freeze({
    version: NETWORK_MAP_VERSION,
    hosts: Object.freeze(
      m.hosts.map((h) =>
        Object.freeze({
          name: normaliseHostName(h.name),
          addresses: Object.freeze(h.addresses.map(canonical)),
        }),
      ),
    ),
    endpoints: Object.freeze(
      m.endpoints.map((e) =>
        Object.freeze({
          host: normaliseHostName(e.host),
          logicalAddress: canonical(e.logicalAddress),
          port: e.port,
          dial: Object.freeze({ host: canonical(e.dial.host), port: e.dial.port }),
          current: e.current,
        }),
      ),
    ),
  });
}

/** The addresses the map answers for a name (undefined: the map does not know it). */
export function mapAddresses(map: NetworkMap, name: string): readonly string[] | undefined {
  const n = normaliseHostName(name);
  return map.hosts.find((h) => h.name === n)?.addresses;
}

/** The loopback target standing for a logical address:port, or undefined. */
export function mapEndpoint(
  map: NetworkMap,
  address: string,
  port: number,
): NetworkMapEndpoint | undefined {
  let a: string;
  try {
    a = canonical(address);
  } catch {
    return undefined;
  }
  return map.endpoints.find((e) => e.logicalAddress === a && e.port === port);
}

/** Where the map comes from: read() returns the current map (cached while unchanged). */
export interface NetworkMapSource {
  /** A label for messages (the file path, or "inline"). */
  readonly label: string;
  read(): Promise<NetworkMap>;
}

/** A fixed map (tests, or a relay in the simulator's process). */
export function staticNetworkMap(input: unknown): NetworkMapSource {
  const map = parseNetworkMap(input, 'inline network map');
  return Object.freeze({ label: 'inline network map', read: () => Promise.resolve(map) });
}

/** The file-system calls the reader makes (injectable). */
export interface NetworkMapFs {
  stat(path: string): Promise<{ size: number; mtimeMs: number; ino: number; isFile(): boolean }>;
  readFile(path: string): Promise<Buffer>;
}

const nodeFs: NetworkMapFs = { stat, readFile: (p) => readFile(p) };

function ioError(file: string, e: unknown): EgressError {
  const code = (e as NodeJS.ErrnoException | undefined)?.code ?? 'EIO';
  const why =
    code === 'ENOENT'
      ? 'no such file'
      : code === 'EACCES' || code === 'EPERM'
        ? 'permission denied'
        : `cannot read it (${code})`;
  return new EgressError('RELAY_E_EGRESS_MAP', `network map ${file}: ${why}`, {
    file,
    errno: code,
  });
}

/**
 * A source reading `file`. Each read() stats the file and parses it again only when its
 * inode, size or mtime changed (the simulator replaces it by rename). Concurrent reads
 * share one parse.
 */
export function networkMapFile(file: string, fs: NetworkMapFs = nodeFs): NetworkMapSource {
  let cached: { key: string; map: NetworkMap } | undefined;
  let pending: { key: string; promise: Promise<NetworkMap> } | undefined;

  const load = async (key: string): Promise<NetworkMap> => {
    let bytes: Buffer;
    try {
      bytes = await fs.readFile(file);
    } catch (e) {
      throw ioError(file, e);
    }
    if (bytes.byteLength > NETWORK_MAP_MAX_BYTES) {
      throw new EgressError(
        'RELAY_E_EGRESS_MAP',
        `network map ${file}: ${bytes.byteLength} bytes, over the ${NETWORK_MAP_MAX_BYTES}-byte limit`,
        { file },
      );
    }
    let json: unknown;
    try {
      json = JSON.parse(bytes.toString('utf8'));
    } catch {
      throw new EgressError('RELAY_E_EGRESS_MAP', `network map ${file}: not valid JSON`, { file });
    }
    const map = parseNetworkMap(json, `network map ${file}`);
    cached = { key, map };
    return map;
  };

  const read = async (): Promise<NetworkMap> => {
    let info: Awaited<ReturnType<NetworkMapFs['stat']>>;
    try {
      info = await fs.stat(file);
    } catch (e) {
      throw ioError(file, e);
    }
    if (!info.isFile()) {
      throw new EgressError('RELAY_E_EGRESS_MAP', `network map ${file}: not a regular file`, {
        file,
      });
    }
    const key = `${info.ino}:${info.size}:${info.mtimeMs}`;
    if (cached?.key === key) return cached.map;
    if (pending?.key === key) return pending.promise;
    const promise = load(key).finally(() => {
      if (pending?.promise === promise) pending = undefined;
    });
    pending = { key, promise };
    return promise;
  };

  return Object.freeze({ label: file, read });
}
