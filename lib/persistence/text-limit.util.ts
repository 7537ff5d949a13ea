import { TALKTO_TEXT_LIMIT } from './persistence.constants.js';

/** Width of the status columns (`destination_action_status` and the others). */
export const STATUS_TEXT_LIMIT = 80;

/**
 * Text from outside (a peer's answer, an exception message) as every engine stores it: a NUL,
 * which PostgreSQL refuses in text, and an unpaired surrogate, which no UTF-8 column holds, both
 * become U+FFFD. Invalid UTF-8 bytes were replaced the same way when the bytes were decoded.
 */
export function storableText(text: string): string {
  return text.replace(UNSTORABLE, '\uFFFD');
}

// eslint-disable-next-line no-control-regex -- NUL is exactly what must not be stored
const UNSTORABLE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/**
 * Cuts stored error and response text to the column budget (BEHAVIOR §4.4), made storable
 * (`storableText`, so half a surrogate pair left by the cut becomes U+FFFD too).
 */
export function limitText(text: string | null | undefined, limit = TALKTO_TEXT_LIMIT): string | null {
  if (text === null || text === undefined) {
    return null;
  }
  return storableText(text.length > limit ? text.slice(0, limit) : text);
}
