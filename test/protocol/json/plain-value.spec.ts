import { describe, expect, it } from '@jest/globals';

import { decodeTalktoJson } from '../../../lib/protocol/json/json-reader.js';
import { toPlainValue } from '../../../lib/protocol/json/plain-value.js';

const plain = (json: string): unknown => toPlainValue(decodeTalktoJson(json));

describe('toPlainValue', () => {
  it('turns lists into arrays and other PHP arrays into plain objects', () => {
    expect(plain('{"items":[1,{"a":"b"}],"map":{"0":"x","2":"y"},"empty":{}}')).toEqual({
      items: [1, { a: 'b' }],
      map: { 0: 'x', 2: 'y' },
      empty: [],
    });
  });

  it('gives ints as numbers when safe and as bigints otherwise; floats as numbers', () => {
    expect(plain('[9007199254740991,9007199254740993,-9223372036854775808,1.5,1e17,-0.0]')).toEqual([
      9007199254740991,
      9007199254740993n,
      -9223372036854775808n,
      1.5,
      1e17,
      -0,
    ]);
  });

  it('keeps a __proto__ key as an own data property without touching the prototype', () => {
    const value = plain('{"__proto__":{"polluted":true},"b":1}') as Record<string, unknown>;
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
    expect(Object.keys(value)).toEqual(['__proto__', 'b']);
    expect(Object.getOwnPropertyDescriptor(value, '__proto__')?.value).toEqual({ polluted: true });
    expect((value as { polluted?: unknown }).polluted).toBeUndefined();
  });

  it('passes scalars through', () => {
    expect(plain('"x"')).toBe('x');
    expect(plain('null')).toBeNull();
    expect(plain('true')).toBe(true);
  });
});
