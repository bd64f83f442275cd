// Why an address is outside the allowed ranges, in the terms of the source they were selected
// from. In: the parsed source (ServiceTags JSON, a tag record or the legacy XML), the selection
// made from it (the allowed RangeSet) and an address the selection does not hold. Out: what was
// allowed (the tags, or the legacy regions, and the source's change number), where the source
// publishes the address instead (its regional tags and their prefixes, most specific first) or
// that it publishes it nowhere (a stale list), and one line saying so and what to do. Pure.
import { cidrContains, formatCidr, parseAddress, type Cidr } from './cidr';
import type { RangeSet } from './ranges';
import type { ParsedSource } from './source';

/** Tags named before "and N more". */
const LISTED = 4;

/** One published range holding the address. */
export interface PublishedRange {
  /** The tag ("AzureCloud.uksouth"); undefined for a legacy XML region. */
  readonly tag: string | undefined;
  readonly region: string;
  readonly prefix: string;
}

export interface OutsideExplanation {
  /** What was allowed: "ServiceBus.UKSouth, ServiceBus.UKWest of ServiceTags change 367". */
  readonly allowed: string;
  /** Where the source publishes the address: regional tags first, then most specific. */
  readonly publishedIn: readonly PublishedRange[];
  /** The source's name: "ServiceTags change 367", "the legacy AzurePublicIpAddresses list". */
  readonly source: string;
}

function sourceName(source: ParsedSource): string {
  if (source.layout === 'legacy-xml') return 'the legacy AzurePublicIpAddresses list';
  return source.changeNumber === undefined
    ? 'the service-tag source'
    : `ServiceTags change ${String(source.changeNumber)}`;
}

function allowedText(set: RangeSet, source: string): string {
  const names: string[] = [];
  for (const e of set.entries) {
    const name = e.tag ?? `region ${e.region}`;
    if (!names.includes(name)) names.push(name);
  }
  const shown =
    names.length > LISTED
      ? `${names.slice(0, LISTED).join(', ')} and ${String(names.length - LISTED)} more`
      : names.join(', ');
  return `${shown} of ${source}`;
}

/** Where `ip` is published in `source`, outside `set` (the selection refused it). */
export function explainOutside(
  source: ParsedSource,
  set: RangeSet,
  ip: string,
): OutsideExplanation {
  const address = parseAddress(ip);
  const found: (PublishedRange & { readonly cidr: Cidr; readonly regional: boolean })[] = [];
  for (const g of source.groups) {
    for (const cidr of g.prefixes) {
      if (!cidrContains(cidr, address)) continue;
      found.push({
        tag: g.tag,
        region: g.region,
        prefix: formatCidr(cidr),
        cidr,
        // A regional tag is "<Family>.<Suffix>"; a global one ("AzureCloud") covers every region.
        regional: g.region !== '',
      });
    }
  }
  found.sort((a, b) =>
    a.regional !== b.regional ? (a.regional ? -1 : 1) : b.cidr.length - a.cidr.length,
  );
  const name = sourceName(source);
  return Object.freeze({
    allowed: allowedText(set, name),
    publishedIn: Object.freeze(
      found.map((f) => Object.freeze({ tag: f.tag, region: f.region, prefix: f.prefix })),
    ),
    source: name,
  });
}

/**
 * The explanation as the tail of a refusal: "(ServiceBus.UKSouth, ServiceBus.UKWest of
 * ServiceTags change 367); that source publishes it in AzureCloud.uksouth 4.158.0.0/15: add
 * that tag (family AzureCloud) to egress.ranges.serviceTags.tags and the firewall list, or ask
 * why the endpoint moved there", or "(…); that source does not publish it at all: the list may
 * be stale …".
 */
export function formatOutside(e: OutsideExplanation): string {
  const head = `(${e.allowed})`;
  if (e.publishedIn.length === 0) {
    return `${head}; that source does not publish it at all: the list may be stale (download the current ServiceTags_Public file and check the firewall list against it)`;
  }
  const ranges = e.publishedIn
    .slice(0, LISTED)
    .map((p) => `${p.tag ?? `region ${p.region}`} ${p.prefix}`);
  const more =
    e.publishedIn.length > LISTED ? ` and ${String(e.publishedIn.length - LISTED)} more` : '';
  const first = e.publishedIn[0];
  const family = first?.tag?.split('.')[0];
  const advice =
    family === undefined
      ? `add region ${first?.region ?? ''} to egress.ranges.serviceTags.regions and the firewall list`
      : `add that tag (family ${family}) to egress.ranges.serviceTags.tags and the firewall list`;
  return `${head}; that source publishes it in ${ranges.join(', ')}${more}: ${advice}, or ask why the endpoint moved there`;
}

/** A lookup for the egress policy: the tail of a refusal for an address outside `set`. */
export function outsideExplainer(source: ParsedSource, set: RangeSet): (ip: string) => string {
  return (ip) => formatOutside(explainOutside(source, set, ip));
}
