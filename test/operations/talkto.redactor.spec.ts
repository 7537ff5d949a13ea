import { describe, expect, it } from '@jest/globals';
import { DEFAULT_REDACTED_KEYS, TalktoRedactor } from '../../lib/operations/talkto.redactor.js';

describe('TalktoRedactor', () => {
  const redactor = new TalktoRedactor({ keys: ['iban'], secrets: ['s3cr3t-value-shared-with-peer'] });

  it('hides values of sensitive keys at any depth, matching normalised substrings', () => {
    expect(
      redactor.redact({
        Order: 1,
        'API-Key': 'k',
        nested: [{ access_token: 't', Customer_IBAN: 'DE00', name: 'Ann' }],
        business_key: 'order:1',
      }),
    ).toEqual({
      Order: 1,
      'API-Key': '[redacted]',
      nested: [{ access_token: '[redacted]', Customer_IBAN: '[redacted]', name: 'Ann' }],
      business_key: '[redacted]',
    });
    expect(DEFAULT_REDACTED_KEYS).toContain('private_key');
  });

  it('masks configured secrets and credential patterns in text', () => {
    const text =
      'signing with s3cr3t-value-shared-with-peer failed; X-Talkto-Signature: abc\n' +
      '{"password":"p@ss","id":3} token=xyz Bearer eyJhbGc.def';
    expect(redactor.redactText(text)).toBe(
      'signing with [redacted] failed; X-Talkto-Signature: [redacted]\n' +
        '{"password":"[redacted]","id":3} token=[redacted] Bearer [redacted]',
    );
  });

  it("hides sensitive keys of a peer's JSON answer and masks secrets in one that is not JSON", () => {
    expect(JSON.parse(redactor.redactBody('{"error":"invalid_signature","token":"t-1"}'))).toEqual({
      error: 'invalid_signature',
      token: '[redacted]',
    });
    expect(redactor.redactBody('<h1>403 s3cr3t-value-shared-with-peer</h1>')).toBe('<h1>403 [redacted]</h1>');
  });

  it('hides signature, nonce and cookie headers', () => {
    expect(redactor.redactHeaders({ 'X-Talkto-Nonce': 'n', Cookie: 'c', 'X-Talkto-Source': 'shop' })).toEqual(
      { 'X-Talkto-Nonce': '[redacted]', Cookie: '[redacted]', 'X-Talkto-Source': 'shop' },
    );
  });

  it('shows only top-level keys of a payload unless asked to reveal redacted values', () => {
    const payload = '{"a":1,"secret":"x"}';
    expect(redactor.presentPayload(payload, false)).toEqual({ redacted: true, keys: ['a', 'secret'] });
    expect(redactor.presentPayload(payload, true)).toEqual({ a: 1, secret: '[redacted]' });
    expect(redactor.presentPayload(null, true)).toBeNull();
  });
});
