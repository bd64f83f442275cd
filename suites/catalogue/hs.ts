// Catalogue of the HS area (CASES.md). In: nothing. Out: the area's cases, in id order.
import { defineCases } from './types';

export const HS_CASES = defineCases('hs', []);
