import { TalktoError } from '../../protocol/errors/talkto.error.js';

/**
 * A job could not be handed to the queue (Redis unreachable, driver stopped). Callers treat it as
 * "the sweeper will dispatch this row later"; the message itself is safe in the database.
 */
export class TalktoQueueUnavailableError extends TalktoError {
  readonly code = 'queue_unavailable';

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, undefined, options);
  }
}
