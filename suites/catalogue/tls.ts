// Catalogue of the TLS area (issue 10, security conformance): the TLS policy of the relay and the simulator. In: nothing.
// Out: the area's cases, in id order.
import { defineCases } from './types';

export const TLS_CASES = defineCases('tls', []);
