// The shape of a conformance case (CASES.md). In: nothing. Out: the Case type and the
// helpers that validate a catalogue table at load time.

export const AREAS = [
  'hs',
  'env',
  'sas',
  'ip',
  'sb',
  'hc',
  'port',
  'route',
  'dlv',
  'xml',
  'pdf',
  'fn',
  'tls',
  'av',
  'sec',
  'fault',
] as const;
export type Area = (typeof AREAS)[number];

export const LEVELS = ['must', 'should'] as const;
export type Level = (typeof LEVELS)[number];

export const PROFILES = ['default', 'min-spec'] as const;
export type Profile = (typeof PROFILES)[number];

/** One catalogued requirement. `id` is AREA-NNN, stable forever, never reused. */
export interface Case {
  readonly id: string;
  readonly area: Area;
  readonly title: string;
  readonly requirement: string;
  readonly source: string;
  readonly level: Level;
  readonly profiles: readonly Profile[];
  /**
   * True when the case also runs against a relay relaycheck did not write (`relaycheck run
   * --relay external`): it drives the relay only from the tenant's side and reads only the
   * far ends (namespace, back office), never the reference relay's own events or config.
   */
  readonly external?: boolean;
  /**
   * True when the case also runs against the council's own namespaces (`relaycheck run --target
   * azure`): it drives the reference relay from the tenant's side through the namespaces and
   * reads only the relay's own events, the tenant and the back office — never the simulator's
   * hooks, its network model, firewall or faults, which a real namespace does not have.
   */
  readonly azure?: boolean;
}

const ID = /^([A-Z]{2,6})-(\d{3})$/;

/** Checks a table of cases for one area and freezes it; throws on a malformed entry. */
export function defineCases(area: Area, cases: readonly Omit<Case, 'area'>[]): readonly Case[] {
  const prefix = area.toUpperCase();
  const seen = new Set<string>();
  return Object.freeze(
    cases.map((c) => {
      const m = ID.exec(c.id);
      if (m?.[1] !== prefix) throw new Error(`case id ${c.id} is not of the form ${prefix}-NNN`);
      if (seen.has(c.id)) throw new Error(`case id ${c.id} is declared twice`);
      seen.add(c.id);
      for (const field of ['title', 'requirement', 'source'] as const) {
        if (c[field].trim() === '') throw new Error(`case ${c.id} has an empty ${field}`);
      }
      return Object.freeze({ ...c, area });
    }),
  );
}
