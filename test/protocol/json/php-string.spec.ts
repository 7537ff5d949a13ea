import { describe, expect, it } from '@jest/globals';

import { TalktoJsonEncodeError } from '../../../lib/protocol/errors/json-encode.error.js';
import { encodePhpString, isWellFormedString } from '../../../lib/protocol/json/php-string.js';

describe('encodePhpString', () => {
  it('uses short escapes for quote, backslash and the five JSON control shorthands', () => {
    expect(encodePhpString('"\\\b\f\n\r\t')).toBe('"\\"\\\\\\b\\f\\n\\r\\t"');
  });

  it('writes other C0 controls as lowercase \\u00xx', () => {
    expect(encodePhpString('\u0000\u0001\u000b\u001b\u001f')).toBe('"\\u0000\\u0001\\u000b\\u001b\\u001f"');
  });

  it('escapes U+2028 and U+2029 although other non-ASCII stays raw', () => {
    expect(encodePhpString('a\u2028b\u2029c')).toBe('"a\\u2028b\\u2029c"');
  });

  it('leaves slashes, DEL, C1 controls, HTML characters, non-ASCII and emoji raw', () => {
    const raw = "a/b \u007f\u0085 <>&' é 中 😀";
    expect(encodePhpString(raw)).toBe(`"${raw}"`);
  });

  it('refuses an unpaired surrogate, which has no UTF-8 form', () => {
    expect(() => encodePhpString('x\ud800')).toThrow(TalktoJsonEncodeError);
    expect(() => encodePhpString('\udc00x')).toThrow(TalktoJsonEncodeError);
  });

  it('tells well-formed strings from ones with lone surrogates', () => {
    expect(isWellFormedString('😀')).toBe(true);
    expect(isWellFormedString('\ud83d')).toBe(false);
    expect(isWellFormedString('\ude00\ud83d')).toBe(false);
  });
});
