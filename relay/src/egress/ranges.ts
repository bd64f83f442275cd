// Selecting, checking and aggregating Azure IP ranges. In: a ParsedSource (or the source
// text), regions ("uksouth", "ukwest") and tag families ("AzureCloud", "ServiceBus").
// Out: a RangeSet (the selected prefixes, the tag/region each came from, the source's
// changeNumber), containment answers for an address, and the aggregated prefix list.
// selectRanges() is the one call the `relaycheck ranges` command needs; formatSelection()
// renders its result as a list or JSON.
import {
  aggregate,
  compareCidr,
  cidrContains,
  formatAddress,
  formatCidr,
  intervalsContain,
  mergeToIntervals,
  parseAddress,
  parseCidr,
  type AddressInterval,
  type Cidr,
  type IpFamily,
} from './cidr';
import { RangesError } from './errors';
import { parseSource, type SourceOptions } from './service-tags';
import type { ParsedSource, SourceFormat, SourceLayout } from './source';

export interface SelectOptions {
  /** Region names, case-insensitive ("uksouth", "UKWest"). At least one. */
  readonly regions: readonly string[];
  /**
   * Tag families, case-insensitive ("AzureCloud", "ServiceBus"). Default ["AzureCloud"].
   * A family F selects every tag named F.<something> whose properties.region is one of
   * `regions`. The legacy XML has no tags; its regions count as AzureCloud.
   */
  readonly tags?: readonly string[];
}

/** One selected prefix and where it came from. */
export interface RangeEntry {
  readonly cidr: Cidr;
  /** Canonical text of the prefix. */
  readonly prefix: string;
  /** The tag ("ServiceBus.UKSouth"); undefined for a legacy XML region. */
  readonly tag: string | undefined;
  /** The region as written in the source. */
  readonly region: string;
}

/** A selected set of prefixes, ready for containment checks. */
export interface RangeSet {
  readonly format: SourceFormat;
  readonly layout: SourceLayout;
  readonly changeNumber: number | undefined;
  /** In source order (group by group); the same prefix may appear under several tags. */
  readonly entries: readonly RangeEntry[];
  /** Sorted disjoint intervals of the union, for O(log n) containment. */
  readonly intervals: readonly AddressInterval[];
}

/** A (family, region) pair that was asked for but that the source has no tag for. */
export interface MissingTag {
  readonly tag: string;
  readonly region: string;
}

const FAMILY_NAME = /^[A-Za-z0-9]+$/;

function normaliseRegions(regions: readonly string[] | undefined): string[] {
  if (!Array.isArray(regions) || regions.length === 0) {
    throw new RangesError('IP_E_OPTION', 'name at least one region (for example uksouth,ukwest)');
  }
  const out: string[] = [];
  for (const r of regions as readonly unknown[]) {
    if (typeof r !== 'string' || r.trim() === '') {
      throw new RangesError(
        'IP_E_OPTION',
        `region names must be non-empty text, got ${JSON.stringify(r)}`,
      );
    }
    const n = r.trim().toLowerCase();
    if (!out.includes(n)) out.push(n);
  }
  return out;
}

function normaliseTags(tags: readonly string[] | undefined): string[] {
  if (tags === undefined) return ['AzureCloud'];
  if (!Array.isArray(tags) || tags.length === 0) {
    throw new RangesError('IP_E_OPTION', 'name at least one tag family (for example ServiceBus)');
  }
  const out: string[] = [];
  for (const t of tags as readonly unknown[]) {
    if (typeof t !== 'string' || !FAMILY_NAME.test(t.trim())) {
      const hint =
        typeof t === 'string' && t.includes('.')
          ? `; give the family ("${t.slice(0, t.indexOf('.'))}") and the regions separately`
          : '';
      throw new RangesError(
        'IP_E_OPTION',
        `tag families are letters and digits, got ${JSON.stringify(t)}${hint}`,
        { value: typeof t === 'string' ? t : undefined },
      );
    }
    const n = t.trim();
    if (!out.some((o) => o.toLowerCase() === n.toLowerCase())) out.push(n);
  }
  return out;
}

function listed(names: Iterable<string>, max = 12): string {
  const all = [...names].sort();
  const head = all.slice(0, max).join(', ');
  return all.length > max ? `${head}, ... (${all.length} in all)` : head;
}

/**
 * The selection, with the tag pairs that were asked for but are absent. Throws:
 * IP_E_OPTION (malformed options), IP_E_REGION (a region the source never names),
 * IP_E_TAG (a family the source never names, or any family but AzureCloud from the legacy
 * XML), IP_E_EMPTY (nothing selected).
 */
export function selectWithReport(
  source: ParsedSource,
  options: SelectOptions,
): { set: RangeSet; missing: MissingTag[] } {
  const regions = normaliseRegions(options.regions);
  const families = normaliseTags(options.tags);

  if (source.layout === 'legacy-xml') {
    const other = families.find((f) => f.toLowerCase() !== 'azurecloud');
    if (other !== undefined) {
      throw new RangesError(
        'IP_E_TAG',
        `the legacy AzurePublicIpAddresses XML has no service tags: each Region lists all of Azure's ranges there (the equivalent of AzureCloud.<region>), so "${other}" cannot be selected from it; use the current ServiceTags_Public_YYYYMMDD.json`,
        { tag: other },
      );
    }
  }

  const knownRegions = new Set<string>();
  const knownFamilies = new Map<string, string>();
  for (const g of source.groups) {
    if (g.region !== '') knownRegions.add(g.region.toLowerCase());
    knownFamilies.set(g.family.toLowerCase(), g.family);
  }
  for (const r of regions) {
    if (!knownRegions.has(r)) {
      throw new RangesError(
        'IP_E_REGION',
        `region "${r}" does not appear in the source (it names: ${listed(knownRegions) || 'no region'})`,
        { region: r },
      );
    }
  }
  for (const f of families) {
    if (!knownFamilies.has(f.toLowerCase())) {
      const tags = source.groups.map((g) => g.tag ?? g.family);
      throw new RangesError(
        'IP_E_TAG',
        `no tag of the family "${f}" in the source (it holds: ${listed(new Set(tags))})`,
        { tag: f },
      );
    }
  }

  const wantRegion = new Set(regions);
  const wantFamily = new Set(families.map((f) => f.toLowerCase()));
  const entries: RangeEntry[] = [];
  const found = new Set<string>();
  for (const g of source.groups) {
    const region = g.region.toLowerCase();
    const family = g.family.toLowerCase();
    if (!wantRegion.has(region) || !wantFamily.has(family)) continue;
    // A regional tag is "<Family>.<Suffix>"; a global tag is just "<Family>" (region "").
    if (g.tag?.length === g.family.length) continue;
    found.add(`${family} ${region}`);
    for (const cidr of g.prefixes) {
      entries.push(Object.freeze({ cidr, prefix: formatCidr(cidr), tag: g.tag, region: g.region }));
    }
  }
  const missing: MissingTag[] = [];
  for (const f of families) {
    for (const r of regions) {
      if (!found.has(`${f.toLowerCase()} ${r}`)) missing.push({ tag: f, region: r });
    }
  }
  if (entries.length === 0) {
    throw new RangesError(
      'IP_E_EMPTY',
      `the selection (regions ${regions.join(', ')}; tags ${families.join(', ')}) holds no prefix`,
      { regions: regions.join(','), tags: families.join(',') },
    );
  }
  const set: RangeSet = Object.freeze({
    format: source.format,
    layout: source.layout,
    changeNumber: source.changeNumber,
    entries: Object.freeze(entries),
    intervals: Object.freeze(mergeToIntervals(entries.map((e) => e.cidr))),
  });
  return { set, missing };
}

/** The prefixes of `source` for the given regions and tag families. See selectWithReport. */
export function selectFromSource(source: ParsedSource, options: SelectOptions): RangeSet {
  return selectWithReport(source, options).set;
}

/** A RangeSet over plain prefixes (no source), e.g. for a policy written by hand. */
export function rangeSetOf(cidrs: readonly Cidr[]): RangeSet {
  const entries = cidrs.map((cidr) =>
    Object.freeze({ cidr, prefix: formatCidr(cidr), tag: undefined, region: '' }),
  );
  return Object.freeze({
    format: 'json',
    layout: 'tag-record',
    changeNumber: undefined,
    entries: Object.freeze(entries),
    intervals: Object.freeze(mergeToIntervals(cidrs)),
  });
}

/**
 * True when `ip` is inside one of the set's prefixes. An IPv4-mapped IPv6 address
 * (::ffff:a.b.c.d) is checked as the IPv4 address. Throws IP_E_ADDRESS.
 */
export function contains(set: RangeSet, ip: string): boolean {
  return intervalsContain(set.intervals, parseAddress(ip));
}

/** Every entry of the set whose prefix holds `ip` (same rules as contains()). */
export function containingEntries(set: RangeSet, ip: string): RangeEntry[] {
  const a = parseAddress(ip);
  return set.entries.filter((e) => cidrContains(e.cidr, a));
}

/** The answer to "is this address allowed?", in a form the CLI can print or serialise. */
export interface Containment {
  /** The address as given. */
  readonly address: string;
  /** Canonical text of the address checked (IPv4 for an IPv4-mapped IPv6 address). */
  readonly checked: string;
  readonly family: IpFamily;
  readonly contained: boolean;
  readonly matches: readonly { prefix: string; tag: string | undefined; region: string }[];
}

export function checkAddress(set: RangeSet, ip: string): Containment {
  const a = parseAddress(ip);
  const matches = set.entries
    .filter((e) => cidrContains(e.cidr, a))
    .map((e) => ({ prefix: e.prefix, tag: e.tag, region: e.region }));
  return {
    address: ip,
    checked: formatAddress(a),
    family: a.family,
    contained: matches.length > 0,
    matches,
  };
}

/** The set's prefixes, de-duplicated, IPv4 first then numeric (no merging). */
export function sortedPrefixes(set: RangeSet): Cidr[] {
  const sorted = set.entries.map((e) => e.cidr).sort(compareCidr);
  const out: Cidr[] = [];
  for (const c of sorted) {
    const last = out[out.length - 1];
    if (last === undefined || compareCidr(c, last) !== 0) out.push(c);
  }
  return out;
}

/** The fewest prefixes covering exactly the set's addresses, IPv4 first then numeric. */
export function aggregateSet(set: RangeSet): Cidr[] {
  return aggregate(set.entries.map((e) => e.cidr));
}

/** Aggregates prefix text; throws IP_E_CIDR for a non-canonical prefix. */
export function aggregatePrefixes(prefixes: readonly string[]): string[] {
  return aggregate(prefixes.map((p) => parseCidr(p))).map(formatCidr);
}

export interface SelectRangesOptions extends SelectOptions, SourceOptions {
  /** Replace the selection by its aggregation (fewest covering prefixes). */
  readonly aggregate?: boolean;
  /** Also check this address against the selection. */
  readonly contains?: string;
}

/** Everything `relaycheck ranges` prints. JSON-serialisable except `set`. */
export interface RangeSelection {
  readonly format: SourceFormat;
  readonly layout: SourceLayout;
  readonly changeNumber: number | undefined;
  readonly cloud: string | undefined;
  /** Regions asked for, lower-cased. */
  readonly regions: readonly string[];
  /** Tag families asked for. */
  readonly tags: readonly string[];
  readonly aggregated: boolean;
  /** The output: sorted distinct prefixes, or their aggregation when `aggregate`. */
  readonly prefixes: readonly string[];
  /** Per selected tag (or legacy region): its prefixes as in the source. */
  readonly bySource: readonly {
    readonly tag: string | undefined;
    readonly region: string;
    readonly prefixes: readonly string[];
  }[];
  /** Family/region pairs asked for that the source has no tag for. */
  readonly missing: readonly MissingTag[];
  readonly counts: {
    readonly selected: number;
    readonly distinct: number;
    readonly output: number;
    readonly ipv4: number;
    readonly ipv6: number;
  };
  /** U+00A0 replaced in tolerant mode (0 otherwise). */
  readonly nbspReplaced: number;
  readonly warnings: readonly string[];
  readonly containment: Containment | undefined;
  /** The selection itself, for further contains() calls. Not serialised. */
  readonly set: RangeSet;
}

/**
 * Parses a source (JSON or legacy XML, detected), selects regions and tags, optionally
 * aggregates and checks one address. Every failure is a RangesError.
 */
export function selectRanges(
  input: string | Uint8Array | ParsedSource,
  options: SelectRangesOptions,
): RangeSelection {
  const source =
    typeof input === 'string' || input instanceof Uint8Array ? parseSource(input, options) : input;
  const { set, missing } = selectWithReport(source, options);
  const distinct = sortedPrefixes(set);
  const aggregated = options.aggregate === true;
  const output = aggregated ? aggregateSet(set) : distinct;
  const bySource: { tag: string | undefined; region: string; prefixes: string[] }[] = [];
  for (const e of set.entries) {
    const last = bySource[bySource.length - 1];
    if (last !== undefined && last.tag === e.tag && last.region === e.region)
      last.prefixes.push(e.prefix);
    else bySource.push({ tag: e.tag, region: e.region, prefixes: [e.prefix] });
  }
  return Object.freeze({
    format: source.format,
    layout: source.layout,
    changeNumber: source.changeNumber,
    cloud: source.cloud,
    regions: normaliseRegions(options.regions),
    tags: normaliseTags(options.tags),
    aggregated,
    prefixes: output.map(formatCidr),
    bySource,
    missing,
    counts: {
      selected: set.entries.length,
      distinct: distinct.length,
      output: output.length,
      ipv4: output.filter((c) => c.family === 4).length,
      ipv6: output.filter((c) => c.family === 6).length,
    },
    nbspReplaced: source.nbspReplaced,
    warnings: source.warnings,
    containment: options.contains === undefined ? undefined : checkAddress(set, options.contains),
    set,
  });
}

/** The selection without `set`, as a plain JSON-ready object. */
export function selectionToJson(sel: RangeSelection): Record<string, unknown> {
  return Object.fromEntries(Object.entries(sel).filter(([key]) => key !== 'set'));
}

/** One line saying whether the address is allowed and by which prefixes. */
export function formatContainment(c: Containment): string {
  const shownAs = c.checked === c.address ? c.address : `${c.address} (checked as ${c.checked})`;
  if (!c.contained) return `${shownAs} is not in the selected ranges`;
  const by = c.matches.map((m) => `${m.prefix} (${m.tag ?? `region ${m.region}`})`).join(', ');
  return `${shownAs} is in ${by}`;
}

/** `list`: one prefix per line. `json`: the whole selection, two-space indented. */
export function formatSelection(sel: RangeSelection, format: 'list' | 'json'): string {
  if (format === 'json') return `${JSON.stringify(selectionToJson(sel), null, 2)}\n`;
  return sel.prefixes.map((p) => `${p}\n`).join('');
}
