import type { DataSource, EntityManager } from 'typeorm';
import { TalktoAttemptEntity } from './entities/attempt.entity.js';
import { TalktoEventEntity } from './entities/event.entity.js';
import { TalktoMessageEntity } from './entities/message.entity.js';
import { eventRow, localServiceOf } from './message-history.writer.js';
import type { MessageClaim } from './message-ledger.interfaces.js';
import { MessageStatus as S } from './message.statuses.js';
import { findRow, RowChain, type RowChanges, runChained } from './statements/index.js';

/** What a send's answer writes when the result it waited for is already applied. */
export interface LateSendAnswer {
  /** Transport columns only: the status pair the result callback wrote stays. */
  transport: RowChanges<TalktoMessageEntity>;
  attempt: Partial<
    Pick<
      TalktoAttemptEntity,
      'status' | 'httpStatus' | 'errorClass' | 'errorMessage' | 'responseExcerpt' | 'meta'
    >
  >;
  eventMeta: Record<string, unknown>;
  /** Default `message_send_response_ignored` (BEHAVIOR §3.1). */
  eventType?: string;
}

/** A send claim: its attempt when known, else the row's open transport attempt. */
type SendClaim = Pick<MessageClaim, 'id' | 'workerId' | 'heldStatus'> & { attemptId?: number };

const ABANDONED_ERROR = 'The sender stopped before its answer; the result had already been applied.';

/**
 * A peer may apply its result callback before the sender interprets the answer to the send (PHP's
 * sync queue always does). The row then still carries this sender's lock but no longer its held
 * status, so the answer's own update finds nothing. BEHAVIOR §3.1: such an answer is recorded but
 * ignored (`message_send_response_ignored`). We record it on the transport columns, close the
 * claim's attempt and release the lock, so the row is whole and nothing sends it again. False when
 * the row is not in that state (the claim was lost another way).
 */
export async function recordLateSendAnswer(
  tx: EntityManager,
  claim: SendClaim,
  now: Date,
  answer: LateSendAnswer,
): Promise<boolean> {
  const current = await findRow(tx, TalktoMessageEntity, { id: claim.id });
  if (!current || current.lockedBy !== claim.workerId || current.overallStatus === claim.heldStatus) {
    return false;
  }
  const status = current.overallStatus;
  // An answer that came is recorded as ignored; a recovery has no answer to ignore.
  const ignored =
    answer.eventType === undefined
      ? { response_ignored: true, reason: 'message_already_terminal', current_status: status }
      : { current_status: status };
  const chain = new RowChain();
  const released = chain.update(
    TalktoMessageEntity,
    Object.assign({}, answer.transport, {
      lockedAt: null,
      lockedBy: null,
      lockedUntil: null,
      updatedAt: now,
    }),
    { equal: { id: claim.id, lockedBy: claim.workerId, overallStatus: status } },
  );
  chain.update(
    TalktoAttemptEntity,
    Object.assign({}, answer.attempt, {
      meta: Object.assign({}, answer.attempt.meta, ignored),
      updatedAt: now,
    }),
    {
      equal:
        claim.attemptId === undefined
          ? { talktoMessageId: claim.id, stage: 'transport', status: S.sending }
          : { id: claim.attemptId, status: S.sending },
    },
    released,
  );
  chain.insert(
    TalktoEventEntity,
    eventRow({
      talktoMessageId: claim.id,
      messageId: current.messageId,
      serviceName: localServiceOf(current),
      eventType: answer.eventType ?? 'message_send_response_ignored',
      oldStatus: status,
      newStatus: status,
      meta: Object.assign({}, 'reason' in ignored ? { reason: ignored.reason } : {}, answer.eventMeta),
      now,
    }),
    released,
  );
  return (await chain.run(tx)).wrote(released);
}

/**
 * Sends whose result was applied while they were in flight and whose sender never came back: the
 * lease ran out with the row still locked and `transport_status = sending`. Stale recovery must
 * not send them again (their overall status is no longer `sending`), so they are closed instead.
 */
export function findAbandonedSends(
  dataSource: DataSource,
  now: Date,
  limit: number,
  service?: string,
): Promise<TalktoMessageEntity[]> {
  const query = dataSource.manager
    .createQueryBuilder(TalktoMessageEntity, 'm')
    // Such a row still holds its lock: `locked_at_idx` reads only locked rows, of which there are few.
    .where('m.locked_at IS NOT NULL')
    .andWhere('m.transport_status = :sending', { sending: S.sending })
    .andWhere('m.overall_status <> :sending')
    .andWhere("m.direction = 'outgoing'")
    .andWhere('m.locked_until < :now', { now });
  if (service !== undefined) query.andWhere('m.source_service = :service', { service });
  return query.orderBy('m.locked_until', 'ASC').limit(limit).getMany();
}

/** Closes what `findAbandonedSends` finds; the count of rows closed (another actor may win a row). */
export async function closeAbandonedSends(
  dataSource: DataSource,
  now: Date,
  limit: number,
  service?: string,
): Promise<number> {
  let closed = 0;
  for (const row of await findAbandonedSends(dataSource, now, limit, service)) {
    const claim = { id: row.id, workerId: row.lockedBy ?? '', heldStatus: S.sending };
    const answer: LateSendAnswer = {
      transport: { transportStatus: S.failed },
      attempt: { status: S.failedRetryable, errorClass: 'stale_lock', errorMessage: ABANDONED_ERROR },
      eventType: 'stale_lock_recovered',
      eventMeta: {
        recovery_type: 'result_already_applied',
        old_locked_at: row.lockedAt?.toISOString() ?? null,
        old_locked_by: row.lockedBy,
      },
    };
    if (await runChained(dataSource, undefined, (tx) => recordLateSendAnswer(tx, claim, now, answer)))
      closed++;
  }
  return closed;
}
