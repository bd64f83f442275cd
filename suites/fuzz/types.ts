// The contract between a fuzz target and `npm run fuzz`. In: nothing. Out: the FuzzTarget
// type. A target parses one generated input; it may return anything or throw a
// RelaycheckError (a typed, catalogued refusal). Any other exception is a finding.
import type fc from 'fast-check';

export interface FuzzTarget<T = unknown> {
  /** Short name shown in the fuzz report, e.g. "handshake HELLO". */
  readonly name: string;
  /** Inputs: mostly hostile or malformed, some valid (so the deep paths are reached). */
  readonly arbitrary: fc.Arbitrary<T>;
  /** Parses one input. Must be synchronous and must not do IO. */
  run(input: T): unknown;
}
