import { createHash } from 'node:crypto';
import { sha256Hex as sha256 } from './payload-hash.js';

/** Nonce ledger key: the raw nonce is never stored, only this digest scoped to (source, target). */
export function nonceLedgerHash(source: string, target: string, nonce: string): string {
  return sha256(`v2|${source}|${target}|${nonce}`);
}

/** Business idempotency fingerprint (§9.3); `null` when there is no key to dedupe on. */
export function idempotencyFingerprint(
  direction: 'incoming' | 'outgoing',
  source: string,
  target: string,
  command: string,
  key: string | null | undefined,
): string | null {
  if (typeof key !== 'string' || key === '') {
    return null;
  }
  return sha256(`${direction}|${source}|${target}|${command}|${key}`);
}

/** Deterministic callback id: one callback message per (original message, status). */
export function callbackMessageId(originalMessageId: string, status: string): string {
  return `cb-${createHash('sha1').update(`${originalMessageId}|${status}`, 'utf8').digest('hex')}`;
}

export function callbackIdempotencyKey(originalMessageId: string, status: string): string {
  return `talkto:callback:${originalMessageId}:${status}`;
}
