import { createHash } from 'node:crypto';

import { encodeCanonicalJson } from './json/canonical-json.js';
import type { PhpValue } from './json/php-value.js';

/** Lowercase hex SHA-256 of a string's UTF-8 bytes (or of raw bytes). */
export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/**
 * The envelope's `payload_hash` (PROTOCOL §5): SHA-256 of the canonical JSON of the payload as
 * PHP decoded it. A missing payload is `null` and hashes the four bytes `null`.
 */
export function payloadHash(value: PhpValue): string {
  return sha256Hex(encodeCanonicalJson(value));
}
