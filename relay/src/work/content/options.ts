// Validation of the content checks' options at the edge. In: a zod schema and untrusted input.
// Out: the parsed options, frozen and remembered, so that passing them again costs nothing; or a
// RELAY_E_CONTENT_CONFIG error naming the first offending field.
import type { z } from 'zod';
import { RelayContentError } from './errors';

const parsed = new WeakSet<object>();

/** Parses `input` with `schema` (skipped when `input` came out of here already). */
export function parseContentOptions<S extends z.ZodType<object>>(
  schema: S,
  input: unknown,
  what: string,
): Readonly<z.output<S>> {
  if (typeof input === 'object' && input !== null && parsed.has(input)) {
    return input as Readonly<z.output<S>>;
  }
  const r = schema.safeParse(input ?? {});
  if (!r.success) {
    const issue = r.error.issues[0];
    const path = issue?.path.map(String).join('.') ?? '';
    throw new RelayContentError(
      'RELAY_E_CONTENT_CONFIG',
      `${what} option ${path || '(top level)'}: ${issue?.message ?? 'invalid'}`,
      { path },
    );
  }
  const options = Object.freeze(r.data);
  parsed.add(options);
  return options;
}
