import { describe, expect, it } from '@jest/globals';

import { formatPhpFloat } from '../../../lib/protocol/json/php-float.js';

describe('formatPhpFloat', () => {
  it.each([
    [0, '0'],
    [-0, '-0'],
    [1, '1'],
    [-3, '-3'],
    [100, '100'],
    [2.5, '2.5'],
    [0.1 + 0.2, '0.30000000000000004'],
    [1e16, '10000000000000000'],
    [99999999999999980, '99999999999999980'],
  ])('writes %p in fixed notation without a trailing .0 as %s', (value, text) => {
    expect(formatPhpFloat(value)).toBe(text);
  });

  it.each([
    [0.0001, '0.0001'],
    [0.00012, '0.00012'],
    [0.0009999, '0.0009999'],
  ])('keeps fixed notation down to 1e-4: %p -> %s', (value, text) => {
    expect(formatPhpFloat(value)).toBe(text);
  });

  it.each([
    [0.00001, '1.0e-5'],
    [1.5e-7, '1.5e-7'],
    [-1e-7, '-1.0e-7'],
    [1e17, '1.0e+17'],
    [1.5e17, '1.5e+17'],
    [1.2345678901234568e17, '1.2345678901234568e+17'],
    [1e25, '1.0e+25'],
    [-1e25, '-1.0e+25'],
    [5e-324, '5.0e-324'],
    [Number.MAX_VALUE, '1.7976931348623157e+308'],
    [2 ** 63, '9.223372036854776e+18'],
  ])(
    'switches to exponent form below 1e-4 and from 1e17 on, always with a fraction: %p -> %s',
    (value, text) => {
      expect(formatPhpFloat(value)).toBe(text);
    },
  );

  it('prints digits that read back to the same double', () => {
    for (const value of [Math.PI, 1 / 3, 79.95, 4.35, 2.2250738585072014e-308, 123456.789e-12]) {
      expect(Number(formatPhpFloat(value))).toBe(value);
    }
  });
});
