// One way to validate the messaging parts' options. In: a zod schema, untrusted input and the
// typed error to raise. Out: the parsed value, or that error naming the first offending field
// (`entities.requests: ...`, or `(top level)`).
import type { z } from 'zod';

/** Parses `input` with `schema`; on failure throws `fail(path, message)`. */
export function parseOptions<S extends z.ZodType>(
  schema: S,
  input: unknown,
  fail: (path: string, message: string) => Error,
): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const path = (issue?.path ?? []).map(String).join('.') || '(top level)';
  throw fail(path, `${path}: ${issue?.message ?? 'invalid'}`);
}
