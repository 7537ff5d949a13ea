import { describe, expect, it } from '@jest/globals';

import { TalktoJsonEncodeError } from '../../../lib/protocol/errors/json-encode.error.js';
import { encodeCanonicalJson } from '../../../lib/protocol/json/canonical-json.js';
import { compareUtf8 } from '../../../lib/protocol/json/utf8-order.js';
import { decodeTalktoJson } from '../../../lib/protocol/json/json-reader.js';
import { PhpArray, type PhpValue } from '../../../lib/protocol/json/php-value.js';

const canonical = (json: string): string => encodeCanonicalJson(decodeTalktoJson(json));

function nestedLists(levels: number): PhpValue {
  let value: PhpValue = 1n;
  for (let i = 0; i < levels; i++) {
    value = PhpArray.list([value]);
  }
  return value;
}

function encodeFailure(value: PhpValue): string {
  try {
    encodeCanonicalJson(value);
  } catch (error) {
    if (error instanceof TalktoJsonEncodeError) {
      expect(error.code).toBe('json_encoding_failed');
      return error.reason;
    }
    throw error;
  }
  throw new Error('expected an encode error');
}

describe('encodeCanonicalJson', () => {
  it('writes scalars as PHP does', () => {
    expect(encodeCanonicalJson(null)).toBe('null');
    expect(encodeCanonicalJson(true)).toBe('true');
    expect(encodeCanonicalJson(-9223372036854775808n)).toBe('-9223372036854775808');
    expect(encodeCanonicalJson(1e25)).toBe('1.0e+25');
    expect(encodeCanonicalJson(-0)).toBe('-0');
    expect(encodeCanonicalJson('a/é\u2028')).toBe('"a/é\\u2028"');
  });

  it('sorts map keys byte-wise and leaves lists in their order', () => {
    expect(canonical('{"b":1,"a":[3,1,2],"A":{"z":0,"y":0}}')).toBe('{"A":{"y":0,"z":0},"a":[3,1,2],"b":1}');
  });

  it('compares integer keys by their decimal text', () => {
    expect(canonical('{"b":1,"10":2,"9":3,"-5":4,"_":5}')).toBe('{"-5":4,"10":2,"9":3,"_":5,"b":1}');
  });

  it('sorts a prefix before its extensions and the empty key first', () => {
    expect(canonical('{"ab":1,"a":2,"":3}')).toBe('{"":3,"a":2,"ab":1}');
  });

  it('sorts by UTF-8 bytes, so U+E000..U+FFFF come before astral characters', () => {
    expect(canonical('{"😀":1,"\\ufffd":2,"\\ue000":3,"中":4}')).toBe(
      '{"中":4,"\ue000":3,"\ufffd":2,"😀":1}',
    );
  });

  it('writes {} and nested {} as []', () => {
    expect(canonical('{}')).toBe('[]');
    expect(canonical('[{},{"a":{}}]')).toBe('[[],{"a":[]}]');
  });

  it('writes a map whose keys are 0..n-1 in order as an array', () => {
    expect(canonical('{"0":"a","1":"b"}')).toBe('["a","b"]');
  });

  it('writes a map whose keys become 0..n-1 after sorting as an array', () => {
    expect(canonical('{"2":"c","0":"a","1":"b"}')).toBe('["a","b","c"]');
  });

  it('keeps eleven keys 0..10 in natural order a list, but sorts them as text when they arrive shuffled', () => {
    const keys = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
    const inOrder = `{${keys.map((k) => `"${k}":${k}`).join(',')}}`;
    const shuffled = `{${[10, ...keys.slice(0, 10)].map((k) => `"${k}":${k}`).join(',')}}`;
    expect(canonical(inOrder)).toBe('[0,1,2,3,4,5,6,7,8,9,10]');
    expect(canonical(shuffled)).toBe('{"0":0,"1":1,"10":10,"2":2,"3":3,"4":4,"5":5,"6":6,"7":7,"8":8,"9":9}');
  });

  it('keeps gaps and mixed keys as objects', () => {
    expect(canonical('{"2":"b","0":"a"}')).toBe('{"0":"a","2":"b"}');
    expect(canonical('{"1":"a"}')).toBe('{"1":"a"}');
    expect(canonical('{"0":"a","1":"b","x":"c"}')).toBe('{"0":"a","1":"b","x":"c"}');
  });

  it('keeps __proto__ and a leading-NUL key as ordinary keys', () => {
    expect(canonical('{"b":1,"__proto__":null,"\\u0000":true}')).toBe(
      '{"\\u0000":true,"__proto__":null,"b":1}',
    );
  });

  it('accepts 512 nested arrays and refuses 513, as json_encode does', () => {
    expect(encodeCanonicalJson(nestedLists(512))).toBe('['.repeat(512) + '1' + ']'.repeat(512));
    expect(encodeFailure(nestedLists(513))).toBe('depth');
  });

  it('refuses non-finite floats and unpaired surrogates', () => {
    expect(encodeFailure(PhpArray.list([Infinity]))).toBe('non_finite_float');
    expect(encodeFailure(NaN)).toBe('non_finite_float');
    expect(encodeFailure(new PhpArray().set('k\ud800', 1n))).toBe('invalid_utf8');
  });
});

describe('compareUtf8', () => {
  it('agrees with a byte-wise comparison of the UTF-8 encodings', () => {
    const samples = [
      '',
      'a',
      'ab',
      'B',
      'é',
      '中',
      '\ue000',
      '\uffff',
      '😀',
      '😃',
      '𝄞',
      'a😀',
      'a\uffff',
      '\u007f',
      '\u0080',
    ];
    const bytes = (s: string): Buffer => Buffer.from(s, 'utf8');
    for (const a of samples) {
      for (const b of samples) {
        expect(Math.sign(compareUtf8(a, b))).toBe(Math.sign(Buffer.compare(bytes(a), bytes(b))));
      }
    }
  });
});
