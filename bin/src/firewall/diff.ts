// What changed between two downloads of the ranges. In: two parsed sources (ServiceTags JSON,
// a tag record or the legacy XML; read and parsed by relay/src/egress), the regions (default:
// every region either names) and tag families (default AzureCloud). Out: per tag family and
// region, the addresses added and removed as the fewest prefixes, and the same for the whole
// selection (what the generated rules would change), compared by address: a prefix split or
// merged without a change of addresses is no change. Rendered as text or JSON. No IO.
import {
  RangesError,
  formatCidr,
  isRangesError,
  selectRanges,
  tagFamily,
  type Cidr,
  type ParsedSource,
} from '../../../relay/src/egress';
import { describeSource, safeText } from './header';
import { intervalsToCidrs, subtractIntervals, toIntervals } from './intervals';
import type { SourceInfo } from './rules';

export interface DiffOptions {
  /** Region names, any case; undefined: every region either source names for the tags. */
  readonly regions?: readonly string[];
  /** Tag families; default ["AzureCloud"]. */
  readonly tags?: readonly string[];
}

export interface DiffSide {
  readonly info: SourceInfo;
  readonly source: ParsedSource;
}

/** One tag family in one region. */
export interface GroupDiff {
  readonly family: string;
  readonly region: string;
  /** The tags it came from on each side ("AzureCloud.uksouth"; "region uksouth" for XML). */
  readonly oldTags: readonly string[];
  readonly newTags: readonly string[];
  /** Distinct prefixes as published on each side (0 when the side lacks the group). */
  readonly oldPrefixes: number;
  readonly newPrefixes: number;
  readonly added: readonly string[];
  readonly removed: readonly string[];
}

export interface FirewallDiff {
  readonly old: SourceInfo;
  readonly new: SourceInfo;
  readonly regions: readonly string[];
  readonly tags: readonly string[];
  readonly groups: readonly GroupDiff[];
  /** The whole selection: what the generated rules would gain and lose. */
  readonly added: readonly string[];
  readonly removed: readonly string[];
  readonly changed: boolean;
}

interface Group {
  family: string;
  region: string;
  tags: Set<string>;
  cidrs: Cidr[];
}

function families(tags: readonly string[] | undefined): string[] {
  return tags === undefined || tags.length === 0 ? ['AzureCloud'] : [...tags];
}

/** Lower-cased regions the source names for one of the families. */
function regionsOf(source: ParsedSource, fams: readonly string[]): Set<string> {
  const wanted = new Set(fams.map((f) => f.toLowerCase()));
  return new Set(
    source.groups
      .filter((g) => g.region !== '' && wanted.has(g.family.toLowerCase()))
      .map((g) => g.region.toLowerCase()),
  );
}

function groupsOf(
  side: DiffSide,
  regions: readonly string[],
  fams: readonly string[],
): Map<string, Group> {
  const out = new Map<string, Group>();
  const known = regionsOf(side.source, fams);
  const here = regions.filter((r) => known.has(r));
  if (here.length === 0) return out;
  let entries;
  try {
    entries = selectRanges(side.source, { regions: here, tags: fams }).set.entries;
  } catch (e) {
    if (isRangesError(e, 'IP_E_EMPTY')) return out;
    throw e;
  }
  for (const e of entries) {
    const family = e.tag === undefined ? 'AzureCloud' : tagFamily(e.tag);
    const region = e.region.toLowerCase();
    const key = `${family.toLowerCase()} ${region}`;
    const g = out.get(key) ?? { family, region, tags: new Set<string>(), cidrs: [] };
    g.tags.add(e.tag ?? `region ${e.region}`);
    g.cidrs.push(e.cidr);
    out.set(key, g);
  }
  return out;
}

function difference(from: readonly Cidr[], minus: readonly Cidr[]): string[] {
  return intervalsToCidrs(subtractIntervals(toIntervals(from), toIntervals(minus))).map(formatCidr);
}

function distinct(cidrs: readonly Cidr[]): number {
  return new Set(cidrs.map(formatCidr)).size;
}

/**
 * The diff of two sources. Throws RangesError: IP_E_REGION (a region neither names),
 * IP_E_TAG (a family a side cannot hold, e.g. ServiceBus from the legacy XML), IP_E_OPTION.
 */
export function diffSources(
  oldSide: DiffSide,
  newSide: DiffSide,
  options: DiffOptions = {},
): FirewallDiff {
  const fams = families(options.tags);
  for (const side of [oldSide, newSide]) {
    if (side.source.layout === 'legacy-xml' && fams.some((f) => f.toLowerCase() !== 'azurecloud')) {
      // The selection's own refusal (IP_E_TAG: the legacy XML has no service tags); it checks
      // the tags of a legacy source before it looks at the region.
      selectRanges(side.source, { regions: ['any'], tags: fams });
    }
  }
  const known = new Set([...regionsOf(oldSide.source, fams), ...regionsOf(newSide.source, fams)]);
  let regions: string[];
  if (options.regions === undefined) {
    regions = [...known].sort();
  } else {
    regions = [...new Set(options.regions.map((r) => r.trim().toLowerCase()))];
    const unknown = regions.find((r) => r === '' || !known.has(r));
    if (unknown !== undefined) {
      throw new RangesError(
        'IP_E_REGION',
        `region "${unknown}" appears in neither source for ${fams.join(', ')} (they name: ${[...known].sort().join(', ') || 'no region'})`,
        { region: unknown },
      );
    }
  }
  if (regions.length === 0) {
    throw new RangesError('IP_E_REGION', `neither source names a region for ${fams.join(', ')}`);
  }
  const before = groupsOf(oldSide, regions, fams);
  const after = groupsOf(newSide, regions, fams);
  const keys = [...new Set([...before.keys(), ...after.keys()])].sort();
  const groups: GroupDiff[] = keys.map((key) => {
    const o = before.get(key);
    const n = after.get(key);
    const oc = o?.cidrs ?? [];
    const nc = n?.cidrs ?? [];
    return {
      family: (n ?? o)?.family ?? '',
      region: (n ?? o)?.region ?? '',
      oldTags: [...(o?.tags ?? [])],
      newTags: [...(n?.tags ?? [])],
      oldPrefixes: distinct(oc),
      newPrefixes: distinct(nc),
      added: difference(nc, oc),
      removed: difference(oc, nc),
    };
  });
  const allOld = [...before.values()].flatMap((g) => g.cidrs);
  const allNew = [...after.values()].flatMap((g) => g.cidrs);
  const added = difference(allNew, allOld);
  const removed = difference(allOld, allNew);
  return {
    old: oldSide.info,
    new: newSide.info,
    regions,
    tags: fams,
    groups,
    added,
    removed,
    changed:
      added.length > 0 ||
      removed.length > 0 ||
      groups.some((g) => g.added.length + g.removed.length > 0),
  };
}

/** The diff as a JSON-ready object. */
export function diffToJson(d: FirewallDiff): Record<string, unknown> {
  const side = (s: SourceInfo) => ({
    file: s.file,
    sourceFormat: s.layout,
    changeNumber: s.changeNumber ?? null,
    cloud: s.cloud ?? null,
  });
  return {
    old: side(d.old),
    new: side(d.new),
    regions: d.regions,
    tags: d.tags,
    changed: d.changed,
    groups: d.groups,
    selection: { added: d.added, removed: d.removed },
    counts: {
      added: d.added.length,
      removed: d.removed.length,
      groupsChanged: d.groups.filter((g) => g.added.length + g.removed.length > 0).length,
    },
  };
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 'es'}`;
}

/** The diff for a person reviewing the weekly download. */
export function formatDiffText(d: FirewallDiff): string {
  const lines = [
    'relaycheck firewall diff (addresses compared, not spellings)',
    `old: ${safeText(d.old.file)} (${describeSource(d.old)})`,
    `new: ${safeText(d.new.file)} (${describeSource(d.new)})`,
    `regions: ${d.regions.join(', ')}; tags: ${d.tags.join(', ')}`,
    '',
  ];
  for (const g of d.groups) {
    const name = `${g.family} ${g.region}`;
    const sides = `old ${g.oldTags.length === 0 ? 'absent' : `${g.oldTags.join(', ')}: ${plural(g.oldPrefixes, 'prefix')}`}; new ${g.newTags.length === 0 ? 'absent' : `${g.newTags.join(', ')}: ${plural(g.newPrefixes, 'prefix')}`}`;
    if (g.added.length === 0 && g.removed.length === 0) {
      lines.push(`${name}: unchanged (${sides})`);
      continue;
    }
    lines.push(`${name}: ${g.added.length} added, ${g.removed.length} removed (${sides})`);
    for (const p of g.added) lines.push(`  + ${p}`);
    for (const p of g.removed) lines.push(`  - ${p}`);
  }
  lines.push('');
  if (!d.changed) {
    lines.push('the selection is unchanged: the generated rules would allow the same addresses');
  } else if (d.added.length === 0 && d.removed.length === 0) {
    lines.push(
      'the selection as a whole is unchanged (addresses moved between regions or tags): the generated rules would allow the same addresses',
    );
  } else {
    lines.push(
      `the selection: ${plural(d.added.length, 'prefix')} added, ${plural(d.removed.length, 'prefix')} removed (aggregated): regenerate the rules and review them`,
    );
  }
  return `${lines.join('\n')}\n`;
}
