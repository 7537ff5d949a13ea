import { TalktoError } from '../../protocol/errors/talkto.error.js';

/** The queue layer was wired or called in a way that cannot work (a bug in the caller). */
export class TalktoQueueUsageError extends TalktoError {
  readonly code = 'queue_usage';

  constructor(message: string, field?: string) {
    super(message, field);
  }
}
