import { randomUUID } from 'node:crypto';
import { Brackets, type DataSource, type EntityManager, type SelectQueryBuilder } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity.js';
import { TalktoLedgerConflictError } from '../errors/talkto-ledger-conflict.error.js';
import { idempotencyFingerprint } from '../protocol/derived-ids.util.js';
import { TalktoAttemptEntity } from './entities/attempt.entity.js';
import { TalktoDeadLetterEntity } from './entities/dead-letter.entity.js';
import { TalktoEventEntity } from './entities/event.entity.js';
import { type MessageDirection, TalktoMessageEntity } from './entities/message.entity.js';
import { TalktoNonceEntity } from './entities/nonce.entity.js';
import {
  attemptRow,
  eventRow,
  insertAttempt,
  insertEvent,
  localServiceOf,
  upsertDeadLetter,
} from './message-history.writer.js';
import { callbackStatusPair, decideCallbackApplication } from './callback-application.rule.js';
import type {
  ApplyCallbackInput,
  ApplyCallbackResult,
  CallbackDeliveredInput,
  ClaimedMessage,
  CreateOutgoingInput,
  DeadLetterInput,
  DeadLetterReprocessClaim,
  DispatchClaim,
  DispatchClaimOptions,
  DispatchOperation,
  DueRowFilter,
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
import { type ConsumeNonceInput, NonceStore, nonceRow } from './nonce.store.js';
import { duplicateStatusFor, MessageStatus as S, NOT_PROCESSABLE, NOT_SENDABLE } from './message.statuses.js';
import { RowChain, runChained } from './row-chain.js';
import { runInTransaction, runStandaloneWrite } from './run-in-transaction.util.js';
import { limitText } from './text-limit.util.js';
import { InsertedRowCache } from './inserted-row.cache.js';
import {
  findRow,
  INCREMENT,
  type RowChanges,
  type SqlBinder,
  SqlExpression,
  updateRows,
} from './row-statements.js';
import { isUniqueViolation } from './unique-violation.util.js';

type MessageChanges = QueryDeepPartialEntity<TalktoMessageEntity>;

export type StaleClaimRelease = 'released' | 'exhausted' | 'changed';

/** Prefix of `locked_by` for rows claimed for a re-dispatch (BEHAVIOR §6.4). */
export const DISPATCH_CLAIM_PREFIX = 'dispatch-claim:';

const UNLOCKED = { lockedAt: null, lockedBy: null, lockedUntil: null } as const;
const STALE_EXHAUSTED_ERROR = 'Stale Talkto lock recovered after attempts were exhausted.';

/**
 * The one writer of message status. Every transition is a conditional UPDATE whose WHERE clause
 * restates the state it starts from, so of two workers racing for a row exactly one sees an
 * affected row; the loser gets `null`/`false` and must do nothing.
 */
export class MessageLedger {
  private readonly nonces: NonceStore;
  private readonly inserted = new InsertedRowCache();

  constructor(private readonly dataSource: DataSource) {
    this.nonces = new NonceStore(dataSource);
  }

  findById(id: number): Promise<TalktoMessageEntity | null> {
    return findRow(this.dataSource.manager, TalktoMessageEntity, { id });
  }

  findByMessageId(messageId: string): Promise<TalktoMessageEntity | null> {
    return findRow(this.dataSource.manager, TalktoMessageEntity, { messageId });
  }

  /** Only outgoing rows: a callback never matches a message this service received. */
  findOutgoingByMessageId(messageId: string): Promise<TalktoMessageEntity | null> {
    return findRow(this.dataSource.manager, TalktoMessageEntity, { messageId, direction: 'outgoing' });
  }

  existsByMessageId(messageId: string): Promise<boolean> {
    return this.dataSource.manager.existsBy(TalktoMessageEntity, { messageId });
  }

  /**
   * Stores a new outgoing message and its `message_created` event. Pass the host's transaction
   * manager to write it atomically with the business change (transactional outbox). A reused
   * idempotency key returns the existing row untouched, also when two callers race.
   */
  createOutgoing(input: CreateOutgoingInput, manager?: EntityManager): Promise<TalktoMessageEntity> {
    return this.storeOutgoing(
      input,
      {
        sourceActionStatus: input.sourceActionStatus ?? S.succeededAssumed,
        transportStatus: S.pending,
        overallStatus: S.waitingToSend,
      },
      manager,
    );
  }

  /**
   * Records an outgoing message whose source action failed (BEHAVIOR §4.3, flow `run()`): no
   * payload, nothing to send, `failed` at once. A reused idempotency key returns the existing row.
   */
  createFailedOutgoing(
    input: Omit<CreateOutgoingInput, 'payload' | 'payloadHash' | 'sourceActionStatus'> & { error: string },
  ): Promise<TalktoMessageEntity> {
    const now = input.now ?? new Date();
    return this.storeOutgoing(
      { ...input, payload: null, payloadHash: null, now },
      {
        sourceActionStatus: S.failed,
        transportStatus: null,
        overallStatus: S.failed,
        lastError: limitText(input.error),
        failedAt: now,
      },
    );
  }

  /** One outgoing row in its starting state, with its creation event; idempotent by fingerprint. */
  private async storeOutgoing(
    input: CreateOutgoingInput,
    state: Partial<TalktoMessageEntity>,
    manager?: EntityManager,
  ): Promise<TalktoMessageEntity> {
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
      const existing = await findRow(reader, TalktoMessageEntity, { idempotencyFingerprint: fingerprint });
      if (existing) return existing;
    }
    try {
      return await this.insertMessage(
        { ...identity(input, 'outgoing', fingerprint, now), maxAttempts: input.maxAttempts, ...state },
        'message_created',
        withoutNulls({
          ...input.eventMeta,
          source: input.source,
          target: input.target,
          command: input.command,
          business_key: input.businessKey,
          idempotency_key: input.idempotencyKey,
        }),
        now,
        { manager },
      );
    } catch (error) {
      if (fingerprint === null || !isUniqueViolation(error)) throw error;
      const winner = await findRow(reader, TalktoMessageEntity, { idempotencyFingerprint: fingerprint });
      if (!winner) throw error;
      return winner;
    }
  }

  /**
   * Stores a verified incoming command (`queued`) and its `message_received` event, or reports
   * it as a duplicate by message id or idempotency key, or its nonce as a replay (PROTOCOL §8.1
   * steps 4–7, in that order). Without an idempotency key nothing is looked up first: the unique
   * indexes refuse a duplicate, and the refusal is then explained in the protocol's order.
   */
  async insertIncoming(input: InsertIncomingInput): Promise<InsertIncomingResult> {
    const now = input.now ?? new Date();
    const nonce = input.nonce ?? null;
    const fingerprint = idempotencyFingerprint(
      'incoming',
      input.source,
      input.target,
      input.command,
      input.idempotencyKey,
    );
    if (fingerprint !== null) {
      const duplicate =
        (await this.duplicateById(input.messageId)) ??
        (await this.afterNonce(nonce, await this.duplicateByKey(fingerprint)));
      if (duplicate) return duplicate;
    }
    try {
      const message = await this.insertMessage(
        {
          ...identity(input, 'incoming', fingerprint, now),
          destinationReceiveStatus: S.received,
          destinationActionStatus: S.queued,
          overallStatus: S.queued,
          receivedAt: now,
        },
        'message_received',
        withoutNulls({
          source: input.source,
          target: input.target,
          command: input.command,
          business_key: input.businessKey,
        }),
        now,
        { nonce },
      );
      return { kind: 'stored', message };
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      const byId = await this.duplicateById(input.messageId);
      if (byId) return byId;
      if (nonce && (await this.nonces.isUsed(nonce.nonceHash))) return { kind: 'replay' };
      const byKey = await this.afterNonce(
        nonce,
        fingerprint === null ? null : await this.duplicateByKey(fingerprint),
      );
      if (!byKey) throw error;
      return byKey;
    }
  }

  /**
   * Inserts a new message with the event that records its arrival in this log, and first the
   * request's nonce when given (of a replayed request nothing else is written); returns the row.
   */
  private async insertMessage(
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
    chain.insert(TalktoEventEntity, { ...event, talktoMessageId: inserted });
    const written = await runChained(this.dataSource, options.manager, (tx) => chain.run(tx));
    message.id = written.id(inserted)!;
    this.inserted.remember(message);
    return message;
  }

  /** A duplicate by key is answered only once its nonce is recorded (step 5 before 6–7). */
  private async afterNonce(
    nonce: ConsumeNonceInput | null,
    duplicate: InsertIncomingResult | null,
  ): Promise<InsertIncomingResult | null> {
    if (duplicate === null || nonce === null) return duplicate;
    return (await this.nonces.consume(nonce)) ? duplicate : { kind: 'replay' };
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
      held: () => ({ transportStatus: S.sending }),
      eligible: (bind) =>
        `direction = ${bind('outgoing', 'direction')}` +
        ` AND overall_status NOT IN (${statusList(bind, NOT_SENDABLE)})` +
        ` AND (overall_status = ${bind(S.waitingToSend, 'overallStatus')}` +
        ` OR transport_status = ${bind(S.pending, 'transportStatus')}` +
        ` OR ${retryableAndDue(bind, now)})`,
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
        processingStartedAt: new SqlExpression(
          (column, bind) => `COALESCE(${column}, ${bind(now, 'processingStartedAt')})`,
        ),
      },
      held: (before) => ({
        destinationActionStatus: S.processing,
        processingStartedAt: before.processingStartedAt ?? now,
      }),
      eligible: (bind) =>
        `direction = ${bind('incoming', 'direction')}` +
        ` AND overall_status NOT IN (${statusList(bind, NOT_PROCESSABLE)})` +
        ` AND (destination_action_status IS NULL` +
        ` OR destination_action_status NOT IN (${statusList(bind, NOT_PROCESSABLE)}))` +
        ` AND (overall_status IN (${statusList(bind, [S.queued, S.pending])})` +
        ` OR destination_action_status IN (${statusList(bind, [S.queued, S.pending])})` +
        ` OR ${retryableAndDue(bind, now)})`,
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

  /** A result callback the peer accepted: the callback row is done (BEHAVIOR §3.3, §4.5). */
  markCallbackDelivered(claim: MessageClaim, input: CallbackDeliveredInput): Promise<boolean> {
    const now = input.now ?? new Date();
    return this.finish(claim, now, {
      changes: {
        transportStatus: S.sent,
        sentAt: now,
        lastHttpStatus: input.httpStatus,
        lastResponse: limitText(input.body),
        destinationReceiveStatus: S.received,
        destinationActionStatus: input.callbackStatus,
        overallStatus: S.completed,
        completedAt: now,
        failedAt: null,
        lastError: null,
        nextRetryAt: null,
        nextAttemptAt: null,
      },
      attempt: {
        status: S.sent,
        httpStatus: input.httpStatus,
        responseExcerpt: limitText(input.body),
        meta: {
          result_callback_delivery: true,
          accepted: true,
          callback_status: input.callbackStatus,
          duplicate: input.duplicate,
          original_message_id: input.originalMessageId,
        },
      },
      events: [
        {
          eventType: 'message_sent',
          newStatus: S.completed,
          meta: { http_status: input.httpStatus, callback_status: input.callbackStatus },
        },
      ],
      succeeded: true,
    });
  }

  /**
   * Applies a verified result callback to the original outgoing message (PROTOCOL §11.6). It
   * decides from the original as the caller has just read it: a duplicate or stale report is
   * recorded as judged from that row; a status change restates the row (statuses and `updated_at`)
   * and, when the row has changed since, it reads it again and decides again.
   */
  async applyCallback(input: ApplyCallbackInput): Promise<ApplyCallbackResult> {
    const now = input.now ?? new Date();
    let current = input.original;
    for (let round = 0; ; round++) {
      const seen = current;
      const outcome = await runChained(this.dataSource, undefined, (tx) =>
        applyCallbackTo(tx, seen, input, now),
      );
      if (outcome !== null) {
        return outcome;
      }
      if (round >= 10) {
        throw new TalktoLedgerConflictError(current.id);
      }
      const reread = await this.findById(current.id);
      if (!reread) throw new TalktoLedgerConflictError(current.id);
      current = reread;
    }
  }

  /** A failure with budget left: the stage column becomes `failed`, a retry is scheduled (§6.2). */
  markRetryableFailure(
    claim: MessageClaim,
    input: RetryableFailureInput & { manager?: EntityManager; notes?: RecordEventInput[] },
  ): Promise<boolean> {
    const now = input.now ?? new Date();
    return this.finish(claim, now, {
      changes: {
        [input.column === 'transport_status' ? 'transportStatus' : 'destinationActionStatus']: S.failed,
        overallStatus: S.failedRetryable,
        retryCount: INCREMENT,
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
      manager: input.manager,
      notes: input.notes,
    });
  }

  /** A failure without retry: the stage column and overall become `failed_final`, optionally dead-lettered. */
  markFinalFailure(
    claim: MessageClaim,
    input: FinalFailureInput & { manager?: EntityManager; notes?: RecordEventInput[] },
  ): Promise<boolean> {
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
        ...(input.destination
          ? {
              destinationReceiveStatus: input.destination.receiveStatus,
              destinationActionStatus: input.destination.actionStatus,
            }
          : {}),
      },
      attempt: failedAttempt(S.failedFinal, input),
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
    });
  }

  /**
   * Applies a handler's outcome to a claimed incoming message (BEHAVIOR §5.4). `notes` are events
   * that follow the outcome (e.g. why no result callback is sent), recorded after the outcome's own
   * and in the same write, so only when the outcome is.
   */
  markProcessed(
    claim: MessageClaim,
    outcome: ProcessOutcome,
    now = new Date(),
    manager?: EntityManager,
    notes: RecordEventInput[] = [],
  ): Promise<boolean> {
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
          manager,
          notes,
        });
      }
      case 'failed_retryable':
        if (outcome.nextRetryAt !== null) {
          return this.markRetryableFailure(claim, {
            ...outcome,
            nextRetryAt: outcome.nextRetryAt,
            column: 'destination_action_status',
            now,
            manager,
            notes,
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
          manager,
          notes,
        });
      case 'failed_final':
        return this.markFinalFailure(claim, {
          ...outcome,
          column: 'destination_action_status',
          retryEvent: outcome.retryExhausted ? 'retry_exhausted' : undefined,
          now,
          manager,
          notes,
        });
    }
  }

  recordEvent(input: RecordEventInput, manager?: EntityManager): Promise<number> {
    return manager
      ? insertEvent(manager, input)
      : runStandaloneWrite(this.dataSource, (own) => insertEvent(own, input));
  }

  recordAttempt(input: RecordAttemptInput, manager?: EntityManager): Promise<number> {
    return manager
      ? insertAttempt(manager, input)
      : runStandaloneWrite(this.dataSource, (own) => insertAttempt(own, input));
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
  findDueRetries(now: Date, limit: number, filter: DueRowFilter = {}): Promise<TalktoMessageEntity[]> {
    const query = this.dataSource.manager
      .createQueryBuilder(TalktoMessageEntity, 'm')
      .where('m.direction IN (:...directions)', {
        directions: filter.direction ? [filter.direction] : ['outgoing', 'incoming'],
      })
      .andWhere('m.overall_status = :status', { status: S.failedRetryable })
      .andWhere('m.next_retry_at <= :now', { now });
    return ownedBy(query, filter.service)
      .orderBy('m.next_retry_at', 'ASC')
      .addOrderBy('m.id', 'ASC')
      .limit(limit)
      .getMany();
  }

  /** Messages waiting for a send or process job that no live claim holds (lost jobs). */
  findDispatchable(now: Date, limit: number, filter: DueRowFilter = {}): Promise<TalktoMessageEntity[]> {
    const query = this.dataSource.manager
      .createQueryBuilder(TalktoMessageEntity, 'm')
      // Restated up front so the (overall_status, locked_until) index bounds the scan.
      .where('m.overall_status IN (:...dispatchable)', { dispatchable: [S.waitingToSend, S.queued] })
      .andWhere(
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
      );
    if (filter.waitedBefore) {
      query.andWhere('m.updated_at <= :waitedBefore', { waitedBefore: filter.waitedBefore });
    }
    return ownedBy(query, filter.service).orderBy('m.id', 'ASC').limit(limit).getMany();
  }

  /** Claims whose lease ran out while sending or processing: their worker is presumed dead. */
  findStaleClaims(now: Date, limit: number, filter: DueRowFilter = {}): Promise<TalktoMessageEntity[]> {
    const query = this.dataSource.manager
      .createQueryBuilder(TalktoMessageEntity, 'm')
      .where('m.overall_status IN (:...held)', { held: [S.sending, S.processing] })
      .andWhere('m.locked_until < :now', { now });
    if (filter.direction) query.andWhere('m.direction = :direction', { direction: filter.direction });
    return ownedBy(query, filter.service).orderBy('m.locked_until', 'ASC').limit(limit).getMany();
  }

  /**
   * Takes a stale claim back from `expectedWorker` (BEHAVIOR §7): to the dispatchable state while
   * attempts remain, else to `failed_final` with a dead letter. `changed` when someone else acted first.
   */
  async releaseStaleClaim(
    id: number,
    expectedWorker: string,
    now = new Date(),
    options: {
      /** Treat the claim as stale by its age (operator recovery) instead of its expired lease. */
      lockedBefore?: Date;
      /** Dead-letter an exhausted message (default true). */
      deadLetter?: boolean;
    } = {},
  ): Promise<StaleClaimRelease> {
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
        .andWhere(
          options.lockedBefore
            ? new Brackets((old) =>
                old.where('locked_at <= :lockedBefore', { lockedBefore: options.lockedBefore }),
              )
            : new Brackets((expired) => expired.where('locked_until < :now', { now })),
        )
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
      if (exhausted && options.deadLetter !== false) {
        const failed = await tx.findOneByOrFail(TalktoMessageEntity, { id });
        await this.deadLetterIn(tx, failed, { reason: STALE_EXHAUSTED_ERROR, now });
      }
      return exhausted ? 'exhausted' : 'released';
    });
  }

  /**
   * Claims a resting `failed_retryable` row for a re-dispatch (BEHAVIOR §6.4): it goes back to the
   * dispatchable state with `next_retry_at = now`, tagged `dispatch-claim:<operation>:<uuid>`.
   * Null when it is not due (unless `ignoreDue`), exhausted, or someone else took it first.
   */
  async claimRetryDispatch(
    id: number,
    operation: DispatchOperation,
    options: DispatchClaimOptions & { ignoreDue?: boolean },
  ): Promise<DispatchClaim | null> {
    const { now } = options;
    return runInTransaction(this.dataSource, undefined, async (tx) => {
      const message = await tx.findOneBy(TalktoMessageEntity, { id });
      if (!message || !isKnownDirection(message.direction)) return null;
      const claimId = newClaimId(operation);
      const update = tx
        .createQueryBuilder()
        .update(TalktoMessageEntity)
        .set({
          ...dispatchableState(message.direction),
          nextRetryAt: now,
          nextAttemptAt: now,
          ...claimLock(claimId, options),
        })
        .where('id = :id', { id })
        .andWhere('overall_status = :failedRetryable', { failedRetryable: S.failedRetryable })
        .andWhere('retry_count < max_attempts')
        .andWhere(noLiveLock(now));
      if (!options.ignoreDue) {
        update.andWhere('next_retry_at IS NOT NULL').andWhere('next_retry_at <= :now', { now });
      }
      if ((await update.execute()).affected !== 1) return null;
      const newStatus = dispatchableState(message.direction).overallStatus;
      await insertEvent(tx, {
        talktoMessageId: id,
        messageId: message.messageId,
        serviceName: localServiceOf(message),
        // The panel's retries are told apart by event type, as BEHAVIOR §2.5 names them.
        eventType: operation === 'panel-retry' ? 'panel_retry_dispatched' : 'retry_dispatched',
        oldStatus: message.overallStatus,
        newStatus,
        meta: { operation, claim_id: claimId, direction: message.direction, retry_count: message.retryCount },
        now,
      });
      return dispatchClaim(message, claimId, message.lockedBy);
    });
  }

  /**
   * Claims a dispatchable row whose job looks lost (BEHAVIOR §6.4, §7): no live lock and untouched
   * since `waitedBefore`. A previous dispatch claim found this way is recorded as orphaned.
   */
  async claimOrphanDispatch(
    id: number,
    operation: DispatchOperation,
    options: DispatchClaimOptions & { waitedBefore: Date },
  ): Promise<DispatchClaim | null> {
    const { now } = options;
    return runInTransaction(this.dataSource, undefined, async (tx) => {
      const message = await tx.findOneBy(TalktoMessageEntity, { id });
      if (!message || !isKnownDirection(message.direction)) return null;
      const state = dispatchableState(message.direction);
      const claimId = newClaimId(operation);
      const result = await tx
        .createQueryBuilder()
        .update(TalktoMessageEntity)
        .set(claimLock(claimId, options))
        .where('id = :id', { id })
        .andWhere('overall_status = :overall', { overall: state.overallStatus })
        .andWhere(
          message.direction === 'outgoing'
            ? 'transport_status = :stage'
            : 'destination_action_status = :stage',
          { stage: message.direction === 'outgoing' ? S.pending : S.queued },
        )
        .andWhere(noLiveLock(now))
        .andWhere('updated_at <= :waitedBefore', { waitedBefore: options.waitedBefore })
        .execute();
      if (result.affected !== 1) return null;
      if (message.lockedBy?.startsWith(DISPATCH_CLAIM_PREFIX)) {
        await insertEvent(tx, {
          talktoMessageId: id,
          messageId: message.messageId,
          serviceName: localServiceOf(message),
          eventType: 'orphaned_dispatch_claim_recovered',
          oldStatus: message.overallStatus,
          newStatus: message.overallStatus,
          meta: {
            recovery_type: 'orphaned_dispatch_claim',
            previous_claim_id: message.lockedBy,
            claim_id: claimId,
            operation,
          },
          now,
        });
      }
      return dispatchClaim(message, claimId, message.lockedBy);
    });
  }

  /**
   * Claims a dead letter's original for reprocessing (BEHAVIOR §9.3): the message goes back to the
   * dispatchable state and the dead letter to `reprocessing` with `reprocess_count + 1`, in one
   * transaction. `statuses` and `maxReprocessCount` restate the eligibility the caller checked.
   */
  async claimDeadLetterReprocess(
    deadLetterId: number,
    operation: DispatchOperation,
    options: DispatchClaimOptions & { statuses: string[]; maxReprocessCount: number | null },
  ): Promise<DeadLetterReprocessClaim> {
    const { now } = options;
    try {
      return await runInTransaction(this.dataSource, undefined, async (tx) => {
        const deadLetter = await tx.findOneBy(TalktoDeadLetterEntity, { id: deadLetterId });
        if (!deadLetter) return { kind: 'refused', reason: 'changed' };
        const message =
          (deadLetter.talktoMessageId === null
            ? null
            : await tx.findOneBy(TalktoMessageEntity, { id: deadLetter.talktoMessageId })) ??
          (deadLetter.messageId === null
            ? null
            : await tx.findOneBy(TalktoMessageEntity, { messageId: deadLetter.messageId }));
        if (!message) return { kind: 'refused', reason: 'missing_original' };
        if (!isKnownDirection(message.direction)) return { kind: 'refused', reason: 'unsupported_direction' };
        if (message.overallStatus === S.succeeded || message.overallStatus === S.completed) {
          return { kind: 'refused', reason: 'terminal_success', message };
        }
        if (message.overallStatus === S.sending || message.overallStatus === S.processing) {
          return { kind: 'refused', reason: 'active_message_operation', message };
        }
        if (message.lockedUntil !== null && message.lockedUntil >= now) {
          return { kind: 'refused', reason: 'active_claim', message };
        }
        const claimId = newClaimId(operation);
        const moved = await tx
          .createQueryBuilder()
          .update(TalktoMessageEntity)
          .set({
            ...dispatchableState(message.direction),
            nextRetryAt: null,
            nextAttemptAt: null,
            ...claimLock(claimId, options),
          })
          .where('id = :id', { id: message.id })
          .andWhere('overall_status = :overall', { overall: message.overallStatus })
          .andWhere(noLiveLock(now))
          .execute();
        if (moved.affected !== 1) return { kind: 'refused', reason: 'changed', message };
        const marked = tx
          .createQueryBuilder()
          .update(TalktoDeadLetterEntity)
          .set({
            status: 'reprocessing',
            reprocessCount: () => 'reprocess_count + 1',
            reprocessedAt: now,
            updatedAt: now,
          })
          .where('id = :id', { id: deadLetterId })
          .andWhere('status = :status', { status: deadLetter.status })
          .andWhere('status IN (:...statuses)', { statuses: options.statuses });
        if (options.maxReprocessCount !== null) {
          marked.andWhere('reprocess_count < :max', { max: options.maxReprocessCount });
        }
        if ((await marked.execute()).affected !== 1) throw new ClaimRaceLost();
        return { kind: 'claimed', claim: dispatchClaim(message, claimId, message.lockedBy), message };
      });
    } catch (error) {
      if (error instanceof ClaimRaceLost) return { kind: 'refused', reason: 'changed' };
      throw error;
    }
  }

  /**
   * Undoes a dispatch claim whose queue hand-over failed, only while the row still carries it;
   * the row then rests as before the claim and the sweeper or an operator tries again.
   */
  async releaseDispatchClaim(claim: DispatchClaim, now: Date): Promise<boolean> {
    const affected = await runStandaloneWrite(this.dataSource, (manager) =>
      updateRows(
        manager,
        TalktoMessageEntity,
        { lockedUntil: now, updatedAt: now },
        { equal: { id: claim.id, lockedBy: claim.claimId } },
      ),
    );
    return affected === 1;
  }

  private async duplicateById(messageId: string): Promise<InsertIncomingResult | null> {
    const byId = await this.findByMessageId(messageId);
    return byId ? { kind: 'duplicate', status: 'already_received', messageId: byId.messageId } : null;
  }

  private async duplicateByKey(fingerprint: string): Promise<InsertIncomingResult | null> {
    const byKey = await findRow(this.dataSource.manager, TalktoMessageEntity, {
      idempotencyFingerprint: fingerprint,
    });
    return byKey
      ? { kind: 'duplicate', status: duplicateStatusFor(byKey.overallStatus), messageId: byKey.messageId }
      : null;
  }

  private claim(
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

  /** Ends a claim: the update applies only while `claim` still holds the row. */
  private finish(
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
    },
  ): Promise<boolean> {
    const newStatus = spec.changes.overallStatus;
    const notes = (spec.notes ?? []).map((note) => ({ ...note, now }));
    const work = async (tx: EntityManager): Promise<boolean> => {
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
        { ...spec.changes, ...UNLOCKED, updatedAt: now },
        { equal: { id: claim.id, lockedBy: claim.workerId, overallStatus: claim.heldStatus } },
      );
      chain.update(
        TalktoAttemptEntity,
        { ...spec.attempt, updatedAt: now },
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
      if (!spec.deadLetter) {
        notes.forEach((note) => chain.insert(TalktoEventEntity, eventRow(note), ended));
      }
      if (!(await chain.run(tx)).wrote(ended)) return false;
      if (spec.deadLetter) {
        // A dead letter copies the whole row as it is now.
        const message = await findRow(tx, TalktoMessageEntity, { id: claim.id });
        await this.deadLetterIn(tx, message!, spec.deadLetter);
        for (const note of notes) await insertEvent(tx, note);
      }
      return true;
    };
    // A dead letter reads and writes after the chain, so it needs a transaction on every engine.
    return spec.deadLetter
      ? runInTransaction(this.dataSource, spec.manager, work)
      : runChained(this.dataSource, spec.manager, work);
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
}

/**
 * One decision on a callback for the original as `current` shows it: the events of a duplicate or
 * stale report, or the status change with its events; null when the row is no longer `current`.
 */
async function applyCallbackTo(
  tx: EntityManager,
  current: TalktoMessageEntity,
  input: ApplyCallbackInput,
  now: Date,
): Promise<ApplyCallbackResult | null> {
  const application = decideCallbackApplication(current, input.status);
  const wanted = callbackStatusPair(input.status);
  const event = (eventType: string, meta: Record<string, unknown>, newStatus = current.overallStatus) =>
    eventRow({
      talktoMessageId: current.id,
      messageId: current.messageId,
      serviceName: current.sourceService,
      eventType,
      oldStatus: current.overallStatus,
      newStatus,
      meta,
      now,
    });
  const received = {
    callback_message_id: input.callbackMessageId,
    status: input.status,
    source: input.source,
    command: input.command,
  };
  const chain = new RowChain();
  if (application !== 'applied') {
    chain.insert(TalktoEventEntity, event('result_callback_received', received));
    chain.insert(
      TalktoEventEntity,
      event(application === 'duplicate' ? 'result_callback_duplicate' : 'result_callback_stale_ignored', {
        callback_message_id: input.callbackMessageId,
        callback_status: input.status,
        current_destination_action_status: current.destinationActionStatus,
        current_overall_status: current.overallStatus,
      }),
    );
    await chain.run(tx);
    return { application, original: current };
  }
  const success = wanted.overall === S.completed;
  const changes = {
    destinationActionStatus: wanted.destination,
    overallStatus: wanted.overall,
    completedAt: success ? now : null,
    failedAt: success ? null : now,
    lastError: success ? null : limitText(input.errorMessage),
    updatedAt: now,
  };
  // Restating `updated_at` too makes the row after the update known without a re-read.
  const updated = chain.update(TalktoMessageEntity, changes, {
    equal: {
      id: current.id,
      overallStatus: current.overallStatus,
      destinationActionStatus: current.destinationActionStatus,
      updatedAt: current.updatedAt,
    },
  });
  chain.insert(TalktoEventEntity, event('result_callback_received', received, wanted.overall), updated);
  chain.insert(
    TalktoEventEntity,
    event(
      'result_callback_applied',
      {
        callback_message_id: input.callbackMessageId,
        destination_action_status: wanted.destination,
        result: input.result ?? null,
        result_meta: input.meta ?? null,
      },
      wanted.overall,
    ),
    updated,
  );
  if (!(await chain.run(tx)).wrote(updated)) return null;
  return { application, original: Object.assign(new TalktoMessageEntity(), current, changes) };
}

/** What a kind of claim (a send, a handler run) writes and which rows it may take. */
interface ClaimSpec {
  heldStatus: MessageClaim['heldStatus'];
  stage: RecordAttemptInput['stage'];
  eventType: string;
  changes: RowChanges<TalktoMessageEntity>;
  /** What `changes` leave in the row, given the row before them. */
  held: (before: TalktoMessageEntity) => Partial<TalktoMessageEntity>;
  /** The rest of the WHERE clause: the row is in a state this claim may take it from. */
  eligible: (bind: SqlBinder) => string;
}

/**
 * Claims the row as `before` shows it: the update applies only while the row still is that row
 * (`also` restates more of it), so the claimed row is known without a re-read.
 */
async function claimRow(
  tx: EntityManager,
  before: TalktoMessageEntity,
  also: Partial<TalktoMessageEntity>,
  { workerId, leaseMs, now, spec }: { workerId: string; leaseMs: number; now: Date; spec: ClaimSpec },
): Promise<ClaimedMessage | null> {
  const id = before.id;
  const lock = {
    overallStatus: spec.heldStatus,
    lastAttemptedAt: now,
    nextRetryAt: null,
    nextAttemptAt: null,
    lockedAt: now,
    lockedBy: workerId,
    lockedUntil: new Date(now.getTime() + leaseMs),
    updatedAt: now,
  };
  const message = Object.assign(new TalktoMessageEntity(), {
    ...before,
    ...spec.held(before),
    ...lock,
    attempts: before.attempts + 1,
  });
  const chain = new RowChain();
  const claimed = chain.update(
    TalktoMessageEntity,
    { ...spec.changes, ...lock, attempts: INCREMENT },
    {
      equal: {
        id,
        overallStatus: before.overallStatus,
        attempts: before.attempts,
        retryCount: before.retryCount,
        ...also,
      },
      sql: spec.eligible,
    },
  );
  const attempt = chain.insert(
    TalktoAttemptEntity,
    attemptRow({
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
    }),
    claimed,
  );
  chain.insert(
    TalktoEventEntity,
    eventRow({
      talktoMessageId: id,
      messageId: message.messageId,
      serviceName: localServiceOf(message),
      eventType: spec.eventType,
      oldStatus: before.overallStatus,
      newStatus: spec.heldStatus,
      meta: { attempt_no: message.attempts, locked_by: workerId },
      now,
    }),
    claimed,
  );
  const written = await chain.run(tx);
  if (!written.wrote(claimed)) return null;
  return {
    message,
    claim: {
      id,
      workerId,
      attemptId: written.id(attempt)!,
      attemptNo: message.attempts,
      heldStatus: spec.heldStatus,
      messageId: message.messageId,
      service: localServiceOf(message),
    },
  };
}

/** What an event about a row needs: its ids, the service whose log it is, its status now. */
interface LoggedRow {
  id: number;
  messageId: string;
  service: string;
  overallStatus: string;
}

/** Thrown inside a claim transaction to roll it back when the second conditional update loses. */
class ClaimRaceLost extends Error {}

function isKnownDirection(direction: string): direction is MessageDirection {
  return direction === 'outgoing' || direction === 'incoming';
}

function newClaimId(operation: DispatchOperation): string {
  return `${DISPATCH_CLAIM_PREFIX}${operation}:${randomUUID()}`;
}

/** Where a send or process job starts from (BEHAVIOR §6.4). */
function dispatchableState(direction: MessageDirection) {
  return direction === 'outgoing'
    ? { transportStatus: S.pending, overallStatus: S.waitingToSend }
    : { destinationActionStatus: S.queued, overallStatus: S.queued };
}

function claimLock(claimId: string, options: DispatchClaimOptions) {
  return {
    lockedAt: options.now,
    lockedBy: claimId,
    lockedUntil: new Date(options.now.getTime() + options.leaseMs),
    updatedAt: options.now,
  };
}

/** No worker or dispatch claim holds the row right now. */
function noLiveLock(now: Date): Brackets {
  return new Brackets((lock) =>
    lock.where('locked_until IS NULL').orWhere('locked_until < :lockNow', { lockNow: now }),
  );
}

function dispatchClaim(
  message: TalktoMessageEntity,
  claimId: string,
  previousLockedBy: string | null,
): DispatchClaim {
  return {
    id: message.id,
    messageId: message.messageId,
    direction: message.direction,
    command: message.command,
    claimId,
    previousLockedBy,
  };
}

/** Only rows this service owns: its outgoing messages and the commands sent to it (BEHAVIOR §13.3). */
function ownedBy<T extends SelectQueryBuilder<TalktoMessageEntity>>(query: T, service?: string): T {
  if (service === undefined) return query;
  query.andWhere(
    new Brackets((owned) =>
      owned
        .where("(m.direction = 'outgoing' AND m.source_service = :owner)", { owner: service })
        .orWhere("(m.direction = 'incoming' AND m.target_service = :owner)", { owner: service }),
    ),
  );
  return query;
}

/**
 * A message row as a re-read would return it once inserted (`id` is set by the caller): every
 * column is written by the ledger, else takes its literal default, else is null.
 */
/** Per data source: each message column's property and the value a new row gets when none is written. */
const messageColumnDefaults = new WeakMap<DataSource, Array<[property: string, fallback: unknown]>>();

function messageRow(dataSource: DataSource, values: Partial<TalktoMessageEntity>): TalktoMessageEntity {
  let defaults = messageColumnDefaults.get(dataSource);
  if (defaults === undefined) {
    defaults = dataSource
      .getMetadata(TalktoMessageEntity)
      .columns.map((column) => [
        column.propertyName,
        typeof column.default === 'function' ? undefined : (column.default ?? null),
      ]);
    messageColumnDefaults.set(dataSource, defaults);
  }
  const written = values as Record<string, unknown>;
  // Every value is a column value already: TypeORM's create() would only copy them, slowly.
  const row = new TalktoMessageEntity() as unknown as Record<string, unknown>;
  for (const [property, fallback] of defaults) {
    const value = written[property];
    row[property] = value !== undefined ? value : fallback;
  }
  return row as unknown as TalktoMessageEntity;
}

function identity(
  input: CreateOutgoingInput | InsertIncomingInput,
  direction: MessageDirection,
  fingerprint: string | null,
  now: Date,
): Partial<TalktoMessageEntity> {
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
    traceparent: input.traceparent ?? null,
    attempts: 0,
    createdAt: now,
    updatedAt: now,
  };
}

/** A retryable row whose retry is due; expects the `now` parameter on the query. */
function retryableAndDue(bind: SqlBinder, now: Date): string {
  return (
    `(overall_status = ${bind(S.failedRetryable, 'overallStatus')} AND next_retry_at IS NOT NULL` +
    ` AND next_retry_at <= ${bind(now, 'nextRetryAt')} AND retry_count < max_attempts)`
  );
}

function statusList(bind: SqlBinder, statuses: readonly string[]): string {
  return statuses.map((status) => bind(status, 'overallStatus')).join(', ');
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
