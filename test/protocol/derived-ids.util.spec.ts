import { createHash } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import {
  callbackIdempotencyKey,
  callbackMessageId,
  idempotencyFingerprint,
  nonceLedgerHash,
} from '../../lib/protocol/derived-ids.util.js';

const sha256 = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');

describe('derived identifiers', () => {
  it('hashes the nonce ledger key over version, source, target and nonce (spec example A)', () => {
    expect(
      nonceLedgerHash('website-service', 'inventory-service', '6f1c2a9e-4b7d-4c3e-9a10-2b5d8e7f0c11'),
    ).toBe('ef7e846d51fc63859b2595d539a5e396788af5581920425c1ffbd59e53e0e589');
  });

  it('scopes the nonce hash to the source and target', () => {
    expect(nonceLedgerHash('a', 'b', 'n')).not.toBe(nonceLedgerHash('a', 'c', 'n'));
    expect(nonceLedgerHash('a', 'b', 'n')).toBe(sha256('v2|a|b|n'));
  });

  it('fingerprints idempotency keys per direction, source, target and command', () => {
    expect(
      idempotencyFingerprint(
        'incoming',
        'website-service',
        'inventory-service',
        'catalog.sync',
        'order-42:v1',
      ),
    ).toBe('cc4999465078b8a5baf3c10470e8604ea5bf2237ffa429984345cb6ccb79d6c5');
    expect(idempotencyFingerprint('outgoing', 's', 't', 'c', 'k')).toBe(sha256('outgoing|s|t|c|k'));
  });

  it('has no fingerprint without a key', () => {
    expect(idempotencyFingerprint('incoming', 's', 't', 'c', '')).toBeNull();
    expect(idempotencyFingerprint('incoming', 's', 't', 'c', null)).toBeNull();
    expect(idempotencyFingerprint('incoming', 's', 't', 'c', undefined)).toBeNull();
  });

  it('derives one callback id per original message and status (spec example E)', () => {
    expect(callbackMessageId('msg-0001', 'succeeded')).toBe('cb-eec0682928d8294f8d2690d53fa38257fb480adf');
    expect(callbackMessageId('msg-0001', 'failed_retryable')).toBe(
      'cb-2a8f8cea72aea6d0c83f435cc66459f07a7fc0db',
    );
  });

  it('builds the callback idempotency key from the original id and status', () => {
    expect(callbackIdempotencyKey('msg-0001', 'succeeded')).toBe('talkto:callback:msg-0001:succeeded');
  });
});
