import { TalktoJsonEncodeError } from '../errors/json-encode.error.js';

const SHORT_ESCAPES: Record<string, string> = {
  '"': '\\"',
  '\\': '\\\\',
  '\b': '\\b',
  '\f': '\\f',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
  '\u2028': '\\u2028',
  '\u2029': '\\u2029',
};
// eslint-disable-next-line no-control-regex -- C0 controls are exactly what must be escaped
const TO_ESCAPE = /["\\\u0000-\u001f\u2028\u2029]/;
// eslint-disable-next-line no-control-regex -- as above
const TO_ESCAPE_ALL = /["\\\u0000-\u001f\u2028\u2029]/g;
// With the `u` flag a well-formed surrogate pair is one code point, so only lone halves match.
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;

function escapeChar(char: string): string {
  return SHORT_ESCAPES[char] ?? `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`;
}

/** True when the string has no unpaired UTF-16 surrogate, i.e. it has a UTF-8 form. */
export function isWellFormedString(value: string): boolean {
  return !LONE_SURROGATE.test(value);
}

/**
 * A JSON string literal the way PHP writes it with JSON_UNESCAPED_UNICODE | JSON_UNESCAPED_SLASHES:
 * `"` `\` and C0 controls escaped (short forms where JSON has them, else lowercase `\u00xx`),
 * U+2028/U+2029 escaped, everything else (`/`, DEL, non-ASCII, emoji) raw.
 */
export function encodePhpString(value: string): string {
  if (!isWellFormedString(value)) {
    throw new TalktoJsonEncodeError('invalid_utf8');
  }
  if (!TO_ESCAPE.test(value)) {
    return `"${value}"`;
  }
  return `"${value.replace(TO_ESCAPE_ALL, escapeChar)}"`;
}
