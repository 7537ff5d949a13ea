import { TalktoJsonEncodeError } from '../errors/json-encode.error.js';

// JSON.stringify already writes what PHP writes for `"`, `\\`, C0 controls (short forms, else
// lowercase `\u00xx`), `/`, DEL and non-ASCII; only U+2028/U+2029 still need escaping.
const LINE_SEPARATORS = /[\u2028\u2029]/g;

/** True when the string has no unpaired UTF-16 surrogate, i.e. it has a UTF-8 form. */
export function isWellFormedString(value: string): boolean {
  // Native since Node 20 (ES2024); typed here because the project's lib is ES2022.
  return (value as string & { isWellFormed(): boolean }).isWellFormed();
}

/**
 * A JSON string literal the way PHP writes it with JSON_UNESCAPED_UNICODE | JSON_UNESCAPED_SLASHES:
 * `"` `\` and C0 controls escaped (short forms where JSON has them, else lowercase `\u00xx`),
 * U+2028/U+2029 escaped, everything else (`/`, DEL, non-ASCII, emoji) raw.
 */
export function encodePhpString(value: string): string {
  if (isPlainText(value)) {
    return `"${value}"`;
  }
  if (!isWellFormedString(value)) {
    throw new TalktoJsonEncodeError('invalid_utf8');
  }
  const json = JSON.stringify(value);
  return json.includes('\u2028') || json.includes('\u2029')
    ? json.replace(LINE_SEPARATORS, (char) => (char === '\u2028' ? '\\u2028' : '\\u2029'))
    : json;
}

/** Nothing to escape and no surrogate to check: the common case for keys and short values. */
function isPlainText(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (
      c < 0x20 ||
      c === 0x22 ||
      c === 0x5c ||
      c === 0x2028 ||
      c === 0x2029 ||
      (c >= 0xd800 && c <= 0xdfff)
    ) {
      return false;
    }
  }
  return true;
}
