/**
 * Base of every error the library raises on purpose. `code` is stable and safe to match on;
 * `field` names the logical field at fault when there is one. Messages never carry secrets,
 * nonces or payload values.
 */
export abstract class TalktoError extends Error {
  abstract readonly code: string;
  readonly field?: string;

  protected constructor(message: string, field?: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    if (field !== undefined) {
      this.field = field;
    }
  }
}
