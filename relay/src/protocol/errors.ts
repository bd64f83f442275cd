// The typed error catalogue's base. In: a stable code and a message. Out: an Error that
// carries its code, its wire rendering hints (HTTP status, AMQP condition) and safe details.
// Every family of codes is declared with defineErrors() so that `docs/errors.md` can be
// checked against the full list (see relay/test/error-catalogue.test.ts).

/** What a code means and how it is rendered on the wire. */
export interface ErrorSpec {
  /** One line: what went wrong, in words a council's integration team understands. */
  readonly summary: string;
  /** HTTP status used when this error is answered over HTTP. */
  readonly http?: number;
  /** AMQP error condition used when this error is answered over AMQP. */
  readonly amqp?: string;
}

/** Details attached to an error. Never put secrets here: they reach logs and reports. */
export type ErrorDetails = Readonly<Record<string, string | number | boolean | undefined>>;

/** Base class of every error relaycheck raises on purpose. */
export class RelaycheckError extends Error {
  readonly code: string;
  readonly http: number | undefined;
  readonly amqp: string | undefined;
  readonly details: ErrorDetails;

  constructor(code: string, spec: ErrorSpec, message: string, details: ErrorDetails = {}) {
    super(message);
    this.name = new.target.name;
    this.code = code;
    this.http = spec.http;
    this.amqp = spec.amqp;
    this.details = details;
  }
}

/** A family of error codes: the table of specs plus the typed class that raises them. */
export interface ErrorFamily<C extends string> {
  readonly name: string;
  readonly specs: Readonly<Record<C, ErrorSpec>>;
  readonly codes: readonly C[];
}

/** Declares a family of codes. The returned object is frozen and lists its codes in order. */
export function defineErrors<C extends string>(
  name: string,
  specs: Record<C, ErrorSpec>,
): ErrorFamily<C> {
  const codes = Object.keys(specs) as C[];
  return Object.freeze({ name, specs: Object.freeze({ ...specs }), codes: Object.freeze(codes) });
}

/**
 * The base class of one family's typed error, so that each family declares only its name:
 * `export class SasError extends familyError(SAS_ERRORS) {}`. Its `code` is typed as one of
 * the family's codes and its wire rendering comes from the family's spec for that code.
 */
export function familyError<C extends string>(family: ErrorFamily<C>) {
  return class extends RelaycheckError {
    declare readonly code: C;

    constructor(code: C, message: string, details: ErrorDetails = {}) {
      super(code, family.specs[code], message, details);
    }
  };
}

/** True when `e` is a RelaycheckError: a typed error with a catalogued code. */
export function isRelaycheckError(e: unknown): e is RelaycheckError {
  return e instanceof RelaycheckError;
}
