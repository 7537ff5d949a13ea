import { TalktoError } from './talkto.error.js';

/** Why a value cannot be written as JSON; the same refusals as PHP's `json_encode`. */
export type JsonEncodeFailure =
  'non_finite_float' | 'depth' | 'invalid_utf8' | 'int_out_of_range' | 'unsupported_type';

/** A value that PHP could not encode either (infinite float, nesting beyond 512, unpaired surrogate). */
export class TalktoJsonEncodeError extends TalktoError {
  readonly code = 'json_encoding_failed';

  constructor(readonly reason: JsonEncodeFailure) {
    super(`Unable to encode Talkto JSON (${reason}).`);
  }
}
