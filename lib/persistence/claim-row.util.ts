import type { EntityManager } from 'typeorm';
import { TalktoAttemptEntity } from './entities/attempt.entity.js';
import { TalktoEventEntity } from './entities/event.entity.js';
import { TalktoMessageEntity } from './entities/message.entity.js';
import { attemptRow, eventRow, localServiceOf } from './message-history.writer.js';
import type { ClaimedMessage, MessageClaim, RecordAttemptInput } from './message-ledger.interfaces.js';
import { MessageStatus as S } from './message.statuses.js';
import { changedRow, withoutNulls } from './message-row.util.js';
import { INCREMENT, RowChain, type RowChanges, type SqlBinder } from './statements/index.js';

/** What a kind of claim (a send, a handler run) writes and which rows it may take. */
export interface ClaimSpec {
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
export async function claimRow(
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
  const message = changedRow(before, spec.held(before), lock, { attempts: before.attempts + 1 });
  const chain = new RowChain();
  const claimed = chain.update(
    TalktoMessageEntity,
    Object.assign({}, spec.changes, lock, { attempts: INCREMENT }),
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

/** A retryable row whose retry is due; expects the `now` parameter on the query. */
export function retryableAndDue(bind: SqlBinder, now: Date): string {
  return (
    `(overall_status = ${bind(S.failedRetryable, 'overallStatus')} AND next_retry_at IS NOT NULL` +
    ` AND next_retry_at <= ${bind(now, 'nextRetryAt')} AND retry_count < max_attempts)`
  );
}

export function statusList(bind: SqlBinder, statuses: readonly string[]): string {
  return statuses.map((status) => bind(status, 'overallStatus')).join(', ');
}
