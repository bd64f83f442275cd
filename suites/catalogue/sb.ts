// Catalogue of the SB area (CASES.md): the simulated Service Bus namespace, driven only
// through the real @azure/service-bus SDK. In: nothing. Out: the area's cases, in id order.
import { defineCases } from './types';

export const SB_CASES = defineCases('sb', []);
