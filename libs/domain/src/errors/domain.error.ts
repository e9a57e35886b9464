/**
 * Base of every typed error a lib throws. `code` is stable and machine-readable; apps map codes to HTTP in one
 * filter. `message` must be safe to show a client: never raw PII, key material or internal paths.
 */
export abstract class DomainError<C extends string = string> extends Error {
  abstract readonly area: string;
  constructor(
    readonly code: C,
    message: string,
    /** Field, line or JSON pointer the error is about, when there is one. */
    readonly target?: string,
    /** Internal detail for logs and audit only; never sent to a client. */
    readonly internalReason?: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}
