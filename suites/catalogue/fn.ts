// Catalogue of the FN area (issue 10, security conformance): hostile file names in the metadata of dropped files. In: nothing.
// Out: the area's cases, in id order.
import { defineCases } from './types';

export const FN_CASES = defineCases('fn', []);
