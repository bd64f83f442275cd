// Catalogue of the SAS area (CASES.md). In: nothing. Out: the area's cases, in id order.
import { defineCases } from './types';

export const SAS_CASES = defineCases('sas', []);
