// The published ranges the DNS answers are checked against, through the relay's own range code
// (relay/src/egress). In: a service-tag download (ServiceTags JSON, a tag record or the legacy
// XML) with regions and tag families, or a list of prefixes from the relay config. Out: a
// RangeCheck: for an address, whether the selection holds it, by which prefixes, and, when it
// does not, where the source publishes it instead (explainOutside / formatOutside), so the row
// names the missing range. IP_E_* errors from the egress code pass through unchanged.
import { basename } from 'node:path';
import { parseCidr } from '../../../relay/src/egress/cidr';
import { explainOutside, formatOutside } from '../../../relay/src/egress/explain';
import { selectRangesAndSource } from '../../../relay/src/egress/load';
import { checkAddress, rangeSetOf, type RangeSet } from '../../../relay/src/egress/ranges';
import type { ParsedSource } from '../../../relay/src/egress/source';
import type { RangeCheck, RangeVerdict } from './assess';
import type { RangeMatch } from './report';

export interface SourceSelection {
  readonly source: string;
  readonly regions: readonly string[];
  readonly tags?: readonly string[] | undefined;
  /** Accept the guide's copy-pasted list (non-breaking spaces between markup tokens). */
  readonly tolerant?: boolean;
}

function match(m: { prefix: string; tag: string | undefined; region: string }): RangeMatch {
  return { prefix: m.prefix, tag: m.tag ?? null, region: m.region };
}

function selectionLabel(set: RangeSet, file: string): string {
  const names: string[] = [];
  for (const e of set.entries) {
    const name = e.tag ?? `region ${e.region}`;
    if (!names.includes(name)) names.push(name);
  }
  const shown =
    names.length > 4
      ? `${names.slice(0, 4).join(', ')} and ${names.length - 4} more`
      : names.join(', ');
  const change = set.changeNumber === undefined ? '' : `, change ${set.changeNumber}`;
  return `${shown} of ${basename(file)}${change}`;
}

function checker(
  set: RangeSet,
  label: string,
  outside: (address: string) => Pick<RangeVerdict, 'publishedIn' | 'why'>,
): RangeCheck {
  return Object.freeze({
    label,
    check(address: string): RangeVerdict {
      const c = checkAddress(set, address);
      if (c.contained) {
        return { contained: true, matches: c.matches.map(match), publishedIn: [], why: '' };
      }
      return { contained: false, matches: [], ...outside(c.checked) };
    },
  });
}

/** The selection from a service-tag file, as the relay makes it from egress.ranges.serviceTags. */
export async function rangesFromSource(s: SourceSelection): Promise<RangeCheck> {
  const { selection, source } = await selectRangesAndSource(s.source, {
    regions: s.regions,
    ...(s.tags === undefined ? {} : { tags: s.tags }),
    tolerateNbsp: s.tolerant === true,
  });
  const parsed: ParsedSource = source;
  return checker(selection.set, selectionLabel(selection.set, s.source), (address) => {
    const e = explainOutside(parsed, selection.set, address);
    return {
      publishedIn: e.publishedIn.map((p) => match({ ...p })),
      why: formatOutside(e),
    };
  });
}

/** Explicit prefixes (the relay config's egress.ranges.prefixes). */
export function rangesFromPrefixes(prefixes: readonly string[], where: string): RangeCheck {
  const set = rangeSetOf(prefixes.map((p) => parseCidr(p)));
  const label = `the ${prefixes.length} prefixes of ${where}`;
  return checker(set, label, () => ({ publishedIn: [], why: `(${label})` }));
}
