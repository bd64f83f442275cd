// Catalogue of the ENV area (CASES.md). In: nothing. Out: the area's cases, in id order.
import { defineCases } from './types';

export const ENV_CASES = defineCases('env', []);
