/** Status values of BEHAVIOR §2 that the ledger reads or writes. */
export const MessageStatus = {
  created: 'created',
  queued: 'queued',
  pending: 'pending',
  processing: 'processing',
  waitingToSend: 'waiting_to_send',
  sending: 'sending',
  sent: 'sent',
  received: 'received',
  destinationReceived: 'destination_received',
  succeeded: 'succeeded',
  succeededAssumed: 'succeeded_assumed',
  completed: 'completed',
  skipped: 'skipped',
  failed: 'failed',
  failedRetryable: 'failed_retryable',
  failedFinal: 'failed_final',
  cancelled: 'cancelled',
  unknown: 'unknown',
} as const;

export type DuplicateStatus = 'already_received' | 'already_accepted' | 'already_processed';

const S = MessageStatus;

/** A send job never sends from these overall statuses (§3.1). */
export const NOT_SENDABLE = [
  S.sending,
  S.sent,
  S.destinationReceived,
  S.succeeded,
  S.completed,
  S.failedFinal,
];

/** Processing is refused when overall or destination status is one of these (§3.2). */
export const NOT_PROCESSABLE = [
  S.processing,
  S.succeeded,
  S.completed,
  S.failedFinal,
  S.cancelled,
  S.skipped,
];

/** An existing incoming message in one of these statuses turns a reused idempotency key into a duplicate. */
export const IDEMPOTENCY_PROTECTED = [
  S.queued,
  S.processing,
  S.waitingToSend,
  S.failedRetryable,
  S.completed,
  S.succeeded,
];

/** The duplicate answer for an existing message found by idempotency fingerprint (PROTOCOL §9.3). */
export function duplicateStatusFor(overallStatus: string): DuplicateStatus {
  if (overallStatus === S.completed || overallStatus === S.succeeded) {
    return 'already_processed';
  }
  return (IDEMPOTENCY_PROTECTED as readonly string[]).includes(overallStatus)
    ? 'already_accepted'
    : 'already_received';
}
