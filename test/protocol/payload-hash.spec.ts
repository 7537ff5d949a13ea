import { createHash } from 'node:crypto';

import { describe, expect, it } from '@jest/globals';

import { decodeTalktoJson } from '../../lib/protocol/json/json-reader.js';
import { payloadHash, sha256Hex } from '../../lib/protocol/payload-hash.js';

const sha = (text: string): string => createHash('sha256').update(Buffer.from(text, 'utf8')).digest('hex');

describe('payloadHash', () => {
  it('hashes the UTF-8 bytes of the canonical JSON in lowercase hex', () => {
    const value = decodeTalktoJson('{"status":"ready","amount":10,"city":"تهران"}');
    expect(payloadHash(value)).toBe(sha('{"amount":10,"city":"تهران","status":"ready"}'));
    expect(payloadHash(value)).toMatch(/^[0-9a-f]{64}$/);
  });

  it('hashes a missing payload as the text null', () => {
    expect(payloadHash(null)).toBe(sha('null'));
  });

  it('gives {} and [] the same hash', () => {
    expect(payloadHash(decodeTalktoJson('{}'))).toBe(payloadHash(decodeTalktoJson('[]')));
  });

  it('does not depend on key order or spelling of numbers', () => {
    expect(payloadHash(decodeTalktoJson('{"b":1.50,"a":[1.0]}'))).toBe(
      payloadHash(decodeTalktoJson('{"a":[1],"b":1.5}')),
    );
  });
});

describe('sha256Hex', () => {
  it('hashes strings as UTF-8 and bytes as given', () => {
    expect(sha256Hex('é')).toBe(sha('é'));
    expect(sha256Hex(new Uint8Array([0xc3, 0xa9]))).toBe(sha('é'));
  });
});
