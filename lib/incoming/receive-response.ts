/** An HTTP answer of the receive or callback route: status and JSON body. */
export interface TalktoHttpAnswer {
  status: number;
  body: Record<string, unknown>;
}

export type DuplicateStatus = 'already_received' | 'already_accepted' | 'already_processed';

/** Answers of the command route, shaped exactly as a PHP receiver shapes them (PROTOCOL §8.2). */
export const receiveAnswers = {
  queued: (messageId: string): TalktoHttpAnswer => ({
    status: 202,
    body: { received: true, status: 'queued', message_id: messageId },
  }),
  duplicate: (status: DuplicateStatus, messageId: string): TalktoHttpAnswer => ({
    status: 200,
    body: { received: true, duplicate: true, status, message_id: messageId },
  }),
  rejected: (httpStatus: number, error: string, field?: string): TalktoHttpAnswer => ({
    status: httpStatus,
    body: { received: false, status: 'rejected', error, ...(field === undefined ? {} : { field }) },
  }),
  validationFailed: (details: Record<string, string[]>): TalktoHttpAnswer => ({
    status: 422,
    body: { received: false, status: 'validation_failed', error: 'validation_failed', details },
  }),
};
