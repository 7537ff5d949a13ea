import { createHmac } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { TalktoEnvelopeFieldError } from '../../lib/protocol/errors/envelope-field.error.js';
import {
  safeEqualHex,
  signTalkto,
  v1SigningString,
  v2SigningString,
  type SigningFields,
} from '../../lib/protocol/signature.signer.js';

// PROTOCOL.md §13 example A.
const EXAMPLE: SigningFields = {
  message_id: 'msg-0001',
  timestamp: '2026-06-20T10:15:30+00:00',
  nonce: '6f1c2a9e-4b7d-4c3e-9a10-2b5d8e7f0c11',
  source: 'website-service',
  target: 'inventory-service',
  command: 'catalog.sync',
  payload_hash: '80a5b315ac275e47ea50cb8f97ba111c7a6b2fc9a150e5bd09c3854da8cba0b6',
};
const SECRET = 'example-shared-secret-0123456789';

function rejectionOf(run: () => unknown): { field?: string; reason: string } | null {
  try {
    run();
    return null;
  } catch (error) {
    if (!(error instanceof TalktoEnvelopeFieldError)) {
      throw error;
    }
    return { field: error.field, reason: error.reason };
  }
}

describe('v1 and v2 signing strings', () => {
  it('joins the six v1 fields with dots in protocol order', () => {
    expect(v1SigningString(EXAMPLE)).toBe(
      'msg-0001.2026-06-20T10:15:30+00:00.website-service.inventory-service.catalog.sync.' +
        EXAMPLE.payload_hash,
    );
  });

  it('joins the eight v2 lines with LF and no trailing newline', () => {
    expect(v2SigningString(EXAMPLE)).toBe(
      [
        'v2',
        EXAMPLE.timestamp,
        EXAMPLE.nonce,
        'msg-0001',
        'website-service',
        'inventory-service',
        'catalog.sync',
        EXAMPLE.payload_hash,
      ].join('\n'),
    );
  });

  it('signs a null nonce and an empty nonce identically', () => {
    expect(v2SigningString({ ...EXAMPLE, nonce: null })).toBe(v2SigningString({ ...EXAMPLE, nonce: '' }));
    expect(v2SigningString({ ...EXAMPLE, nonce: null }).split('\n')[2]).toBe('');
  });

  it('uses fields verbatim, so a dot in a v1 field shifts meaning without changing the string', () => {
    const a = v1SigningString({ ...EXAMPLE, source: 'svc.a', target: 'b' });
    const b = v1SigningString({ ...EXAMPLE, source: 'svc', target: 'a.b' });
    expect(a).toBe(b);
  });

  it('reproduces the spec signatures for example A', () => {
    expect(signTalkto(SECRET, v1SigningString(EXAMPLE))).toBe(
      'bbbb31b7c434dd15c27432bab88f046bdfc121de88322caad141e685e1fba0d6',
    );
    expect(signTalkto(SECRET, v2SigningString(EXAMPLE))).toBe(
      'b0aa5e0e74fc69910cffca3c0d66b1a23677d50127ae21d8b2bf6c0f91ab0147',
    );
  });

  it('keys the HMAC with the UTF-8 bytes of the secret and message', () => {
    expect(signTalkto('ключ', 'тело')).toBe(
      createHmac('sha256', Buffer.from('ключ', 'utf8')).update(Buffer.from('тело', 'utf8')).digest('hex'),
    );
  });

  it('names the field at fault with the PHP field names', () => {
    expect(rejectionOf(() => v1SigningString({ ...EXAMPLE, source: 'a\nb' }))).toEqual({
      field: 'source_service',
      reason: 'control_character',
    });
    expect(rejectionOf(() => v2SigningString({ ...EXAMPLE, target: 'a\u2029' }))).toEqual({
      field: 'target_service',
      reason: 'control_character',
    });
    expect(rejectionOf(() => v2SigningString({ ...EXAMPLE, payload_hash: Uint8Array.from([0xff]) }))).toEqual(
      {
        field: 'payload_hash',
        reason: 'invalid_utf8',
      },
    );
  });

  it('checks fields in signing order and reports the first failure', () => {
    const broken = { ...EXAMPLE, message_id: 'a\nb', timestamp: 'x\ty', source: 'c\u0000d' };
    expect(rejectionOf(() => v1SigningString(broken))?.field).toBe('message_id');
    expect(rejectionOf(() => v2SigningString(broken))?.field).toBe('timestamp');
  });

  it('validates the nonce only for v2, where it is signed', () => {
    const badNonce = { ...EXAMPLE, nonce: 'abc\ndef' };
    expect(rejectionOf(() => v1SigningString(badNonce))).toBeNull();
    expect(rejectionOf(() => v2SigningString(badNonce))).toEqual({
      field: 'nonce',
      reason: 'control_character',
    });
  });

  it('signs valid raw bytes the same as the equivalent string', () => {
    const bytes = { ...EXAMPLE, source: Buffer.from('تهران', 'utf8') };
    expect(v2SigningString(bytes)).toBe(v2SigningString({ ...EXAMPLE, source: 'تهران' }));
  });
});

describe('safeEqualHex', () => {
  const hex = 'b0aa5e0e74fc69910cffca3c0d66b1a23677d50127ae21d8b2bf6c0f91ab0147';

  it('accepts only the identical string', () => {
    expect(safeEqualHex(hex, hex)).toBe(true);
    expect(safeEqualHex(hex, hex.toUpperCase())).toBe(false);
    expect(safeEqualHex(hex, `${hex.slice(0, -1)}8`)).toBe(false);
  });

  it('treats a different length as a mismatch instead of throwing', () => {
    expect(safeEqualHex(hex, hex.slice(1))).toBe(false);
    expect(safeEqualHex(hex, '')).toBe(false);
  });
});
