import { describe, expect, it } from '@jest/globals';

import { encodeBodyJson } from '../../../lib/protocol/json/body-json.js';
import { encodeCanonicalJson } from '../../../lib/protocol/json/canonical-json.js';
import { decodeTalktoJson } from '../../../lib/protocol/json/json-reader.js';
import { nativeTextsOf, readNativeJson } from '../../../lib/protocol/json/native-json.js';
import { freezePayload } from '../../../lib/protocol/json/payload-freezer.js';
import { PhpArray } from '../../../lib/protocol/json/php-value.js';
import { toPlainValue } from '../../../lib/protocol/json/plain-value.js';
import { talktoFloat } from '../../../lib/protocol/json/talkto-float.js';

/** What the exact reader and encoders make of a text: the oracle the fast path must match. */
function exactly(text: string): { body: string; canonical: string; plain: unknown } {
  const value = decodeTalktoJson(text, { native: false });
  return { body: encodeBodyJson(value), canonical: encodeCanonicalJson(value), plain: toPlainValue(value) };
}

function viaNative(text: string): { body: string; canonical: string; plain: unknown } {
  const source = readNativeJson(text);
  expect(source).toBeDefined();
  const value = PhpArray.fromSource(source!);
  return { body: encodeBodyJson(value), canonical: encodeCanonicalJson(value), plain: toPlainValue(value) };
}

/** A small deterministic generator of JSON-like values with the awkward parts PHP cares about. */
function randomValue(seed: number): unknown {
  let state = seed;
  const next = (): number => {
    state = (state * 1103515245 + 12345) >>> 0;
    return state / 0x100000000;
  };
  const strings = [
    '',
    'a',
    'Zoë',
    '寿司',
    '🍵 tea',
    'line\nbreak',
    'quote "q"',
    'back\\slash',
    '\u007f',
    '\uffff',
    'x\u0001',
  ];
  const keys = ['b', 'a', 'B', '_', 'é', 'z', 'aa', 'a b', '\ue000', '😀', 'key', 'Key'];
  const numbers = [
    0,
    1,
    -1,
    42,
    2 ** 53 - 1,
    -(2 ** 53 - 1),
    0.5,
    -0.25,
    1.0837,
    123.456,
    1e-4,
    99999.99,
    1e16 + 0.5,
  ];
  const build = (depth: number): unknown => {
    const pick = next();
    if (depth > 3 || pick < 0.45) {
      const leaf = next();
      if (leaf < 0.35) return strings[Math.floor(next() * strings.length)];
      if (leaf < 0.75) return numbers[Math.floor(next() * numbers.length)];
      if (leaf < 0.9) return next() < 0.5;
      return null;
    }
    if (pick < 0.7) {
      return Array.from({ length: Math.floor(next() * 4) }, () => build(depth + 1));
    }
    const out: Record<string, unknown> = {};
    const count = 1 + Math.floor(next() * 5);
    for (let i = 0; i < count; i++) {
      out[keys[Math.floor(next() * keys.length)]] = build(depth + 1);
    }
    return out;
  };
  return { root: build(0) };
}

describe('readNativeJson', () => {
  it('agrees with the exact reader on texts it accepts', () => {
    let accepted = 0;
    for (let seed = 1; seed <= 400; seed++) {
      const text = JSON.stringify(randomValue(seed));
      if (readNativeJson(text) === undefined) {
        continue;
      }
      accepted++;
      expect(viaNative(text)).toEqual(exactly(text));
    }
    expect(accepted).toBeGreaterThan(300);
  });

  it('agrees on hand-written texts with whitespace, escapes and duplicate keys', () => {
    for (const text of [
      '{ "b" : 1 , "a" : [ 1 , 2.5 , "x" ] }',
      '{"a":1,"b":2,"a":3}',
      '{"s":"\\u00e9\\/\\t\\"","t":"\\ud83c\\udf75"}'.replace('\\ud83c\\udf75', '🍵'),
      '[{"z":1,"y":[]},[],[[0]]]',
      '{"n":0,"f":0.1,"g":-12.5e-1}',
      '{"price":"19.99 EUR","v":"v1.2e3","f":[ -1.5, 2.25e1 ]}',
    ]) {
      expect(viaNative(text)).toEqual(exactly(text));
    }
  });

  it.each([
    ['a float literal with an integral value', '{"a":1.0}'],
    ['an exponent literal with an integral value', '{"a":1e2}'],
    ['an integral float after whitespace', '{"a": 1.0}'],
    ['an integral float in a list, after a minus and a line break', '[0.5,\n -2E1]'],
    ['an integral float as the first list element', '{"a":[ 3.0,0.5]}'],
    ['negative zero as a float', '{"a":-0.0}'],
    ['negative zero as an integer', '{"a":-0}'],
    ['a long fraction that rounds to an integer', '{"a":1.0000000000000001}'],
    ['an integer beyond 2^53', '{"a":9007199254740993}'],
    ['an integer-like key', '{"0":"a","1":"b"}'],
    ['a negative integer-like key', '{"-5":1}'],
    ['a __proto__ key', '{"__proto__":{"x":1}}'],
    ['a key starting with NUL', '{"\\u0000a":1}'],
    ['an empty object', '{"a":{}}'],
    ['an escaped line separator', '{"a":"\\u2028"}'],
    ['a raw line separator', '{"a":"\u2028"}'],
    ['a raw paragraph separator', '{"a":"\u2029"}'],
    ['an escaped paragraph separator', '{"a":"\\u2029"}'],
    ['an unpaired low surrogate escape in capitals', '{"a":"\\uDFFF"}'],
    ['an exponent literal after a fraction elsewhere', '{"a":[1.5,1e2]}'],
    ['an exponent literal with a capital mark after a minus', '{"a":-3E0}'],
    ['an unpaired surrogate escape', '{"a":"\\ud800"}'],
    ['an overflowing number', '{"a":1e400}'],
    ['a float PHP writes in exponent form', '{"a":0.00001}'],
    ['a scalar document', '"text"'],
    ['leading whitespace', ' {"a":1}'],
    ['invalid JSON', '{"a":}'],
    ['nesting deeper than the fast path goes', '['.repeat(65) + ']'.repeat(65)],
  ])('declines %s', (_label, text) => {
    expect(readNativeJson(text)).toBeUndefined();
  });

  it('declines when a float-looking literal inside a string hides an integral float', () => {
    // The string holds ":1.5" and the number 2.0 is integral: the counts differ, so it declines.
    expect(readNativeJson('{"s":"x:1.5","n":2.0}')).toBeUndefined();
  });
});

describe('PhpArray backed by a parsed source', () => {
  it('builds its entries on first read and encodes changes made afterwards', () => {
    const doc = decodeTalktoJson('{"a":{"b":1},"c":[1,2.5]}') as PhpArray;
    expect(doc.untouchedSource).not.toBeNull();
    const inner = doc.get('a') as PhpArray;
    expect(doc.untouchedSource).toBeNull();
    expect(inner.untouchedSource).not.toBeNull();
    inner.set('0', 'zero');
    expect(inner.untouchedSource).toBeNull();
    expect(encodeBodyJson(doc)).toBe('{"a":{"b":1,"0":"zero"},"c":[1,2.5]}');
    expect(encodeCanonicalJson(doc)).toBe('{"a":{"0":"zero","b":1},"c":[1,2.5]}');
    expect(doc.get('c')).toBeInstanceOf(PhpArray);
    expect((doc.get('c') as PhpArray).values()).toEqual([1n, 2.5]);
  });

  it('hands host code a private copy', () => {
    const doc = decodeTalktoJson('{"a":{"b":1}}');
    const plain = toPlainValue(doc) as { a: { b: number } };
    plain.a.b = 2;
    expect(encodeBodyJson(doc)).toBe('{"a":{"b":1}}');
  });
});

describe('nativeTextsOf', () => {
  it('gives the texts the exact reader and encoders give for the same JSON', () => {
    for (let seed = 1; seed <= 400; seed++) {
      const value = randomValue(seed) as object;
      const texts = nativeTextsOf(value);
      if (texts === undefined) {
        continue;
      }
      const oracle = exactly(JSON.stringify(value));
      expect(texts).toEqual({ body: oracle.body, canonical: oracle.canonical });
    }
  });

  class Point {
    constructor(public x = 1) {}
  }
  it.each([
    ['a class instance', { p: new Point() }],
    ['a Date', { d: new Date(0) }],
    ['an object with toJSON', { t: { toJSON: () => 1 } }],
    ['undefined in an array', { a: [1, undefined] }],
    ['a hole in an array', { a: new Array<number>(3).fill(1, 0, 1) }],
    ['a function', { f: () => 1 }],
    ['a bigint', { n: 1n }],
    ['NaN', { n: Number.NaN }],
    ['an integer beyond 2^53', { n: 2 ** 60 }],
    ['a talktoFloat', { n: talktoFloat(1) }],
    ['an empty object', { e: {} }],
    ['an object whose only property is undefined', { e: { u: undefined } }],
    ['an integer-like key', { o: { 1: 'x' } }],
    ['a line separator', { s: 'a\u2028b' }],
    ['a paragraph separator', { s: 'a\u2029b' }],
    ['an unpaired surrogate', { s: 'a\ud800b' }],
    ['an unpaired low surrogate in a key', { 'k\udfff': 1 }],
    ['a Map', { m: new Map() }],
  ])('declines %s', (_label, value) => {
    expect(nativeTextsOf(value)).toBeUndefined();
  });

  it('leaves undefined properties out, as the exact freezer does', () => {
    const value = { a: 1, skip: undefined, b: 'x' };
    expect(nativeTextsOf(value)).toEqual({ body: '{"a":1,"b":"x"}', canonical: '{"a":1,"b":"x"}' });
  });

  it('writes keys with escapes, a host -0 and a skipped first property as the exact encoder does', () => {
    const records = [
      { skip: undefined, 'q"uote': -0, 'tab\there': 'x\u0001', 'back\\slash': [0.5, true, null] },
      { skip: undefined, 'q"uote': 2, 'tab\there': '', 'back\\slash': [] },
    ];
    // The second record reuses the key order cached for the first.
    for (const value of [...records, { list: records }]) {
      const oracle = exactly(JSON.stringify(value));
      expect(nativeTextsOf(value)).toEqual({ body: oracle.body, canonical: oracle.canonical });
    }
    expect(nativeTextsOf(records[0])?.canonical).toBe(
      '{"back\\\\slash":[0.5,true,null],"q\\"uote":0,"tab\\there":"x\\u0001"}',
    );
  });

  it('sorts keys by UTF-8 bytes, not UTF-16 units', () => {
    expect(nativeTextsOf({ '😀': 1, '\ue000': 2 })?.canonical).toBe('{"\ue000":2,"😀":1}');
  });

  it('backs freezePayload, whose value is the decoded body', () => {
    const frozen = freezePayload({ b: [1, 2.5], a: 'x' });
    expect(frozen.json).toBe('{"b":[1,2.5],"a":"x"}');
    expect(encodeCanonicalJson(frozen.value)).toBe('{"a":"x","b":[1,2.5]}');
  });
});
