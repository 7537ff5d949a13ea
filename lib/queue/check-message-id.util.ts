import { TalktoQueueUsageError } from './errors/queue-usage.error.js';

/** Message ids are database keys: positive safe integers. */
export function isMessageId(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value > 0;
}

export function assertMessageId(value: unknown): asserts value is number {
  if (!isMessageId(value)) {
    throw new TalktoQueueUsageError('A queued message id must be a positive safe integer.', 'messageId');
  }
}
