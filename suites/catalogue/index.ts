// The whole conformance catalogue. In: the per-area tables. Out: every case in id order,
// and look-ups by id and area. `suites/catalogue-sync.test.ts` keeps it in step with the
// test files: every id has exactly one test and every test names a catalogued id.
import type { Area, Case } from './types';
import { HS_CASES } from './hs';
import { ENV_CASES } from './env';
import { SAS_CASES } from './sas';
import { IP_CASES } from './ip';
import { SB_CASES } from './sb';
import { HC_CASES } from './hc';
import { PORT_CASES } from './port';
import { ROUTE_CASES } from './route';
import { DLV_CASES } from './dlv';
import { XML_CASES } from './xml';
import { PDF_CASES } from './pdf';
import { FN_CASES } from './fn';
import { TLS_CASES } from './tls';
import { AV_CASES } from './av';
import { SEC_CASES } from './sec';
import { FAULT_CASES } from './fault';

export type { Area, Case, Level, Profile } from './types';
export { AREAS } from './types';

export const CATALOGUE: readonly Case[] = Object.freeze(
  [
    ...HS_CASES,
    ...ENV_CASES,
    ...SAS_CASES,
    ...IP_CASES,
    ...SB_CASES,
    ...HC_CASES,
    ...PORT_CASES,
    ...ROUTE_CASES,
    ...DLV_CASES,
    ...XML_CASES,
    ...PDF_CASES,
    ...FN_CASES,
    ...TLS_CASES,
    ...AV_CASES,
    ...SEC_CASES,
    ...FAULT_CASES,
  ].sort((a, b) => a.id.localeCompare(b.id)),
);

const BY_ID = new Map(CATALOGUE.map((c) => [c.id, c]));

/** The catalogued case with this id, or undefined. */
export function findCase(id: string): Case | undefined {
  return BY_ID.get(id);
}

/** Cases of one area, in id order. */
export function casesOf(area: Area): readonly Case[] {
  return CATALOGUE.filter((c) => c.area === area);
}
