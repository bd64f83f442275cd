// Catalogue of the AV area (issue 10, security conformance): antivirus scanning with a real ClamAV. In: nothing.
// Out: the area's cases, in id order.
import { defineCases } from './types';

export const AV_CASES = defineCases('av', []);
