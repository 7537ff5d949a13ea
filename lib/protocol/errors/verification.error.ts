import { TalktoError } from './talkto.error.js';

/** Every code the envelope verifier can answer with, and its HTTP status (§8.3). */
export const VERIFICATION_HTTP_STATUS = {
  missing_required_field: 422,
  invalid_envelope_field: 422,
  invalid_header_value_count: 422,
  unsupported_signature_version: 401,
  missing_signature_header: 401,
  invalid_signature: 401,
  timestamp_outside_tolerance: 401,
  missing_nonce: 401,
  missing_timestamp: 401,
  unknown_source: 403,
  wrong_target: 403,
  command_not_allowed: 403,
  missing_idempotency_key: 422,
  payload_hash_mismatch: 422,
  missing_source_secret: 403,
} as const;

export type VerificationErrorCode = keyof typeof VERIFICATION_HTTP_STATUS;

/** The envelope was refused by verification (§8.1 step 3). Fail closed: nothing may be stored. */
export class TalktoVerificationError extends TalktoError {
  readonly httpStatus: number;

  constructor(
    readonly code: VerificationErrorCode,
    field?: string,
    options?: { cause?: unknown },
  ) {
    super(`Talkto envelope rejected: ${code}${field === undefined ? '' : ` [${field}]`}.`, field, options);
    this.httpStatus = VERIFICATION_HTTP_STATUS[code];
  }
}
