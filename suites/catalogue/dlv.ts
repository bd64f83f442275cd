// Catalogue of the DLV area (CASES.md): delivery from Service Bus to the back office, at least
// once with exactly-once effect. In: nothing. Out: the area's cases, in id order.
import { defineCases } from './types';

export const DLV_CASES = defineCases('dlv', []);
