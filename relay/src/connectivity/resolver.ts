// Name resolution for the egress layer. In: a host name (or an IP literal, which answers
// itself). Out: every address the name has, as text, or EgressError RELAY_E_EGRESS_DNS.
// Two sources: the system resolver (dns.promises.lookup with all: true; production) and the
// network map's `hosts` (the simulator's DNS answers, read from its file). The egress policy
// checks EVERY address returned here before anything is dialled.
import { lookup as systemLookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { EgressError, isEgressError } from './errors';
import { mapAddresses, type NetworkMapSource } from './network-map';

/** Resolves a host to all its addresses (never empty on success). */
export type Resolver = (host: string) => Promise<readonly string[]>;

/** dns.promises.lookup's shape with `all: true`. */
export type LookupAll = (
  host: string,
  options: { all: true },
) => Promise<readonly { address: string; family: number }[]>;

function literal(host: string): string | undefined {
  const bare = host.replace(/^\[(.*)\]$/, '$1');
  return isIP(bare) === 0 ? undefined : bare;
}

function dnsError(host: string, why: string, errno?: string): EgressError {
  return new EgressError('RELAY_E_EGRESS_DNS', `cannot resolve ${host}: ${why}`, {
    host,
    ...(errno === undefined ? {} : { errno }),
  });
}

/** The operating system's resolver (what production uses). */
export function systemResolver(lookup: LookupAll = systemLookup): Resolver {
  return async (host) => {
    const ip = literal(host);
    if (ip !== undefined) return [ip];
    let answers: readonly { address: string }[];
    try {
      answers = await lookup(host, { all: true });
    } catch (e) {
      const code = (e as NodeJS.ErrnoException | undefined)?.code ?? 'EAI_FAIL';
      throw dnsError(host, code === 'ENOTFOUND' ? 'no such name' : `lookup failed (${code})`, code);
    }
    if (answers.length === 0) throw dnsError(host, 'no address');
    return [...new Set(answers.map((a) => a.address))];
  };
}

/** The network map's hosts (the simulator's DNS model, seen through its file). */
export function networkMapResolver(source: NetworkMapSource): Resolver {
  return async (host) => {
    const ip = literal(host);
    if (ip !== undefined) return [ip];
    const map = await source.read();
    const addresses = mapAddresses(map, host);
    if (addresses === undefined) throw dnsError(host, `no such name in ${source.label}`);
    if (addresses.length === 0) throw dnsError(host, `no address in ${source.label}`);
    return addresses;
  };
}

/** Runs a resolver, turning anything it throws that is not typed into RELAY_E_EGRESS_DNS. */
export async function resolveAll(resolver: Resolver, host: string): Promise<readonly string[]> {
  let out: readonly string[];
  try {
    out = await resolver(host);
  } catch (e) {
    if (isEgressError(e)) throw e;
    throw dnsError(host, 'the resolver failed');
  }
  const list = Array.isArray(out)
    ? (out as readonly unknown[]).filter((a): a is string => typeof a === 'string')
    : [];
  if (list.length === 0) throw dnsError(host, 'no address');
  return list;
}
