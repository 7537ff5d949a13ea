import { describe, expect, it } from '@jest/globals';
import { TalktoEnvelopeFieldError } from '../../lib/protocol/errors/envelope-field.error.js';
import { validateTalktoHeaders, type ConfiguredHeaderNames } from '../../lib/protocol/headers.validator.js';
import { readTalktoHeader, type TalktoHeaders } from '../../lib/protocol/talkto.headers.js';

/** Node's view of a UTF-8 header value: one char per byte. */
const wire = (text: string): string => Buffer.from(text, 'utf8').toString('latin1');

function failureOf(headers: TalktoHeaders, names?: ConfiguredHeaderNames): Record<string, unknown> | null {
  try {
    validateTalktoHeaders(headers, names);
    return null;
  } catch (error) {
    if (!(error instanceof TalktoEnvelopeFieldError)) {
      throw error;
    }
    return { code: error.code, field: error.field, reason: error.reason };
  }
}

describe('validateTalktoHeaders', () => {
  it('accepts ordinary protocol and custom headers, including numbers and non-ASCII values', () => {
    expect(
      failureOf({
        'x-talkto-signature': 'ab',
        'X-Talkto-Timestamp': 1781956800,
        'x-custom': wire('تهران'),
        accept: ['a', 'b'],
        skipped: undefined,
      }),
    ).toBeNull();
  });

  it('rejects a header name that is not an RFC 7230 token', () => {
    expect(failureOf({ 'X Talkto': 'v' })).toEqual({
      code: 'invalid_envelope_field',
      field: 'header_name',
      reason: 'header_name',
    });
  });

  it.each([
    ['x-talkto-signature', 'signature'],
    ['x-talkto-timestamp', 'timestamp'],
    ['x-talkto-message-id', 'message_id'],
    ['x-talkto-protocol-version', 'protocol_version'],
    ['x-talkto-signature-version', 'signature_version'],
    ['x-talkto-payload-hash', 'payload_hash'],
    ['x-talkto-nonce', 'nonce'],
    ['x-anything-else', 'header_value'],
  ])('reports a control character in %s as field %s', (name, field) => {
    expect(failureOf({ [name]: 'a\tb' })).toEqual({
      code: 'invalid_envelope_field',
      field,
      reason: 'control_character',
    });
  });

  it('rejects invalid UTF-8 bytes in a value', () => {
    expect(failureOf({ 'x-custom': 'a\u00ff' })?.reason).toBe('invalid_utf8');
  });

  it('requires exactly one value for singular protocol headers, but lets other headers repeat', () => {
    expect(failureOf({ 'X-Talkto-Nonce': ['a', 'b'] })).toEqual({
      code: 'invalid_header_value_count',
      field: 'nonce',
      reason: 'invalid_header_value_count',
    });
    expect(failureOf({ 'X-Talkto-Signature': [] })?.code).toBe('invalid_header_value_count');
    expect(failureOf({ 'X-Talkto-Signature': ['abc'] })).toBeNull();
    expect(failureOf({ 'X-Custom': ['a', 'b'] })).toBeNull();
  });

  it('merges names that differ only in case before counting values', () => {
    expect(failureOf({ 'X-Talkto-Timestamp': '1', 'x-talkto-timestamp': '2' })?.code).toBe(
      'invalid_header_value_count',
    );
  });

  it('treats configured version and nonce header names as singular protocol headers', () => {
    const names = { signature_version_header_name: 'X-Sig-Ver', nonce_header_name: 'X-My-Nonce' };
    expect(failureOf({ 'x-my-nonce': ['a', 'b'] }, names)).toMatchObject({ field: 'nonce' });
    expect(failureOf({ 'x-sig-ver': 'v\n2' }, names)).toMatchObject({ field: 'signature_version' });
  });

  it('rejects a bad configured header name under its configuration field', () => {
    expect(failureOf({}, { nonce_header_name: 'X Nonce' })).toMatchObject({ field: 'nonce_header_name' });
  });
});

describe('readTalktoHeader', () => {
  it('finds a header case-insensitively and decodes its bytes as UTF-8', () => {
    expect(readTalktoHeader({ 'x-custom': wire('تهران') }, 'X-Custom')).toBe('تهران');
  });

  it('returns the first of several values and null for absent or empty headers', () => {
    expect(readTalktoHeader({ 'X-A': ['one', 'two'] }, 'x-a')).toBe('one');
    expect(readTalktoHeader({ 'X-A': '' }, 'x-a')).toBeNull();
    expect(readTalktoHeader({}, 'x-a')).toBeNull();
  });

  it('stringifies numeric values', () => {
    expect(readTalktoHeader({ 'x-talkto-timestamp': 1781956800 }, 'X-Talkto-Timestamp')).toBe('1781956800');
  });
});
