import { TalktoError } from './talkto.error.js';

/** Stable codes of the payload freezer, named as the PHP package names them. */
export type PayloadValueErrorCode =
  | 'payload_non_finite_float'
  | 'payload_invalid_utf8'
  | 'payload_circular_reference'
  | 'payload_depth_exceeded'
  | 'payload_closure'
  | 'payload_generator'
  | 'payload_unsupported_type'
  | 'payload_datetime_unsupported'
  | 'payload_traversable_object'
  | 'payload_internal_object'
  | 'payload_unsupported_object'
  | 'payload_object_conversion_failed'
  | 'payload_json_encoding_failed';

/**
 * A host value that cannot become a payload. `path` locates it (`$`, `$.items["0"]`,
 * `$["key with space"]`, at most 240 characters); the message never carries the value.
 */
export class TalktoPayloadValueError extends TalktoError {
  readonly code: PayloadValueErrorCode;

  constructor(
    code: PayloadValueErrorCode,
    readonly path: string,
    detail: string,
    options?: { cause?: unknown },
  ) {
    super(`Unsupported payload value at [${path}]: ${detail} (${code}).`, undefined, options);
    this.code = code;
  }
}
