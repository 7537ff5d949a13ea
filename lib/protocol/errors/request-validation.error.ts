import { TalktoError } from './talkto.error.js';

/**
 * The request body failed the receiver's type/length rules (§4.1). `details` maps each failing
 * field to the failed rule keys (`required`, `string`, `max.string`, ...), in rule order.
 */
export class TalktoRequestValidationError extends TalktoError {
  readonly code = 'validation_failed';

  constructor(readonly details: Record<string, string[]>) {
    super(`Talkto request validation failed for: ${Object.keys(details).join(', ')}.`);
  }
}
