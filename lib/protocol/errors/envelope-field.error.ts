import { TalktoError } from './talkto.error.js';

/** Why a value failed the identifier or header rules (§7). */
export type EnvelopeFieldReason =
  | 'type'
  | 'missing'
  | 'invalid_utf8'
  | 'control_character'
  | 'nul_character'
  | 'header_name'
  | 'header_value_type'
  | 'invalid_header_value_count'
  | 'header_collision';

export type EnvelopeFieldErrorCode = 'invalid_envelope_field' | 'invalid_header_value_count';

const DESCRIPTIONS: Record<EnvelopeFieldReason, string> = {
  type: 'Talkto envelope field [%] must be a string.',
  missing: 'Talkto envelope field [%] is required.',
  invalid_utf8: 'Talkto envelope field [%] is not valid UTF-8.',
  control_character: 'Talkto envelope field [%] contains a forbidden control character.',
  nul_character: 'Talkto envelope field [%] contains a NUL character, which is never stored.',
  header_name: 'Talkto header name [%] is not an RFC 7230 token.',
  header_value_type: 'Talkto header [%] has a value that is not a string or number.',
  invalid_header_value_count: 'Talkto protocol header [%] must carry exactly one value.',
  header_collision: 'Custom header [%] collides with a Talkto protocol header.',
};

/**
 * An envelope identifier or HTTP header broke the identifier/header rules. The message names the
 * logical field only, never the offending value.
 */
export class TalktoEnvelopeFieldError extends TalktoError {
  readonly code: EnvelopeFieldErrorCode;
  declare readonly field: string;

  constructor(
    field: string,
    readonly reason: EnvelopeFieldReason,
  ) {
    super(DESCRIPTIONS[reason].replace('%', field), field);
    this.code =
      reason === 'invalid_header_value_count' ? 'invalid_header_value_count' : 'invalid_envelope_field';
  }
}
