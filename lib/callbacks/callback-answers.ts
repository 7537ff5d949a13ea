import type { TalktoHttpAnswer } from '../incoming/receive-response.js';

/** Ids a callback rejection may name: known only once the body passed validation. */
export interface CallbackIds {
  messageId?: string | null;
  originalMessageId?: string | null;
}

/** Answers of the callback route, shaped as a PHP receiver shapes them (PROTOCOL §11.5). */
export const callbackAnswers = {
  accepted: (
    status: 'applied' | 'duplicate' | 'stale_ignored',
    messageId: string,
    originalMessageId: string,
  ): TalktoHttpAnswer => ({
    status: 200,
    body: {
      accepted: true,
      status,
      message_id: messageId,
      original_message_id: originalMessageId,
      duplicate: status === 'duplicate',
    },
  }),
  /** Unknown ids and fields are left out, not sent as null. */
  rejected: (httpStatus: number, error: string, ids: CallbackIds = {}, field?: string): TalktoHttpAnswer => ({
    status: httpStatus,
    body: {
      accepted: false,
      status: 'rejected',
      ...(ids.messageId == null ? {} : { message_id: ids.messageId }),
      ...(ids.originalMessageId == null ? {} : { original_message_id: ids.originalMessageId }),
      duplicate: false,
      error,
      ...(field === undefined ? {} : { field }),
    },
  }),
  /** The one rejection whose unknown ids are written as null. */
  invalidJson: (): TalktoHttpAnswer => ({
    status: 422,
    body: {
      accepted: false,
      status: 'rejected',
      message_id: null,
      original_message_id: null,
      duplicate: false,
      error: 'invalid_json',
    },
  }),
};
