import { describe, expect, it } from '@jest/globals';

import { TalktoPayloadValueError } from '../../../lib/protocol/errors/payload-value.error.js';
import { encodeCanonicalJson } from '../../../lib/protocol/json/canonical-json.js';
import { decodeTalktoJson } from '../../../lib/protocol/json/json-reader.js';
import { freezePayload } from '../../../lib/protocol/json/payload-freezer.js';
import { PhpArray } from '../../../lib/protocol/json/php-value.js';
import { talktoFloat } from '../../../lib/protocol/json/talkto-float.js';
import { payloadHash } from '../../../lib/protocol/payload-hash.js';

const canonicalOf = (input: unknown): string => encodeCanonicalJson(freezePayload(input).value);

function refusal(input: unknown): { code: string; path: string } {
  try {
    freezePayload(input);
  } catch (error) {
    if (error instanceof TalktoPayloadValueError) {
      return { code: error.code, path: error.path };
    }
    throw error;
  }
  throw new Error('expected the freezer to refuse the value');
}

function nestedArrays(levels: number): unknown {
  let value: unknown = 1;
  for (let i = 0; i < levels; i++) {
    value = [value];
  }
  return value;
}

describe('freezePayload top level', () => {
  it('freezes null and undefined to null, hashed as the text null', () => {
    for (const input of [null, undefined]) {
      const frozen = freezePayload(input);
      expect(frozen).toEqual({ value: null, json: 'null', hash: payloadHash(null) });
    }
  });

  it('writes the body text null exactly when the frozen value is null (the client relies on it)', () => {
    for (const input of [null, undefined, 'null', { a: null }, [null], {}, [], { toJSON: () => null }]) {
      const frozen = freezePayload(input);
      expect(frozen.json === 'null').toBe(frozen.value === null);
    }
  });

  it.each([
    ['hello', '{"value":"hello"}'],
    [42, '{"value":42}'],
    [2.5, '{"value":2.5}'],
    [false, '{"value":false}'],
    [10n, '{"value":10}'],
  ])('wraps the scalar %p as {"value": ...}', (input, json) => {
    expect(freezePayload(input).json).toBe(json);
  });

  it('wraps a scalar returned by toJSON at the top', () => {
    expect(freezePayload({ toJSON: () => 'id-7' }).json).toBe('{"value":"id-7"}');
  });

  it('returns the body JSON in insertion order and the hash of the canonical form', () => {
    const frozen = freezePayload({ status: 'ready', amount: 10 });
    expect(frozen.json).toBe('{"status":"ready","amount":10}');
    expect(frozen.hash).toBe(payloadHash(decodeTalktoJson('{"amount":10,"status":"ready"}')));
  });
});

describe('freezePayload round trip', () => {
  it('turns empty objects into [] and 0..n-1 keyed objects into lists', () => {
    expect(freezePayload({ a: {}, b: { 0: 'x', 1: 'y' } }).json).toBe('{"a":[],"b":["x","y"]}');
  });

  it('keeps JS key order, which puts integer-like keys first', () => {
    expect(freezePayload({ b: 1, 1: 'x', a: 2 }).json).toBe('{"1":"x","b":1,"a":2}');
  });

  it('keeps __proto__ when it is an own key', () => {
    const input = JSON.parse('{"__proto__":{"x":1},"b":2}') as unknown;
    expect(freezePayload(input).json).toBe('{"__proto__":{"x":1},"b":2}');
  });

  it('accepts objects without a prototype', () => {
    const input = Object.assign(Object.create(null) as object, { z: 1, a: 2 });
    expect(canonicalOf(input)).toBe('{"a":2,"z":1}');
  });

  it('leaves out properties holding undefined, as JSON.stringify does', () => {
    expect(freezePayload({ a: 1, b: undefined }).json).toBe('{"a":1}');
  });

  it('body JSON reads back to the same value', () => {
    const frozen = freezePayload({ n: [-0, 1.5, 1e17, 2 ** 63, 1e-7], s: 'a/é\u2028', k: { 10: 1, 9: 2 } });
    expect(encodeCanonicalJson(decodeTalktoJson(frozen.json))).toBe(encodeCanonicalJson(frozen.value));
  });
});

describe('freezePayload numbers', () => {
  it('sends integral JS numbers in int64 range as PHP ints and -0 as 0', () => {
    const { value } = freezePayload([1, -0, 1e17, 9007199254740992, -(2 ** 63)]);
    expect(value instanceof PhpArray && value.values()).toEqual([
      1n,
      0n,
      100000000000000000n,
      9007199254740992n,
      -(2n ** 63n),
    ]);
  });

  it('sends other finite numbers as PHP floats', () => {
    expect(canonicalOf([0.1, 2 ** 63, 1e21, 1e-5])).toBe('[0.1,9.223372036854776e+18,1.0e+21,1.0e-5]');
  });

  it('sends bigints in int64 range exactly and larger ones as floats', () => {
    expect(canonicalOf([9007199254740993n, 2n ** 63n - 1n, 2n ** 64n])).toBe(
      '[9007199254740993,9223372036854775807,1.8446744073709552e+19]',
    );
  });

  it('sends an integral float when asked to, which matters from 1e17 on', () => {
    expect(canonicalOf({ a: talktoFloat(1e17), b: 1e17, c: talktoFloat(3) })).toBe(
      '{"a":1.0e+17,"b":100000000000000000,"c":3}',
    );
  });

  it('refuses NaN and infinities with their path', () => {
    expect(refusal({ v: NaN })).toEqual({ code: 'payload_non_finite_float', path: '$.v' });
    expect(refusal({ items: [1, Infinity] })).toEqual({
      code: 'payload_non_finite_float',
      path: '$.items["1"]',
    });
    expect(refusal(-Infinity)).toEqual({ code: 'payload_non_finite_float', path: '$' });
    expect(refusal({ f: talktoFloat(NaN) })).toEqual({ code: 'payload_non_finite_float', path: '$.f' });
  });
});

describe('freezePayload decoded PHP values', () => {
  it('re-sends a received payload with the same hash', () => {
    for (const json of [
      '{"v":1.0e+17,"w":[1.5,-0.0]}',
      '{"b":{"1":"x","0":"y"},"a":9223372036854775807}',
      '[{},{"x":null}]',
    ]) {
      const received = decodeTalktoJson(json);
      const frozen = freezePayload(received);
      const expected = decodeTalktoJson(json.replace('-0.0', '0'));
      expect(frozen.hash).toBe(payloadHash(expected));
    }
  });

  it('treats numbers inside a PhpArray as floats', () => {
    expect(canonicalOf(new PhpArray().set('v', 1e17))).toBe('{"v":1.0e+17}');
  });
});

describe('freezePayload refusals', () => {
  it('refuses unpaired surrogates in string values at their path', () => {
    expect(refusal({ 'key with space': ['ok', 'x\ud800'] })).toEqual({
      code: 'payload_invalid_utf8',
      path: '$["key with space"]["1"]',
    });
  });

  it('refuses an unpaired surrogate in a key as a JSON encoding failure of the whole payload', () => {
    expect(refusal({ ['k\ud800']: 1 })).toEqual({ code: 'payload_json_encoding_failed', path: '$' });
  });

  it('refuses cycles through arrays, objects and toJSON', () => {
    const list: unknown[] = [];
    list.push({ back: list });
    expect(refusal({ list })).toEqual({ code: 'payload_circular_reference', path: '$.list["0"].back' });
    const self = { toJSON: (): unknown => ({ again: self }) };
    expect(refusal({ self })).toEqual({ code: 'payload_circular_reference', path: '$.self.again' });
  });

  it('accepts the same object twice when it is not a cycle, converting toJSON once', () => {
    let calls = 0;
    const shared = { toJSON: (): unknown => (calls++, { n: 1 }) };
    expect(freezePayload({ a: shared, b: [shared] }).json).toBe('{"a":{"n":1},"b":[{"n":1}]}');
    expect(calls).toBe(1);
  });

  it('refuses values nested beyond what PHP can read back', () => {
    expect(freezePayload(nestedArrays(511)).json).toBe('['.repeat(511) + '1' + ']'.repeat(511));
    expect(refusal(nestedArrays(512))).toEqual({ code: 'payload_json_encoding_failed', path: '$' });
    const tooDeep = refusal(nestedArrays(513));
    expect(tooDeep.code).toBe('payload_depth_exceeded');
    expect(tooDeep.path.length).toBe(240);
    expect(tooDeep.path.endsWith('...')).toBe(true);
  });

  it.each([
    ['a function', { f: (): number => 1 }, 'payload_closure'],
    ['a symbol', { s: Symbol('x') }, 'payload_unsupported_type'],
    ['undefined in an array', { a: [1, undefined] }, 'payload_unsupported_type'],
    ['a Date', { at: new Date(0) }, 'payload_datetime_unsupported'],
    ['a Map', { m: new Map() }, 'payload_traversable_object'],
    ['a Set', { s: new Set([1]) }, 'payload_traversable_object'],
    ['a generator', { g: (function* gen() {})() }, 'payload_generator'],
    ['a RegExp', { r: /x/ }, 'payload_internal_object'],
    ['a class instance without own properties', { o: new (class Empty {})() }, 'payload_unsupported_object'],
  ])('refuses %s', (_label, input, code) => {
    expect(refusal(input).code).toBe(code);
  });

  it('reports a throwing toJSON or getter as a conversion failure', () => {
    const broken = {
      toJSON(): never {
        throw new Error('boom');
      },
    };
    expect(refusal({ x: broken })).toEqual({ code: 'payload_object_conversion_failed', path: '$.x' });
    const getter = Object.defineProperty({}, 'g', {
      enumerable: true,
      get(): never {
        throw new Error('boom');
      },
    });
    expect(refusal({ y: getter })).toEqual({ code: 'payload_object_conversion_failed', path: '$.y.g' });
  });

  it('never puts the offending value into the message', () => {
    try {
      freezePayload({ secret: 'token-123\ud800' });
    } catch (error) {
      expect((error as Error).message).not.toContain('token-123');
      return;
    }
    throw new Error('expected a refusal');
  });

  it('shortens long keys in the path to 80 characters', () => {
    const key = 'k '.repeat(100);
    expect(refusal({ [key]: NaN }).path).toBe(`$["${key.slice(0, 80)}"]`);
  });
});

describe('freezePayload host objects', () => {
  it('sends class instances as their own enumerable properties', () => {
    class Order {
      constructor(
        readonly id: number,
        readonly lines: string[],
      ) {}
      total(): number {
        return 0;
      }
    }
    expect(freezePayload({ order: new Order(7, ['a']) }).json).toBe('{"order":{"id":7,"lines":["a"]}}');
  });

  it('accepts a Date that was converted explicitly', () => {
    expect(freezePayload({ at: new Date(0).toISOString() }).json).toBe('{"at":"1970-01-01T00:00:00.000Z"}');
  });
});
