import { describe, expect, it } from '@jest/globals';

import { TalktoJsonDecodeError } from '../../../lib/protocol/errors/json-decode.error.js';
import { decodeTalktoJson, PHP_DECODE_MAX_NESTING } from '../../../lib/protocol/json/json-reader.js';
import { PhpArray } from '../../../lib/protocol/json/php-value.js';

function decodeMap(text: string): PhpArray {
  const value = decodeTalktoJson(text);
  if (!(value instanceof PhpArray)) {
    throw new Error('expected an array');
  }
  return value;
}

function failure(input: string | Uint8Array, options?: { rejectNulPropertyNames?: boolean }): string {
  try {
    decodeTalktoJson(input, options);
  } catch (error) {
    if (error instanceof TalktoJsonDecodeError) {
      expect(error.code).toBe('invalid_json');
      return error.reason;
    }
    throw error;
  }
  throw new Error('expected a decode error');
}

const nested = (levels: number): string => '['.repeat(levels) + ']'.repeat(levels);

describe('decodeTalktoJson numbers', () => {
  it.each([
    ['0', 0n],
    ['-0', 0n],
    ['42', 42n],
    ['-17', -17n],
    ['9007199254740993', 9007199254740993n],
    ['9223372036854775807', 9223372036854775807n],
    ['-9223372036854775808', -9223372036854775808n],
  ])('reads the integer literal %s as a PHP int', (text, expected) => {
    expect(decodeTalktoJson(text)).toBe(expected);
  });

  it.each([
    ['9223372036854775808', 9223372036854775808],
    ['-9223372036854775809', -(2 ** 63)],
    ['18446744073709551616', 18446744073709551616],
    ['123456789012345678901234567890', 1.2345678901234568e29],
    ['1.0', 1],
    ['1e2', 100],
    ['1E+2', 100],
    ['2.5e-3', 0.0025],
  ])('reads %s as a PHP float (fraction, exponent or beyond int64)', (text, expected) => {
    const value = decodeTalktoJson(text);
    expect(typeof value).toBe('number');
    expect(value).toBe(expected);
  });

  it('keeps the sign of the float -0.0 but not of the int -0', () => {
    expect(Object.is(decodeTalktoJson('-0.0'), -0)).toBe(true);
    expect(decodeTalktoJson('-0')).toBe(0n);
  });

  it('lets huge exponents overflow to infinity like PHP does', () => {
    expect(decodeTalktoJson('1e400')).toBe(Infinity);
    expect(decodeTalktoJson('-1e999')).toBe(-Infinity);
  });

  it.each(['01', '-', '+1', '1.', '.5', '1e', '1e+', '0x10', 'NaN', 'Infinity', '-01'])(
    'refuses the malformed number %s',
    (text) => {
      expect(failure(text)).toBe('syntax');
    },
  );
});

describe('decodeTalktoJson objects and arrays', () => {
  it('decodes {} and [] alike, as an empty PHP array', () => {
    expect(decodeMap('{}').size).toBe(0);
    expect(decodeMap('[]').isList()).toBe(true);
  });

  it('normalizes canonical integer keys and keeps all other keys as strings, in wire order', () => {
    const map = decodeMap('{"10":1,"01":2,"-5":3,"-0":4,"1.0":5," 1":6,"9223372036854775808":7,"x":8}');
    expect(map.keys()).toEqual([10n, '01', -5n, '-0', '1.0', ' 1', '9223372036854775808', 'x']);
  });

  it('keeps the first position and the last value of a duplicated key', () => {
    const map = decodeMap('{"a":1,"b":2,"a":3}');
    expect([...map.entries()]).toEqual([
      ['a', 3n],
      ['b', 2n],
    ]);
  });

  it('treats "1" and 1 as the same key when duplicated', () => {
    const map = decodeMap('{"1":"x","0":"y","1":"z"}');
    expect([...map.entries()]).toEqual([
      [1n, 'z'],
      [0n, 'y'],
    ]);
  });

  it('keeps __proto__ as an ordinary key', () => {
    const map = decodeMap('{"__proto__":{"polluted":true},"b":1}');
    expect(map.keys()).toEqual(['__proto__', 'b']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('detects lists from keys: in-order 0..n-1 objects are lists, others are not', () => {
    expect(decodeMap('{"0":"a","1":"b"}').isList()).toBe(true);
    expect(decodeMap('{"1":"a","0":"b"}').isList()).toBe(false);
    expect(decodeMap('[1,[2],{"a":null}]').values()[2]).toBeInstanceOf(PhpArray);
  });

  it('accepts JSON whitespace between tokens and around the document', () => {
    expect(decodeMap(' \t\r\n{ "a" : [ 1 , 2 ] } \n').keys()).toEqual(['a']);
  });

  it.each([
    '{"a":1,}',
    '[1,]',
    '{"a" 1}',
    '{a:1}',
    "{'a':1}",
    '[1 2]',
    '{"a":1}x',
    '{"a":1}}',
    '[',
    '{"a":',
    'tru',
    'nul',
  ])('refuses the malformed document %s', (text) => {
    expect(failure(text)).toBe('syntax');
  });

  it('refuses empty and whitespace-only input', () => {
    expect(failure('')).toBe('empty');
    expect(failure(new Uint8Array())).toBe('empty');
    expect(failure(' \n\t')).toBe('syntax');
  });

  it('refuses a leading byte order mark', () => {
    expect(failure(new Uint8Array([0xef, 0xbb, 0xbf, 0x7b, 0x7d]))).toBe('syntax');
    expect(failure('\ufeff{}')).toBe('syntax');
  });
});

describe('decodeTalktoJson depth', () => {
  it(`accepts ${PHP_DECODE_MAX_NESTING} nested levels and refuses one more`, () => {
    expect(decodeTalktoJson(nested(511))).toBeInstanceOf(PhpArray);
    expect(failure(nested(512))).toBe('depth');
  });

  it('counts objects and arrays alike', () => {
    const mixed = (levels: number): string => '{"a":['.repeat(levels / 2) + ']}'.repeat(levels / 2);
    expect(decodeTalktoJson(mixed(510))).toBeInstanceOf(PhpArray);
    expect(failure(mixed(512))).toBe('depth');
  });

  it('can be allowed one level more to read back what PHP encodes', () => {
    expect(decodeTalktoJson(nested(512), { maxNesting: 512 })).toBeInstanceOf(PhpArray);
  });
});

describe('decodeTalktoJson strings', () => {
  it('resolves every escape, including a surrogate pair', () => {
    const text = String.raw`"\"\\\/\b\f\n\r\t\u00e9\u4E2D\ud83d\ude00"`;
    expect(decodeTalktoJson(text)).toBe('"\\/\b\f\n\r\té中😀');
  });

  it.each([String.raw`"\ud800"`, String.raw`"x\udc00y"`, String.raw`"\ud83d\u0041"`, String.raw`"\ud83dx"`])(
    'refuses the unpaired surrogate escape in %s',
    (text) => {
      expect(failure(text)).toBe('unpaired_surrogate');
    },
  );

  it.each([String.raw`"\x"`, String.raw`"\u12"`, String.raw`"\u12G4"`, '"\\', '"abc'])(
    'refuses the broken string %s',
    (text) => {
      expect(failure(text)).toBe('syntax');
    },
  );

  it('refuses raw control characters inside strings', () => {
    expect(failure('"a\tb"')).toBe('control_character');
    expect(failure('"a\u0000b"')).toBe('control_character');
  });

  it('reads UTF-8 bytes and refuses invalid sequences', () => {
    expect(decodeTalktoJson(new TextEncoder().encode('"café 😀"'))).toBe('café 😀');
    expect(failure(new Uint8Array([0x22, 0x6b, 0xc3, 0x22]))).toBe('invalid_utf8');
    expect(failure(new Uint8Array([0x22, 0xc0, 0xaf, 0x22]))).toBe('invalid_utf8');
    expect(failure(new Uint8Array([0x22, 0xed, 0xa0, 0x80, 0x22]))).toBe('invalid_utf8');
  });

  it('refuses a JS string carrying a raw lone surrogate', () => {
    expect(failure('"a\ud800"')).toBe('invalid_utf8');
  });

  it('refuses keys starting with NUL only when asked to (the receive path)', () => {
    const text = '{"x":{"\\u0000a":true}}';
    expect(decodeTalktoJson(text)).toBeInstanceOf(PhpArray);
    expect(failure(text, { rejectNulPropertyNames: true })).toBe('invalid_property_name');
    expect(decodeTalktoJson('{"a\\u0000":1}', { rejectNulPropertyNames: true })).toBeInstanceOf(PhpArray);
  });
});
