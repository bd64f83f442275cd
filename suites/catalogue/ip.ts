// Catalogue of the IP area (CASES.md). In: nothing. Out: the area's cases, in id order.
import { defineCases } from './types';

export const IP_CASES = defineCases('ip', []);
