import type { DataSource, EntityManager } from 'typeorm';
import { TalktoAttemptEntity } from './entities/attempt.entity.js';
import { TalktoDeadLetterEntity } from './entities/dead-letter.entity.js';
import { TalktoEventEntity } from './entities/event.entity.js';
import { TalktoMessageEntity } from './entities/message.entity.js';
import { TalktoNonceEntity } from './entities/nonce.entity.js';
import { eventRow, insertEvent, localServiceOf, upsertDeadLetter } from './message-history.writer.js';
import type {
  ClaimedMessage,
  CreateOutgoingInput,
  DeadLetterInput,
  FailureInput,
  FinalFailureInput,
  MessageClaim,
  ProcessedFollowUp,
  ProcessedRecord,
  RecordEventInput,
  RetryableFailureInput,
} from './message-ledger.interfaces.js';
import { type ConsumeNonceInput, NonceStore, nonceRow } from './nonce.store.js';
import { MessageStatus as S } from './message.statuses.js';
import { type ClaimSpec, claimRow } from './claim-row.util.js';
import {
  messageRow,
  newOutgoing,
  OUTGOING_START,
  outgoingFingerprint,
  withoutNulls,
} from './message-row.util.js';
import {
  type ChainStep,
  findRow,
  INCREMENT,
  InsertedRowCache,
  RowChain,
  type RowChanges,
  runChained,
  runInTransaction,
} from './statements/index.js';
import { limitText } from './text-limit.util.js';
import { type LateSendAnswer, recordLateSendAnswer } from './late-send-answer.js';

export const UNLOCKED = { lockedAt: null, lockedBy: null, lockedUntil: null } as const;

/** Whether `finish` (or an outcome built on it) wrote its outcome. */
export const wasRecorded = (record: ProcessedRecord | false): boolean => record !== false;

/**
 * What every lifecycle of the ledger shares (outbox, inbox, result callbacks, recovery): storing a
 * new message with its event, claiming a row, ending a claim with its attempt and events, and the
 * failure outcomes common to sends and handler runs. Every transition is a conditional UPDATE
 * whose WHERE clause restates the state it starts from, so of two workers racing for a row exactly
 * one sees an affected row; the loser gets `null`/`false` and must do nothing. One core per
 * DataSource: a row a lifecycle inserts is found by the claim that follows it (`inserted`).
 */
export class LedgerCore {
  readonly nonces: NonceStore;
  private readonly inserted = new InsertedRowCache();

  constructor(readonly dataSource: DataSource) {
    this.nonces = new NonceStore(dataSource);
  }

  /**
   * Inserts a new message with the event that records its arrival in this log, and first the
   * request's nonce when given (of a replayed request nothing else is written); returns the row.
   */
  async insertMessage(
    values: Partial<TalktoMessageEntity>,
    eventType: string,
    meta: Record<string, unknown>,
    now: Date,
    options: { manager?: EntityManager; nonce?: ConsumeNonceInput | null },
  ): Promise<TalktoMessageEntity> {
    const message = messageRow(this.dataSource, values);
    const event = eventRow({
      talktoMessageId: null,
      messageId: message.messageId,
      serviceName: localServiceOf(message),
      eventType,
      newStatus: message.overallStatus,
      meta,
      now,
    });
    const chain = new RowChain();
    if (options.nonce) chain.insert(TalktoNonceEntity, nonceRow(options.nonce));
    const inserted = chain.insert(TalktoMessageEntity, values);
    chain.insert(TalktoEventEntity, Object.assign({}, event, { talktoMessageId: inserted }));
    const written = await runChained(this.dataSource, options.manager, (tx) => chain.run(tx));
    message.id = written.id(inserted)!;
    this.inserted.remember(message);
    return message;
  }

  claim(
    id: number,
    workerId: string,
    leaseMs: number,
    now: Date,
    spec: ClaimSpec,
  ): Promise<ClaimedMessage | null> {
    const request = { workerId, leaseMs, now, spec };
    const inserted = this.inserted.take(id);
    return runChained(this.dataSource, undefined, async (tx) => {
      if (inserted !== undefined) {
        // The row as this process inserted it, if nothing has changed it since.
        const unchanged = { messageId: inserted.messageId, updatedAt: inserted.updatedAt };
        const claimed = await claimRow(tx, inserted, unchanged, request);
        if (claimed !== null) return claimed;
      }
      const before = await findRow(tx, TalktoMessageEntity, { id });
      return before === null ? null : claimRow(tx, before, {}, request);
    });
  }

  /** A failure with budget left: the stage column becomes `failed`, a retry is scheduled (§6.2). */
  markRetryableFailure(
    claim: MessageClaim,
    input: RetryableFailureInput & { manager?: EntityManager } & ProcessedFollowUp,
  ): Promise<ProcessedRecord | false> {
    const now = input.now ?? new Date();
    return this.finish(claim, now, {
      changes: {
        [input.column === 'transport_status' ? 'transportStatus' : 'destinationActionStatus']: S.failed,
        overallStatus: S.failedRetryable,
        retryCount: INCREMENT,
        ...(input.throttled ? { maxAttempts: INCREMENT } : {}),
        nextRetryAt: input.nextRetryAt,
        nextAttemptAt: input.nextRetryAt,
        lastAttemptedAt: now,
        lastError: limitText(input.error),
        failedAt: now,
        ...(input.httpStatus == null ? {} : { lastHttpStatus: input.httpStatus }),
        ...(input.responseBody == null ? {} : { lastResponse: limitText(input.responseBody) }),
      },
      attempt: failedAttempt(S.failedRetryable, input),
      late: lateFailure(S.failedRetryable, input),
      events: [
        failureEvent(claim, S.failedRetryable, input),
        {
          eventType: 'retry_scheduled',
          newStatus: S.failedRetryable,
          meta: Object.assign({}, input.retryMeta, {
            next_retry_at: input.nextRetryAt.toISOString(),
            reason: 'scheduled',
          }),
        },
      ],
      manager: input.manager,
      notes: input.notes,
      callback: input.callback,
    });
  }

  /** A failure without retry: the stage column and overall become `failed_final`, optionally dead-lettered. */
  markFinalFailure(
    claim: MessageClaim,
    input: FinalFailureInput & { manager?: EntityManager } & ProcessedFollowUp,
  ): Promise<ProcessedRecord | false> {
    const now = input.now ?? new Date();
    return this.finish(claim, now, {
      changes: {
        [input.column === 'transport_status' ? 'transportStatus' : 'destinationActionStatus']: S.failedFinal,
        overallStatus: S.failedFinal,
        nextRetryAt: null,
        nextAttemptAt: null,
        lastAttemptedAt: now,
        lastError: limitText(input.error),
        failedAt: now,
        ...(input.httpStatus == null ? {} : { lastHttpStatus: input.httpStatus }),
        ...(input.responseBody == null ? {} : { lastResponse: limitText(input.responseBody) }),
        ...(input.destination
          ? {
              destinationReceiveStatus: input.destination.receiveStatus,
              destinationActionStatus: input.destination.actionStatus,
            }
          : {}),
      },
      attempt: failedAttempt(S.failedFinal, input),
      late: lateFailure(S.failedFinal, input),
      events: [
        failureEvent(claim, S.failedFinal, input),
        ...(input.retryEvent
          ? [{ eventType: input.retryEvent, newStatus: S.failedFinal, meta: input.retryMeta }]
          : []),
      ],
      deadLetter: input.deadLetter
        ? { reason: input.error, exceptionClass: input.errorClass, exceptionMessage: input.error, now }
        : undefined,
      manager: input.manager,
      notes: input.notes,
      callback: input.callback,
    });
  }

  /**
   * Ends a claim: the update applies only while `claim` still holds the row. False when it no
   * longer did; else what the write created (`ProcessedRecord`).
   */
  finish(
    claim: MessageClaim,
    now: Date,
    spec: {
      changes: RowChanges<TalktoMessageEntity>;
      attempt: Partial<
        Pick<
          TalktoAttemptEntity,
          'status' | 'httpStatus' | 'errorClass' | 'errorMessage' | 'responseExcerpt' | 'meta'
        >
      >;
      events: Array<{ eventType: string; newStatus: string; meta?: Record<string, unknown> }>;
      deadLetter?: DeadLetterInput;
      succeeded?: boolean;
      /** Commit the outcome inside this transaction (a transactional handler's). */
      manager?: EntityManager;
      /** Events recorded last, with the outcome (see `markProcessed`). */
      notes?: RecordEventInput[];
      /** A send's answer when the result callback got there first (`recordLateSendAnswer`). */
      late?: LateSendAnswer;
      /** A result callback row created with the outcome (see `ProcessedFollowUp`). */
      callback?: CreateOutgoingInput | null;
    },
  ): Promise<ProcessedRecord | false> {
    const newStatus = spec.changes.overallStatus;
    const notes = (spec.notes ?? []).map((note) => Object.assign({}, note, { now }));
    const work = async (tx: EntityManager): Promise<ProcessedRecord | false> => {
      // The ids an event needs come with the claim; the status is the one this update writes.
      const current =
        claim.messageId === undefined || claim.service === undefined
          ? await findRow(tx, TalktoMessageEntity, { id: claim.id })
          : null;
      const row: LoggedRow = {
        id: claim.id,
        messageId: claim.messageId ?? current?.messageId ?? '',
        service: claim.service ?? (current ? localServiceOf(current) : ''),
        overallStatus: typeof newStatus === 'string' ? newStatus : claim.heldStatus,
      };
      const chain = new RowChain();
      const ended = chain.update(
        TalktoMessageEntity,
        Object.assign({}, spec.changes, UNLOCKED, { updatedAt: now }),
        { equal: { id: claim.id, lockedBy: claim.workerId, overallStatus: claim.heldStatus } },
      );
      chain.update(
        TalktoAttemptEntity,
        Object.assign({}, spec.attempt, { updatedAt: now }),
        { equal: { id: claim.attemptId } },
        ended,
      );
      for (const event of spec.events) {
        chain.insert(
          TalktoEventEntity,
          eventRow({
            talktoMessageId: claim.id,
            messageId: row.messageId,
            serviceName: row.service,
            oldStatus: claim.heldStatus,
            ...event,
            now,
          }),
          ended,
        );
      }
      if (spec.succeeded) {
        // A success after a DLQ reprocess closes the dead letter (BEHAVIOR §9.3).
        const closed = chain.update(
          TalktoDeadLetterEntity,
          { status: 'reprocessed', updatedAt: now },
          { equal: { talktoMessageId: row.id, status: 'reprocessing' } },
          ended,
        );
        chain.insert(
          TalktoEventEntity,
          eventRow({
            talktoMessageId: row.id,
            messageId: row.messageId,
            serviceName: row.service,
            eventType: 'dead_letter_reprocessed',
            newStatus: row.overallStatus,
            now,
          }),
          closed,
        );
      }
      let callback: { step: ChainStep; values: Partial<TalktoMessageEntity> } | undefined;
      if (spec.callback) {
        // Commits with the outcome, so no crash can leave a recorded outcome without its report.
        const input = spec.callback;
        const created = newOutgoing(input, outgoingFingerprint(input), OUTGOING_START, now);
        const step = chain.insertUnlessPresent(TalktoMessageEntity, created.values, ['messageId'], ended);
        callback = { step, values: created.values };
        const event = eventRow({
          talktoMessageId: null,
          messageId: input.messageId,
          serviceName: input.source,
          eventType: 'message_created',
          newStatus: OUTGOING_START.overallStatus,
          meta: created.meta,
          now,
        });
        chain.insert(TalktoEventEntity, Object.assign({}, event, { talktoMessageId: step }));
      }
      if (!spec.deadLetter) {
        notes.forEach((note) => chain.insert(TalktoEventEntity, eventRow(note), ended));
      }
      const written = await chain.run(tx);
      if (!written.wrote(ended)) {
        if (spec.late && claim.heldStatus === S.sending)
          await recordLateSendAnswer(tx, claim, now, spec.late);
        return false;
      }
      const callbackId = callback === undefined ? null : written.id(callback.step);
      if (callback !== undefined && callbackId !== null) {
        // The callback row's claim follows at once: it then finds the row without a read.
        this.inserted.remember(
          Object.assign(messageRow(this.dataSource, callback.values), { id: callbackId }),
        );
      }
      if (spec.deadLetter) {
        // A dead letter copies the whole row as it is now.
        const message = await findRow(tx, TalktoMessageEntity, { id: claim.id });
        await this.deadLetterIn(tx, message!, spec.deadLetter);
        for (const note of notes) await insertEvent(tx, note);
      }
      return { callbackId };
    };
    // A dead letter reads and writes after the chain, so it needs a transaction on every engine.
    return spec.deadLetter
      ? runInTransaction(this.dataSource, spec.manager, work)
      : runChained(this.dataSource, spec.manager, work);
  }

  async deadLetterIn(tx: EntityManager, message: TalktoMessageEntity, input: DeadLetterInput): Promise<void> {
    const deadLetterId = await upsertDeadLetter(tx, message, input);
    if (deadLetterId === null) return;
    await insertEvent(tx, {
      talktoMessageId: message.id,
      messageId: message.messageId,
      serviceName: localServiceOf(message),
      eventType: 'dead_lettered',
      newStatus: message.overallStatus,
      meta: {
        dead_letter_id: deadLetterId,
        failed_status: message.overallStatus,
        retry_count: message.retryCount,
      },
      now: input.now,
    });
  }
}

/** What an event about a row needs: its ids, the service whose log it is, its status now. */
interface LoggedRow {
  id: number;
  messageId: string;
  service: string;
  overallStatus: string;
}

export function failedAttempt(
  status: string,
  input: {
    error: string;
    errorClass?: string | null;
    httpStatus?: number | null;
    responseBody?: string | null;
    attemptMeta?: Record<string, unknown>;
  },
) {
  return {
    status,
    httpStatus: input.httpStatus ?? null,
    errorClass: limitText(input.errorClass, 191),
    errorMessage: limitText(input.error),
    responseExcerpt: limitText(input.responseBody),
    meta: input.attemptMeta ?? null,
  };
}

/** A failed send whose result was applied meanwhile: the transport failed, the result stands. */
function lateFailure(
  status: string,
  input: FailureInput & { column: 'transport_status' | 'destination_action_status' },
): LateSendAnswer | undefined {
  if (input.column !== 'transport_status') return undefined;
  return {
    transport: {
      transportStatus: S.failed,
      ...(input.httpStatus == null ? {} : { lastHttpStatus: input.httpStatus }),
    },
    attempt: failedAttempt(status, input),
    eventMeta: withoutNulls({ http_status: input.httpStatus, error: limitText(input.error) }),
  };
}

export function failureEvent(
  claim: MessageClaim,
  newStatus: string,
  input: { error: string; errorClass?: string | null; httpStatus?: number | null },
) {
  return {
    eventType: claim.heldStatus === S.sending ? 'message_send_failed' : 'destination_processing_failed',
    newStatus,
    meta: withoutNulls({
      error_class: input.errorClass,
      http_status: input.httpStatus,
      error: limitText(input.error),
    }),
  };
}
