import { createHash, hash } from 'node:crypto';

import { encodeCanonicalJson } from './json/canonical-json.js';
import type { PhpValue } from './json/php-value.js';

/** Lowercase hex SHA-256 of a string's UTF-8 bytes (or of raw bytes). */
export function sha256Hex(data: string | Uint8Array): string {
  // The one-shot form skips building a Hash object; strings are hashed as UTF-8 by both.
  return typeof data === 'string'
    ? hash('sha256', data, 'hex')
    : createHash('sha256').update(data).digest('hex');
}

/**
 * The envelope's `payload_hash` (PROTOCOL §5): SHA-256 of the canonical JSON of the payload as
 * PHP decoded it. A missing payload is `null` and hashes the four bytes `null`.
 */
export function payloadHash(value: PhpValue): string {
  return sha256Hex(encodeCanonicalJson(value));
}
