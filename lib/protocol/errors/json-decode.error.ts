import { TalktoError } from './talkto.error.js';

/** Why a JSON text was refused; mirrors the failure classes of PHP's `json_decode`. */
export type JsonDecodeFailure =
  | 'empty'
  | 'syntax'
  | 'depth'
  | 'invalid_utf8'
  | 'unpaired_surrogate'
  | 'control_character'
  | 'invalid_property_name';

/** The text is not JSON that PHP's `json_decode` would accept. Answered as 422 `invalid_json`. */
export class TalktoJsonDecodeError extends TalktoError {
  readonly code = 'invalid_json';

  constructor(
    readonly reason: JsonDecodeFailure,
    readonly position?: number,
  ) {
    super(
      position === undefined
        ? `Invalid JSON (${reason}).`
        : `Invalid JSON (${reason}) at character ${position}.`,
    );
  }
}
