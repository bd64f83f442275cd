// Chooses the cases of a run. In: the catalogue and the user's filters (area, include and
// exclude globs). Out: the selected cases, in id order. Pure.
import type { Area, Case } from '../catalogue';

/** A case-id glob: `*` matches any run of characters, `?` one character; case-insensitive. */
export function globToRegExp(glob: string): RegExp {
  const body = glob
    .split('')
    .map((ch) => (ch === '*' ? '.*' : ch === '?' ? '.' : ch.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`^${body}$`, 'i');
}

export interface Selection {
  readonly areas?: readonly Area[];
  readonly include?: readonly string[];
  readonly exclude?: readonly string[];
}

/** The cases that pass every filter of `selection`. */
export function selectCases(catalogue: readonly Case[], selection: Selection): Case[] {
  const include = (selection.include ?? []).map(globToRegExp);
  const exclude = (selection.exclude ?? []).map(globToRegExp);
  return catalogue.filter(
    (c) =>
      (selection.areas === undefined ||
        selection.areas.length === 0 ||
        selection.areas.includes(c.area)) &&
      (include.length === 0 || include.some((re) => re.test(c.id))) &&
      !exclude.some((re) => re.test(c.id)),
  );
}
