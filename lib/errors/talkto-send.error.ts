import { TalktoError } from '../protocol/errors/talkto.error.js';

/** `send()` was asked for something that can never be delivered; nothing was stored. */
export class TalktoSendError extends TalktoError {
  constructor(
    readonly code: 'unknown_target' | 'invalid_send_option' | 'duplicate_message_id',
    field: string,
    message: string,
  ) {
    super(message, field);
  }
}
