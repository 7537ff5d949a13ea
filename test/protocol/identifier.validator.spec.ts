import { describe, expect, it } from '@jest/globals';
import { TalktoEnvelopeFieldError } from '../../lib/protocol/errors/envelope-field.error.js';
import { validateIdentifier, validateNullableIdentifier } from '../../lib/protocol/identifier.validator.js';

function failureOf(run: () => void): { code: string; field?: string; reason: string } | null {
  try {
    run();
    return null;
  } catch (error) {
    if (!(error instanceof TalktoEnvelopeFieldError)) {
      throw error;
    }
    return { code: error.code, field: error.field, reason: error.reason };
  }
}

describe('validateIdentifier', () => {
  it.each([
    '',
    'msg-0001',
    'a b.c:d/e_f',
    'تهران',
    '😀',
    '\u0085',
    '\u200B',
    '\uFEFF',
    '\uFFFF',
    'x'.repeat(1000),
  ])('accepts %j', (value) => {
    expect(failureOf(() => validateIdentifier(value, 'message_id'))).toBeNull();
  });

  it.each(['a\tb', 'a\nb', 'a\rb', '\u0000', '\u001f', 'a\u007fb', 'a\u2028b', 'a\u2029b'])(
    'rejects the forbidden character in %j as control_character',
    (value) => {
      expect(failureOf(() => validateIdentifier(value, 'command'))).toEqual({
        code: 'invalid_envelope_field',
        field: 'command',
        reason: 'control_character',
      });
    },
  );

  it.each([
    ['a lone continuation byte', [0x61, 0x80]],
    ['a truncated sequence', [0xe2, 0x82]],
    ['an overlong slash', [0xc0, 0xaf]],
    ['an encoded surrogate', [0xed, 0xa0, 0x80]],
    ['a code point above U+10FFFF', [0xf4, 0x90, 0x80, 0x80]],
  ])('rejects %s as invalid_utf8', (_label, bytes) => {
    expect(failureOf(() => validateIdentifier(Uint8Array.from(bytes), 'source_service'))?.reason).toBe(
      'invalid_utf8',
    );
  });

  it('reports invalid UTF-8 before a control character in the same value', () => {
    expect(failureOf(() => validateIdentifier(Uint8Array.from([0x0a, 0xff]), 'nonce'))?.reason).toBe(
      'invalid_utf8',
    );
  });

  it('treats a lone UTF-16 surrogate in a JS string as invalid UTF-8', () => {
    expect(failureOf(() => validateIdentifier('a\ud800', 'target_service'))?.reason).toBe('invalid_utf8');
  });

  it('accepts valid UTF-8 given as bytes, including raw U+2028 being refused as a control', () => {
    expect(failureOf(() => validateIdentifier(Buffer.from('تهران', 'utf8'), 'source_service'))).toBeNull();
    expect(
      failureOf(() => validateIdentifier(Buffer.from('a\u2028', 'utf8'), 'source_service'))?.reason,
    ).toBe('control_character');
  });

  it('never puts the offending value in the message', () => {
    try {
      validateIdentifier('secret\nvalue', 'message_id');
    } catch (error) {
      expect((error as Error).message).not.toContain('secret');
      expect((error as Error).message).toContain('message_id');
    }
    expect.assertions(2);
  });

  it('lets a nullable identifier be absent but checks it when present', () => {
    expect(failureOf(() => validateNullableIdentifier(null, 'correlation_id'))).toBeNull();
    expect(failureOf(() => validateNullableIdentifier(42, 'correlation_id'))?.reason).toBe('type');
  });
});
