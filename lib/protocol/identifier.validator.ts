import { TalktoEnvelopeFieldError } from './errors/envelope-field.error.js';

/** Raw bytes stand in for values JS strings cannot hold (invalid UTF-8 from the wire). */
export type IdentifierInput = string | Uint8Array;

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
// eslint-disable-next-line no-control-regex -- C0 controls are exactly what the rule forbids
const FORBIDDEN = /[\u0000-\u001F\u007F\u2028\u2029]/;

const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;

/** Text that passes the rule whatever else is checked: the common case, answered by one test. */
export function isPrintableAscii(value: string): boolean {
  return PRINTABLE_ASCII.test(value);
}

/**
 * Decodes an identifier to text, or throws the identifier-rule failure for `field` (§7.1).
 * UTF-8 validity is judged before forbidden characters, as PHP does. Anything that is not a
 * string or byte array fails as `type`.
 */
export function identifierText(value: unknown, field: string): string {
  let text: string;
  if (typeof value === 'string' && isPrintableAscii(value)) {
    return value;
  }
  if (typeof value === 'string') {
    if (LONE_SURROGATE.test(value)) {
      throw new TalktoEnvelopeFieldError(field, 'invalid_utf8');
    }
    text = value;
  } else if (value instanceof Uint8Array) {
    try {
      text = strictUtf8.decode(value);
    } catch {
      throw new TalktoEnvelopeFieldError(field, 'invalid_utf8');
    }
  } else {
    throw new TalktoEnvelopeFieldError(field, 'type');
  }
  if (FORBIDDEN.test(text)) {
    throw new TalktoEnvelopeFieldError(field, 'control_character');
  }
  return text;
}

/** Throws `TalktoEnvelopeFieldError` when `value` breaks the identifier rule (§7.1). */
export function validateIdentifier(value: IdentifierInput, field: string): void {
  identifierText(value, field);
}

/** Same as `validateIdentifier`, but `null`/`undefined` (an absent optional field) passes. */
export function validateNullableIdentifier(value: unknown, field: string): void {
  if (value !== null && value !== undefined) {
    identifierText(value, field);
  }
}

/**
 * Free-text fields the receiver stores (`business_key`, `idempotency_key`) are outside the
 * identifier rule (§7.1), but a NUL cannot be stored faithfully everywhere (PostgreSQL refuses it
 * in text): it is refused on every engine alike, naming the field.
 */
export function validateStorableText(value: unknown, field: string): void {
  if (typeof value === 'string' && value.includes('\u0000')) {
    throw new TalktoEnvelopeFieldError(field, 'nul_character');
  }
}
