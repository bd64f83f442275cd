// Catalogue of the PDF area (issue 10, security conformance): hostile PDFs. In: nothing.
// Out: the area's cases, in id order.
import { defineCases } from './types';

export const PDF_CASES = defineCases('pdf', []);
