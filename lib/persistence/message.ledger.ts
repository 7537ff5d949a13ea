import { Brackets, type DataSource, type EntityManager, type UpdateQueryBuilder } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity.js';
import { idempotencyFingerprint } from '../protocol/derived-ids.util.js';
import { TalktoAttemptEntity } from './entities/attempt.entity.js';
import { TalktoDeadLetterEntity } from './entities/dead-letter.entity.js';
import { type MessageDirection, TalktoMessageEntity } from './entities/message.entity.js';
import {
  asRow,
  insertAttempt,
  insertEvent,
  localServiceOf,
  upsertDeadLetter,
} from './message-history.writer.js';
import type {
  ClaimedMessage,
  CreateOutgoingInput,
  DeadLetterInput,
  FinalFailureInput,
  InsertIncomingInput,
  InsertIncomingResult,
  MessageClaim,
  ProcessOutcome,
  RecordAttemptInput,
  RecordEventInput,
  RetryableFailureInput,
  SentResponse,
} from './message-ledger.interfaces.js';
import { duplicateStatusFor, MessageStatus as S, NOT_PROCESSABLE, NOT_SENDABLE } from './message.statuses.js';
import { runInTransaction } from './run-in-transaction.util.js';
import { limitText } from './text-limit.util.js';
import { isUniqueViolation } from './unique-violation.util.js';

type MessageChanges = QueryDeepPartialEntity<TalktoMessageEntity>;

export type StaleClaimRelease = 'released' | 'exhausted' | 'changed';

const UNLOCKED = { lockedAt: null, lockedBy: null, lockedUntil: null } as const;
const STALE_EXHAUSTED_ERROR = 'Stale Talkto lock recovered after attempts were exhausted.';

/**
 * The one writer of message status. Every transition is a conditional UPDATE whose WHERE clause
 * restates the state it starts from, so of two workers racing for a row exactly one sees an
 * affected row; the loser gets `null`/`false` and must do nothing.
 */
export class MessageLedger {
  constructor(private readonly dataSource: DataSource) {}

  findById(id: number): Promise<TalktoMessageEntity | null> {
    return this.dataSource.manager.findOneBy(TalktoMessageEntity, { id });
  }

  findByMessageId(messageId: string): Promise<TalktoMessageEntity | null> {
    return this.dataSource.manager.findOneBy(TalktoMessageEntity, { messageId });
  }

  existsByMessageId(messageId: string): Promise<boolean> {
    return this.dataSource.manager.existsBy(TalktoMessageEntity, { messageId });
  }

  /**
   * Stores a new outgoing message and its `message_created` event. Pass the host's transaction
   * manager to write it atomically with the business change (transactional outbox). A reused
   * idempotency key returns the existing row untouched, also when two callers race.
   */
  async createOutgoing(input: CreateOutgoingInput, manager?: EntityManager): Promise<TalktoMessageEntity> {
    const now = input.now ?? new Date();
    const reader = manager ?? this.dataSource.manager;
    const fingerprint = idempotencyFingerprint(
      'outgoing',
      input.source,
      input.target,
      input.command,
      input.idempotencyKey,
    );
    if (fingerprint !== null) {
      const existing = await reader.findOneBy(TalktoMessageEntity, { idempotencyFingerprint: fingerprint });
      if (existing) return existing;
    }
    try {
      return await runInTransaction(this.dataSource, manager, async (tx) => {
        const message = await this.insertMessage(tx, {
          ...identity(input, 'outgoing', fingerprint, now),
          maxAttempts: input.maxAttempts,
          sourceActionStatus: input.sourceActionStatus ?? S.succeededAssumed,
          transportStatus: S.pending,
          overallStatus: S.waitingToSend,
        });
        await insertEvent(tx, {
          talktoMessageId: message.id,
          messageId: message.messageId,
          serviceName: message.sourceService,
          eventType: 'message_created',
          newStatus: message.overallStatus,
          meta: withoutNulls({
            ...input.eventMeta,
            source: input.source,
            target: input.target,
            command: input.command,
            business_key: input.businessKey,
            idempotency_key: input.idempotencyKey,
          }),
          now,
        });
        return message;
      });
    } catch (error) {
      if (fingerprint === null || !isUniqueViolation(error)) throw error;
      const winner = await reader.findOneBy(TalktoMessageEntity, { idempotencyFingerprint: fingerprint });
      if (!winner) throw error;
      return winner;
    }
  }

  /**
   * Records an outgoing message whose source action failed (BEHAVIOR §4.3, flow `run()`): no
   * payload, nothing to send, `failed` at once. A reused idempotency key returns the existing row.
   */
  async createFailedOutgoing(
    input: Omit<CreateOutgoingInput, 'payload' | 'payloadHash' | 'sourceActionStatus'> & { error: string },
  ): Promise<TalktoMessageEntity> {
    const now = input.now ?? new Date();
    const fingerprint = idempotencyFingerprint(
      'outgoing',
      input.source,
      input.target,
      input.command,
      input.idempotencyKey,
    );
    if (fingerprint !== null) {
      const existing = await this.dataSource.manager.findOneBy(TalktoMessageEntity, {
        idempotencyFingerprint: fingerprint,
      });
      if (existing) return existing;
    }
    return runInTransaction(this.dataSource, undefined, async (tx) => {
      const message = await this.insertMessage(tx, {
        ...identity({ ...input, payload: null, payloadHash: null }, 'outgoing', fingerprint, now),
        maxAttempts: input.maxAttempts,
        sourceActionStatus: S.failed,
        transportStatus: null,
        overallStatus: S.failed,
        lastError: limitText(input.error),
        failedAt: now,
      });
      await insertEvent(tx, {
        talktoMessageId: message.id,
        messageId: message.messageId,
        serviceName: message.sourceService,
        eventType: 'message_created',
        newStatus: message.overallStatus,
        meta: withoutNulls({
          ...input.eventMeta,
          source: input.source,
          target: input.target,
          command: input.command,
        }),
        now,
      });
      return message;
    });
  }

  /**
   * Stores a verified incoming command (`queued`) and its `message_received` event, or reports
   * it as a duplicate by message id or idempotency key (PROTOCOL §8.1 steps 4, 6, 7′, 7″).
   */
  async insertIncoming(input: InsertIncomingInput): Promise<InsertIncomingResult> {
    const now = input.now ?? new Date();
    const fingerprint = idempotencyFingerprint(
      'incoming',
      input.source,
      input.target,
      input.command,
      input.idempotencyKey,
    );
    const duplicate = await this.findIncomingDuplicate(input.messageId, fingerprint);
    if (duplicate) return duplicate;
    try {
      const message = await runInTransaction(this.dataSource, undefined, async (tx) => {
        const stored = await this.insertMessage(tx, {
          ...identity(input, 'incoming', fingerprint, now),
          destinationReceiveStatus: S.received,
          destinationActionStatus: S.queued,
          overallStatus: S.queued,
          receivedAt: now,
        });
        await insertEvent(tx, {
          talktoMessageId: stored.id,
          messageId: stored.messageId,
          serviceName: stored.targetService,
          eventType: 'message_received',
          newStatus: stored.overallStatus,
          meta: withoutNulls({
            source: input.source,
            target: input.target,
            command: input.command,
            business_key: input.businessKey,
          }),
          now,
        });
        return stored;
      });
      return { kind: 'stored', message };
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      const raced = await this.findIncomingDuplicate(input.messageId, fingerprint);
      if (!raced) throw error;
      return raced;
    }
  }

  /** Takes an outgoing message for one send (BEHAVIOR §3.1, §4.4 step 6); null when not sendable. */
  async claimForSend(
    id: number,
    workerId: string,
    leaseMs: number,
    now = new Date(),
  ): Promise<ClaimedMessage | null> {
    return this.claim(id, workerId, leaseMs, now, {
      heldStatus: S.sending,
      stage: 'transport',
      eventType: 'message_sending_started',
      changes: { transportStatus: S.sending },
      eligible: (update) =>
        update
          .andWhere('direction = :outgoing', { outgoing: 'outgoing' })
          .andWhere('overall_status NOT IN (:...notSendable)', { notSendable: NOT_SENDABLE })
          .andWhere(
            new Brackets((any) =>
              any
                .where('overall_status = :waitingToSend', { waitingToSend: S.waitingToSend })
                .orWhere('transport_status = :pending', { pending: S.pending })
                .orWhere(retryableAndDue()),
            ),
          ),
    });
  }

  /** Takes an incoming message for one handler run (BEHAVIOR §3.2, §5.2 step 4); null when not processable. */
  async claimForProcessing(
    id: number,
    workerId: string,
    leaseMs: number,
    now = new Date(),
  ): Promise<ClaimedMessage | null> {
    return this.claim(id, workerId, leaseMs, now, {
      heldStatus: S.processing,
      stage: 'destination_processor',
      eventType: 'destination_processing_started',
      changes: {
        destinationActionStatus: S.processing,
        processingStartedAt: () => 'COALESCE(processing_started_at, :now)',
      },
      eligible: (update) =>
        update
          .andWhere('direction = :incoming', { incoming: 'incoming' })
          .andWhere('overall_status NOT IN (:...notProcessable)', { notProcessable: NOT_PROCESSABLE })
          .andWhere(
            new Brackets((destination) =>
              destination
                .where('destination_action_status IS NULL')
                .orWhere('destination_action_status NOT IN (:...notProcessable)'),
            ),
          )
          .andWhere(
            new Brackets((any) =>
              any
                .where('overall_status IN (:...ready)', { ready: [S.queued, S.pending] })
                .orWhere('destination_action_status IN (:...ready)')
                .orWhere(retryableAndDue()),
            ),
          ),
    });
  }

  /** Records a 2xx answer to a send (BEHAVIOR §4.5). False when the claim was lost. */
  markSent(claim: MessageClaim, response: SentResponse): Promise<boolean> {
    const now = response.now ?? new Date();
    const newStatus = response.received ? S.destinationReceived : S.sent;
    return this.finish(claim, now, {
      changes: {
        transportStatus: S.sent,
        sentAt: now,
        lastHttpStatus: response.httpStatus,
        lastResponse: limitText(response.body),
        destinationReceiveStatus: response.received ? S.received : S.unknown,
        ...(response.received ? { destinationActionStatus: response.destinationStatus ?? null } : {}),
        overallStatus: newStatus,
      },
      attempt: {
        status: S.sent,
        httpStatus: response.httpStatus,
        responseExcerpt: limitText(response.body),
        meta: { received: response.received, destination_status: response.destinationStatus ?? null },
      },
      events: [{ eventType: 'message_sent', newStatus, meta: { http_status: response.httpStatus } }],
      succeeded: true,
    });
  }

  /** A failure with budget left: the stage column becomes `failed`, a retry is scheduled (§6.2). */
  markRetryableFailure(claim: MessageClaim, input: RetryableFailureInput): Promise<boolean> {
    const now = input.now ?? new Date();
    return this.finish(claim, now, {
      changes: {
        [input.column === 'transport_status' ? 'transportStatus' : 'destinationActionStatus']: S.failed,
        overallStatus: S.failedRetryable,
        retryCount: () => 'retry_count + 1',
        nextRetryAt: input.nextRetryAt,
        nextAttemptAt: input.nextRetryAt,
        lastAttemptedAt: now,
        lastError: limitText(input.error),
        failedAt: now,
        ...(input.httpStatus == null ? {} : { lastHttpStatus: input.httpStatus }),
      },
      attempt: failedAttempt(S.failedRetryable, input),
      events: [
        failureEvent(claim, S.failedRetryable, input),
        {
          eventType: 'retry_scheduled',
          newStatus: S.failedRetryable,
          meta: { ...input.retryMeta, next_retry_at: input.nextRetryAt.toISOString(), reason: 'scheduled' },
        },
      ],
    });
  }

  /** A failure without retry: the stage column and overall become `failed_final`, optionally dead-lettered. */
  markFinalFailure(claim: MessageClaim, input: FinalFailureInput): Promise<boolean> {
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
      },
      attempt: failedAttempt(S.failedFinal, input),
      events: [
        failureEvent(claim, S.failedFinal, input),
        ...(input.retryEvent ? [{ eventType: input.retryEvent, newStatus: S.failedFinal }] : []),
      ],
      deadLetter: input.deadLetter
        ? { reason: input.error, exceptionClass: input.errorClass, exceptionMessage: input.error, now }
        : undefined,
    });
  }

  /** Applies a handler's outcome to a claimed incoming message (BEHAVIOR §5.4). */
  markProcessed(claim: MessageClaim, outcome: ProcessOutcome, now = new Date()): Promise<boolean> {
    switch (outcome.kind) {
      case 'succeeded':
      case 'skipped': {
        const status = outcome.kind === 'succeeded' ? S.succeeded : S.skipped;
        const meta =
          outcome.kind === 'succeeded'
            ? { result: outcome.result ?? {}, result_meta: outcome.meta ?? {} }
            : { result_meta: outcome.meta ?? {} };
        return this.finish(claim, now, {
          changes: {
            destinationActionStatus: status,
            overallStatus: status,
            completedAt: now,
            lastError: null,
            failedAt: null,
            nextRetryAt: null,
            nextAttemptAt: null,
          },
          attempt: { status, meta },
          events: [
            {
              eventType:
                outcome.kind === 'succeeded'
                  ? 'destination_processing_succeeded'
                  : 'incoming_command_skipped',
              newStatus: status,
              meta,
            },
          ],
          succeeded: true,
        });
      }
      case 'failed_retryable':
        if (outcome.nextRetryAt !== null) {
          return this.markRetryableFailure(claim, {
            ...outcome,
            nextRetryAt: outcome.nextRetryAt,
            column: 'destination_action_status',
            now,
          });
        }
        // Incoming retries disabled: the row rests in failed_retryable with nothing scheduled.
        return this.finish(claim, now, {
          changes: {
            destinationActionStatus: S.failedRetryable,
            overallStatus: S.failedRetryable,
            failedAt: now,
            lastError: limitText(outcome.error),
          },
          attempt: failedAttempt(S.failedRetryable, outcome),
          events: [failureEvent(claim, S.failedRetryable, outcome)],
        });
      case 'failed_final':
        return this.markFinalFailure(claim, {
          ...outcome,
          column: 'destination_action_status',
          retryEvent: outcome.retryExhausted ? 'retry_exhausted' : undefined,
          now,
        });
    }
  }

  recordEvent(input: RecordEventInput, manager?: EntityManager): Promise<number> {
    return insertEvent(manager ?? this.dataSource.manager, input);
  }

  recordAttempt(input: RecordAttemptInput, manager?: EntityManager): Promise<number> {
    return insertAttempt(manager ?? this.dataSource.manager, input);
  }

  /** Dead-letters a message (one row per message, BEHAVIOR §9.1) with a `dead_lettered` event when new. */
  async storeDeadLetter(
    message: TalktoMessageEntity,
    input: DeadLetterInput = {},
    manager?: EntityManager,
  ): Promise<void> {
    await runInTransaction(this.dataSource, manager, (tx) => this.deadLetterIn(tx, message, input));
  }

  /** Failed retryable messages whose retry time has come, oldest first (retry_lookup index). */
  findDueRetries(now: Date, limit: number): Promise<TalktoMessageEntity[]> {
    return this.dataSource.manager
      .createQueryBuilder(TalktoMessageEntity, 'm')
      .where('m.direction IN (:...directions)', { directions: ['outgoing', 'incoming'] })
      .andWhere('m.overall_status = :status', { status: S.failedRetryable })
      .andWhere('m.next_retry_at <= :now', { now })
      .orderBy('m.next_retry_at', 'ASC')
      .addOrderBy('m.id', 'ASC')
      .limit(limit)
      .getMany();
  }

  /** Messages waiting for a send or process job that no live claim holds (lost jobs). */
  findDispatchable(now: Date, limit: number): Promise<TalktoMessageEntity[]> {
    return this.dataSource.manager
      .createQueryBuilder(TalktoMessageEntity, 'm')
      .where(
        new Brackets((any) =>
          any
            .where(
              "m.direction = 'outgoing' AND m.overall_status = :waitingToSend AND m.transport_status = :pending",
              { waitingToSend: S.waitingToSend, pending: S.pending },
            )
            .orWhere(
              "m.direction = 'incoming' AND m.overall_status = :queued AND m.destination_action_status = :queued",
              {
                queued: S.queued,
              },
            ),
        ),
      )
      .andWhere(
        new Brackets((lease) =>
          lease.where('m.locked_until IS NULL').orWhere('m.locked_until < :now', { now }),
        ),
      )
      .orderBy('m.id', 'ASC')
      .limit(limit)
      .getMany();
  }

  /** Claims whose lease ran out while sending or processing: their worker is presumed dead. */
  findStaleClaims(now: Date, limit: number): Promise<TalktoMessageEntity[]> {
    return this.dataSource.manager
      .createQueryBuilder(TalktoMessageEntity, 'm')
      .where('m.overall_status IN (:...held)', { held: [S.sending, S.processing] })
      .andWhere('m.locked_until < :now', { now })
      .orderBy('m.locked_until', 'ASC')
      .limit(limit)
      .getMany();
  }

  /**
   * Takes a stale claim back from `expectedWorker` (BEHAVIOR §7): to the dispatchable state while
   * attempts remain, else to `failed_final` with a dead letter. `changed` when someone else acted first.
   */
  async releaseStaleClaim(id: number, expectedWorker: string, now = new Date()): Promise<StaleClaimRelease> {
    return runInTransaction(this.dataSource, undefined, async (tx) => {
      const message = await tx.findOneBy(TalktoMessageEntity, { id });
      if (!message || message.lockedBy !== expectedWorker) return 'changed';
      const outgoing = message.direction === 'outgoing';
      const held = outgoing ? S.sending : S.processing;
      const exhausted = message.attempts >= message.maxAttempts;
      const stageColumn = outgoing ? 'transportStatus' : 'destinationActionStatus';
      const target = exhausted ? S.failedFinal : outgoing ? S.waitingToSend : S.queued;
      const changes: MessageChanges = exhausted
        ? {
            [stageColumn]: S.failedFinal,
            overallStatus: S.failedFinal,
            lastError: STALE_EXHAUSTED_ERROR,
            failedAt: now,
          }
        : { [stageColumn]: outgoing ? S.pending : S.queued, overallStatus: target };
      const result = await tx
        .createQueryBuilder()
        .update(TalktoMessageEntity)
        .set({ ...changes, ...UNLOCKED, nextRetryAt: null, nextAttemptAt: null, updatedAt: now })
        .where('id = :id', { id })
        .andWhere('locked_by = :worker', { worker: expectedWorker })
        .andWhere('overall_status = :held', { held })
        .andWhere('locked_until < :now', { now })
        .execute();
      if (result.affected !== 1) return 'changed';
      await insertEvent(tx, {
        talktoMessageId: id,
        messageId: message.messageId,
        serviceName: localServiceOf(message),
        eventType: exhausted ? 'stale_lock_recovery_exhausted' : 'stale_lock_recovered',
        oldStatus: held,
        newStatus: target,
        meta: {
          direction: message.direction,
          old_locked_at: message.lockedAt?.toISOString() ?? null,
          old_locked_by: expectedWorker,
          attempts: message.attempts,
          max_attempts: message.maxAttempts,
          recovery_type: 'stale_processing_lock',
        },
        now,
      });
      if (exhausted) {
        const failed = await tx.findOneByOrFail(TalktoMessageEntity, { id });
        await this.deadLetterIn(tx, failed, { reason: STALE_EXHAUSTED_ERROR, now });
      }
      return exhausted ? 'exhausted' : 'released';
    });
  }

  private async findIncomingDuplicate(
    messageId: string,
    fingerprint: string | null,
  ): Promise<InsertIncomingResult | null> {
    const byId = await this.findByMessageId(messageId);
    if (byId) return { kind: 'duplicate', status: 'already_received', messageId: byId.messageId };
    if (fingerprint === null) return null;
    const byKey = await this.dataSource.manager.findOneBy(TalktoMessageEntity, {
      idempotencyFingerprint: fingerprint,
    });
    return byKey
      ? { kind: 'duplicate', status: duplicateStatusFor(byKey.overallStatus), messageId: byKey.messageId }
      : null;
  }

  private async insertMessage(tx: EntityManager, values: MessageChanges): Promise<TalktoMessageEntity> {
    const result = await tx.insert(TalktoMessageEntity, values);
    return tx.findOneByOrFail(TalktoMessageEntity, { id: Number(result.identifiers[0]!.id) });
  }

  private claim(
    id: number,
    workerId: string,
    leaseMs: number,
    now: Date,
    spec: {
      heldStatus: MessageClaim['heldStatus'];
      stage: RecordAttemptInput['stage'];
      eventType: string;
      changes: MessageChanges;
      eligible: (update: UpdateQueryBuilder<TalktoMessageEntity>) => UpdateQueryBuilder<TalktoMessageEntity>;
    },
  ): Promise<ClaimedMessage | null> {
    return runInTransaction(this.dataSource, undefined, async (tx) => {
      const before = await tx.findOneBy(TalktoMessageEntity, { id });
      if (!before) return null;
      const update = tx
        .createQueryBuilder()
        .update(TalktoMessageEntity)
        .set({
          ...spec.changes,
          overallStatus: spec.heldStatus,
          attempts: () => 'attempts + 1',
          lastAttemptedAt: now,
          nextRetryAt: null,
          nextAttemptAt: null,
          lockedAt: now,
          lockedBy: workerId,
          lockedUntil: new Date(now.getTime() + leaseMs),
          updatedAt: now,
        })
        .where('id = :id', { id })
        .setParameter('now', now);
      const result = await spec.eligible(update).execute();
      if (result.affected !== 1) return null;
      const message = await tx.findOneByOrFail(TalktoMessageEntity, { id });
      const attemptId = await insertAttempt(tx, {
        talktoMessageId: id,
        messageId: message.messageId,
        stage: spec.stage,
        attemptNo: message.attempts,
        status: spec.heldStatus,
        meta: withoutNulls({
          source: message.sourceService,
          target: message.targetService,
          command: message.command,
          business_key: message.businessKey,
          idempotency_key: message.idempotencyKey,
        }),
        now,
      });
      await insertEvent(tx, {
        talktoMessageId: id,
        messageId: message.messageId,
        serviceName: localServiceOf(message),
        eventType: spec.eventType,
        oldStatus: before.overallStatus,
        newStatus: spec.heldStatus,
        meta: { attempt_no: message.attempts, locked_by: workerId },
        now,
      });
      return {
        message,
        claim: { id, workerId, attemptId, attemptNo: message.attempts, heldStatus: spec.heldStatus },
      };
    });
  }

  /** Ends a claim: the update applies only while `claim` still holds the row. */
  private finish(
    claim: MessageClaim,
    now: Date,
    spec: {
      changes: MessageChanges;
      attempt: Partial<
        Pick<
          TalktoAttemptEntity,
          'status' | 'httpStatus' | 'errorClass' | 'errorMessage' | 'responseExcerpt' | 'meta'
        >
      >;
      events: Array<{ eventType: string; newStatus: string; meta?: Record<string, unknown> }>;
      deadLetter?: DeadLetterInput;
      succeeded?: boolean;
    },
  ): Promise<boolean> {
    return runInTransaction(this.dataSource, undefined, async (tx) => {
      const result = await tx
        .createQueryBuilder()
        .update(TalktoMessageEntity)
        .set({ ...spec.changes, ...UNLOCKED, updatedAt: now })
        .where('id = :id', { id: claim.id })
        .andWhere('locked_by = :worker', { worker: claim.workerId })
        .andWhere('overall_status = :held', { held: claim.heldStatus })
        .execute();
      if (result.affected !== 1) return false;
      await tx
        .createQueryBuilder()
        .update(TalktoAttemptEntity)
        .set(asRow<TalktoAttemptEntity>({ ...spec.attempt, updatedAt: now }))
        .where('id = :id', { id: claim.attemptId })
        .execute();
      const message = await tx.findOneByOrFail(TalktoMessageEntity, { id: claim.id });
      for (const event of spec.events) {
        await insertEvent(tx, {
          talktoMessageId: claim.id,
          messageId: message.messageId,
          serviceName: localServiceOf(message),
          oldStatus: claim.heldStatus,
          ...event,
          now,
        });
      }
      if (spec.deadLetter) {
        await this.deadLetterIn(tx, message, spec.deadLetter);
      }
      if (spec.succeeded) {
        await this.closeReprocessedDeadLetter(tx, message, now);
      }
      return true;
    });
  }

  private async deadLetterIn(
    tx: EntityManager,
    message: TalktoMessageEntity,
    input: DeadLetterInput,
  ): Promise<void> {
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

  /** A success after a DLQ reprocess closes the dead letter (BEHAVIOR §9.3). */
  private async closeReprocessedDeadLetter(
    tx: EntityManager,
    message: TalktoMessageEntity,
    now: Date,
  ): Promise<void> {
    const result = await tx.update(
      TalktoDeadLetterEntity,
      { talktoMessageId: message.id, status: 'reprocessing' },
      { status: 'reprocessed', updatedAt: now },
    );
    if (result.affected === 1) {
      await insertEvent(tx, {
        talktoMessageId: message.id,
        messageId: message.messageId,
        serviceName: localServiceOf(message),
        eventType: 'dead_letter_reprocessed',
        newStatus: message.overallStatus,
        now,
      });
    }
  }
}

function identity(
  input: CreateOutgoingInput | InsertIncomingInput,
  direction: MessageDirection,
  fingerprint: string | null,
  now: Date,
): MessageChanges {
  return {
    messageId: input.messageId,
    correlationId: input.correlationId ?? null,
    parentMessageId: input.parentMessageId ?? null,
    direction,
    sourceService: input.source,
    targetService: input.target,
    command: input.command,
    businessKey: input.businessKey ?? null,
    idempotencyKey: input.idempotencyKey ?? null,
    idempotencyFingerprint: fingerprint,
    payload: input.payload,
    payloadHash: input.payloadHash,
    schemaVersion: input.schemaVersion ?? 1,
    attempts: 0,
    createdAt: now,
    updatedAt: now,
  };
}

/** A retryable row whose retry is due; expects the `now` parameter on the query. */
function retryableAndDue(): Brackets {
  return new Brackets((due) =>
    due
      .where('overall_status = :failedRetryable', { failedRetryable: S.failedRetryable })
      .andWhere('next_retry_at IS NOT NULL')
      .andWhere('next_retry_at <= :now')
      .andWhere('retry_count < max_attempts'),
  );
}

function failedAttempt(
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

function failureEvent(
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

function withoutNulls(values: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(values).filter(([, value]) => value !== null && value !== undefined),
  );
}
