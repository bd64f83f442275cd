// Catalogue of the SEC area (issue 10, security conformance): envelope, tokens, replay, secrets and exposure at system level. In: nothing.
// Out: the area's cases, in id order.
import { defineCases } from './types';

export const SEC_CASES = defineCases('sec', []);
