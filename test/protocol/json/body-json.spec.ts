import { describe, expect, it } from '@jest/globals';

import { TalktoJsonEncodeError } from '../../../lib/protocol/errors/json-encode.error.js';
import { encodeBodyJson } from '../../../lib/protocol/json/body-json.js';
import { decodeTalktoJson } from '../../../lib/protocol/json/json-reader.js';
import { PhpArray } from '../../../lib/protocol/json/php-value.js';

const body = (json: string): string => encodeBodyJson(decodeTalktoJson(json));

describe('encodeBodyJson', () => {
  it('keeps insertion order instead of sorting', () => {
    expect(body('{"status":"ready","amount":10,"10":1,"9":2}')).toBe(
      '{"status":"ready","amount":10,"10":1,"9":2}',
    );
  });

  it('writes an array exactly when the keys are 0..n-1 in order', () => {
    expect(body('{"0":"a","1":"b"}')).toBe('["a","b"]');
    expect(body('{"1":"b","0":"a"}')).toBe('{"1":"b","0":"a"}');
    expect(body('{}')).toBe('[]');
  });

  it('formats numbers and strings like the canonical encoder', () => {
    expect(body('[1.0,1e25,0.00001,-0.0,-0,9223372036854775808]')).toBe(
      '[1,1.0e+25,1.0e-5,-0,0,9.223372036854776e+18]',
    );
    expect(body('{"url":"https://x.test/a","s":"\\u2028é\\u0001"}')).toBe(
      '{"url":"https://x.test/a","s":"\\u2028é\\u0001"}',
    );
  });

  it('refuses non-finite floats and excessive depth', () => {
    expect(() => encodeBodyJson(PhpArray.list([-Infinity]))).toThrow(TalktoJsonEncodeError);
    let deep = PhpArray.list([]);
    for (let i = 0; i < 512; i++) {
      deep = PhpArray.list([deep]);
    }
    expect(() => encodeBodyJson(deep)).toThrow(TalktoJsonEncodeError);
  });
});
