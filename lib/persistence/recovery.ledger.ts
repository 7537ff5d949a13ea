import { randomUUID } from 'node:crypto';
import { Brackets, type EntityManager, type SelectQueryBuilder } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity.js';
import { TalktoDeadLetterEntity } from './entities/dead-letter.entity.js';
import { type MessageDirection, TalktoMessageEntity } from './entities/message.entity.js';
import { insertEvent, localServiceOf } from './message-history.writer.js';
import type {
  DeadLetterInput,
  DeadLetterReprocessClaim,
  DispatchClaim,
  DispatchClaimOptions,
  DispatchOperation,
  DueRowFilter,
} from './message-ledger.interfaces.js';
import { MessageStatus as S } from './message.statuses.js';
import { type LedgerCore, UNLOCKED } from './ledger.core.js';
import { closeAbandonedSends, findAbandonedSends } from './late-send-answer.js';
import { runInTransaction, runStandaloneWrite, updateRows } from './statements/index.js';

type MessageChanges = QueryDeepPartialEntity<TalktoMessageEntity>;

export type StaleClaimRelease = 'released' | 'exhausted' | 'changed';

/** Prefix of `locked_by` for rows claimed for a re-dispatch (BEHAVIOR §6.4). */
export const DISPATCH_CLAIM_PREFIX = 'dispatch-claim:';

const STALE_EXHAUSTED_ERROR = 'Stale Talkto lock recovered after attempts were exhausted.';

/**
 * Recovery: what the sweeper and the operators find and take back. Due retries, lost jobs and
 * stale claims are found; a row is claimed for a re-dispatch, a stale claim released, a message
 * dead-lettered and a dead letter's original claimed for reprocessing.
 */
export class RecoveryLedger {
  constructor(private readonly core: LedgerCore) {}

  /** Dead-letters a message (one row per message, BEHAVIOR §9.1) with a `dead_lettered` event when new. */
  async storeDeadLetter(
    message: TalktoMessageEntity,
    input: DeadLetterInput = {},
    manager?: EntityManager,
  ): Promise<void> {
    await runInTransaction(this.core.dataSource, manager, (tx) => this.core.deadLetterIn(tx, message, input));
  }

  /** Failed retryable messages whose retry time has come, oldest first (retry_lookup index). */
  findDueRetries(now: Date, limit: number, filter: DueRowFilter = {}): Promise<TalktoMessageEntity[]> {
    const query = this.core.dataSource.manager
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
    const query = this.core.dataSource.manager
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
    const query = this.core.dataSource.manager
      .createQueryBuilder(TalktoMessageEntity, 'm')
      .where('m.overall_status IN (:...held)', { held: [S.sending, S.processing] })
      .andWhere('m.locked_until < :now', { now });
    if (filter.direction) query.andWhere('m.direction = :direction', { direction: filter.direction });
    return ownedBy(query, filter.service).orderBy('m.locked_until', 'ASC').limit(limit).getMany();
  }

  /** Expired send claims whose result was applied meanwhile, oldest lease first. */
  findAbandonedSends(now: Date, limit: number, filter: DueRowFilter = {}): Promise<TalktoMessageEntity[]> {
    return findAbandonedSends(this.core.dataSource, now, limit, filter.service);
  }

  /** Expired send claims whose result was applied meanwhile: closed, never sent again (see `closeAbandonedSends`). */
  closeAbandonedSends(now: Date, limit: number, filter: DueRowFilter = {}): Promise<number> {
    return closeAbandonedSends(this.core.dataSource, now, limit, filter.service);
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
    return runInTransaction(this.core.dataSource, undefined, async (tx) => {
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
        .set(Object.assign({}, changes, UNLOCKED, { nextRetryAt: null, nextAttemptAt: null, updatedAt: now }))
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
        await this.core.deadLetterIn(tx, failed, { reason: STALE_EXHAUSTED_ERROR, now });
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
    return runInTransaction(this.core.dataSource, undefined, async (tx) => {
      const message = await tx.findOneBy(TalktoMessageEntity, { id });
      if (!message || !isKnownDirection(message.direction)) return null;
      const claimId = newClaimId(operation);
      const update = tx
        .createQueryBuilder()
        .update(TalktoMessageEntity)
        .set(
          Object.assign(
            {},
            dispatchableState(message.direction),
            { nextRetryAt: now, nextAttemptAt: now },
            claimLock(claimId, options),
          ),
        )
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
    return runInTransaction(this.core.dataSource, undefined, async (tx) => {
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
      return await runInTransaction(this.core.dataSource, undefined, async (tx) => {
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
          .set(
            Object.assign(
              {},
              dispatchableState(message.direction),
              { nextRetryAt: null, nextAttemptAt: null },
              claimLock(claimId, options),
            ),
          )
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
    const affected = await runStandaloneWrite(this.core.dataSource, (manager) =>
      updateRows(
        manager,
        TalktoMessageEntity,
        { lockedUntil: now, updatedAt: now },
        { equal: { id: claim.id, lockedBy: claim.claimId } },
      ),
    );
    return affected === 1;
  }
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
