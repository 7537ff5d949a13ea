import type { TalktoMessageEntity } from './entities/message.entity.js';
import type { ConsumeNonceInput } from './nonce.store.js';
import type { DuplicateStatus } from './message.statuses.js';

/** A new outgoing command or callback; `payload` is body-JSON text from the protocol encoder. */
export interface CreateOutgoingInput {
  messageId: string;
  correlationId?: string | null;
  parentMessageId?: string | null;
  source: string;
  target: string;
  command: string;
  businessKey?: string | null;
  idempotencyKey?: string | null;
  schemaVersion?: number;
  payload: string | null;
  payloadHash: string | null;
  maxAttempts: number;
  /** Defaults to `succeeded_assumed`. */
  sourceActionStatus?: string;
  /** Extra meta for the `message_created` event (flow name, source result...). */
  eventMeta?: Record<string, unknown>;
  /** W3C trace context to send along (never signed). */
  traceparent?: string | null;
  now?: Date;
}

/** A verified incoming command as it arrived. */
export interface InsertIncomingInput {
  messageId: string;
  correlationId?: string | null;
  parentMessageId?: string | null;
  source: string;
  target: string;
  command: string;
  businessKey?: string | null;
  idempotencyKey?: string | null;
  schemaVersion?: number;
  payload: string | null;
  payloadHash: string | null;
  /** The sender's W3C trace context, when it sent a valid one. */
  traceparent?: string | null;
  now?: Date;
  /**
   * The request's nonce (PROTOCOL §8.1 step 5), recorded in the message's own transaction; a
   * nonce used before makes the result `replay`. A duplicate by idempotency key still records it.
   */
  nonce?: ConsumeNonceInput | null;
}

export type InsertIncomingResult =
  | { kind: 'stored'; message: TalktoMessageEntity }
  | { kind: 'duplicate'; status: DuplicateStatus; messageId: string }
  | { kind: 'replay' };

/** Proof that one worker owns a message until it records an outcome or the lease runs out. */
export interface MessageClaim {
  id: number;
  workerId: string;
  attemptId: number;
  attemptNo: number;
  /** `sending` for sends, `processing` for handler runs. */
  heldStatus: 'sending' | 'processing';
  /** The claimed row's message id and the service whose log it is (set by the ledger's claims). */
  messageId?: string;
  service?: string;
}

export interface ClaimedMessage {
  message: TalktoMessageEntity;
  claim: MessageClaim;
}

/** A 2xx answer to a send. */
export interface SentResponse {
  httpStatus: number;
  /** First 2000 characters are kept. */
  body: string | null;
  /** `received:true` in the JSON body. */
  received: boolean;
  /** The body's `status` when received (`queued`, `already_received`...). */
  destinationStatus?: string | null;
  now?: Date;
}

export interface FailureInput {
  error: string;
  errorClass?: string | null;
  httpStatus?: number | null;
  responseBody?: string | null;
  now?: Date;
  attemptMeta?: Record<string, unknown>;
}

export interface RetryableFailureInput extends FailureInput {
  nextRetryAt: Date;
  /** The per-stage column set to `failed`: `transport_status` (sends) or `destination_action_status`. */
  column: 'transport_status' | 'destination_action_status';
  /** Extra meta for the `retry_scheduled` event (backoff, reason...). */
  retryMeta?: Record<string, unknown>;
  /** The peer pushed back (BEHAVIOR §19.54 still counts the retry): `max_attempts` grows with it. */
  throttled?: boolean;
}

export interface FinalFailureInput extends FailureInput {
  column: 'transport_status' | 'destination_action_status';
  /** Store a dead letter (BEHAVIOR §9.1). */
  deadLetter: boolean;
  /** Event recorded besides the failure event, e.g. `retry_exhausted` or `retry_not_scheduled`. */
  retryEvent?: string;
  /** Meta of that retry event (BEHAVIOR §2.5). */
  retryMeta?: Record<string, unknown>;
  /** The peer answered but refused (a 2xx callback answer without `accepted: true`). */
  destination?: { receiveStatus: string; actionStatus: string | null };
}

/** A 2xx `accepted: true` answer to a result-callback delivery. */
export interface CallbackDeliveredInput {
  httpStatus: number;
  body: string | null;
  /** The answer's `status`: `applied`, `duplicate` or `stale_ignored`. */
  callbackStatus: string | null;
  duplicate: boolean;
  originalMessageId: string | null;
  now?: Date;
}

/** A verified result callback to apply to the original outgoing message (PROTOCOL §11.6). */
export interface ApplyCallbackInput {
  /** The original as the caller read it; if it has changed since, it is read again. */
  original: TalktoMessageEntity;
  callbackMessageId: string;
  status: string;
  source: string;
  command: string;
  errorMessage: string | null;
  result: unknown;
  meta: unknown;
  now?: Date;
}

export interface ApplyCallbackResult {
  application: 'applied' | 'duplicate' | 'stale_ignored';
  /** The original as it stands after this callback. */
  original: TalktoMessageEntity;
}

/** A handler's outcome (BEHAVIOR §5.4). */
export type ProcessOutcome =
  | { kind: 'succeeded'; result?: Record<string, unknown>; meta?: Record<string, unknown> }
  | { kind: 'skipped'; meta?: Record<string, unknown> }
  | {
      kind: 'failed_retryable';
      error: string;
      errorClass?: string | null;
      nextRetryAt: Date | null;
      /** Meta of the `retry_scheduled` event. */
      retryMeta?: Record<string, unknown>;
    }
  | {
      kind: 'failed_final';
      error: string;
      errorClass?: string | null;
      retryExhausted?: boolean;
      retryMeta?: Record<string, unknown>;
      deadLetter: boolean;
    };

export interface RecordEventInput {
  talktoMessageId: number | null;
  messageId: string | null;
  serviceName: string;
  eventType: string;
  oldStatus?: string | null;
  newStatus?: string | null;
  meta?: Record<string, unknown> | null;
  now?: Date;
}

/** What a processing outcome brings along, written in the same commit and only when it is. */
export interface ProcessedFollowUp {
  /** Events recorded after the outcome's own (e.g. why no result callback is sent). */
  notes?: RecordEventInput[];
  /**
   * The result callback that reports the outcome (BEHAVIOR §10.1 step 3): its outgoing row is
   * created with the outcome, unless the row for this (original, status) exists already.
   */
  callback?: CreateOutgoingInput | null;
}

/** What an outcome's write created with it. */
export interface ProcessedRecord {
  /** The id of the result callback row (`ProcessedFollowUp.callback`) when this write created it. */
  callbackId: number | null;
}

export interface RecordAttemptInput {
  talktoMessageId: number | null;
  messageId: string | null;
  stage: 'transport' | 'destination_processor';
  attemptNo: number;
  status: string;
  httpStatus?: number | null;
  errorClass?: string | null;
  errorMessage?: string | null;
  responseExcerpt?: string | null;
  meta?: Record<string, unknown> | null;
  now?: Date;
}

/** The re-dispatching operations of BEHAVIOR §6.4, plus the background sweeper. */
export type DispatchOperation =
  | 'retry-command'
  | 'panel-retry'
  | 'dlq-command'
  | 'panel-dlq-reprocess'
  | 'stale-recovery'
  | 'result-callback'
  | 'sweeper';

export interface DispatchClaimOptions {
  now: Date;
  /** How long the claim keeps other dispatchers away; the job normally takes it over sooner. */
  leaseMs: number;
}

/** A row claimed for one queue hand-over; `claimId` is its `locked_by`. */
export interface DispatchClaim {
  id: number;
  messageId: string;
  direction: 'incoming' | 'outgoing';
  command: string;
  claimId: string;
  previousLockedBy: string | null;
}

export type DeadLetterReprocessClaim =
  | { kind: 'claimed'; claim: DispatchClaim; message: TalktoMessageEntity }
  | {
      kind: 'refused';
      reason:
        | 'missing_original'
        | 'unsupported_direction'
        | 'terminal_success'
        | 'active_message_operation'
        | 'active_claim'
        | 'changed';
      message?: TalktoMessageEntity;
    };

/** Narrows the sweeper and operator queries. */
export interface DueRowFilter {
  direction?: 'incoming' | 'outgoing';
  /** Only rows this service owns (outgoing from it, incoming to it). */
  service?: string;
  /** `findDispatchable`: only rows untouched since then, so the regular dispatch goes first. */
  waitedBefore?: Date;
}

export interface DeadLetterInput {
  reason?: string | null;
  exceptionClass?: string | null;
  exceptionMessage?: string | null;
  now?: Date;
}
