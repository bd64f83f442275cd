// Catalogue of the XML area (issue 10, security conformance): hostile XML bodies. In: nothing.
// Out: the area's cases, in id order.
import { defineCases } from './types';

export const XML_CASES = defineCases('xml', []);
