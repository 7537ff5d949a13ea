import type { EntityManager } from 'typeorm';
import { TalktoAttemptEntity } from './entities/attempt.entity.js';
import { TalktoEventEntity } from './entities/event.entity.js';
import { TalktoMessageEntity } from './entities/message.entity.js';
import { eventRow, localServiceOf } from './message-history.writer.js';
import type { MessageClaim } from './message-ledger.interfaces.js';
import { MessageStatus as S } from './message.statuses.js';
import { findRow, RowChain, type RowChanges } from './statements/index.js';

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
}

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
  claim: MessageClaim,
  now: Date,
  answer: LateSendAnswer,
): Promise<boolean> {
  const current = await findRow(tx, TalktoMessageEntity, { id: claim.id });
  if (!current || current.lockedBy !== claim.workerId || current.overallStatus === claim.heldStatus) {
    return false;
  }
  const status = current.overallStatus;
  const ignored = { response_ignored: true, reason: 'message_already_terminal', current_status: status };
  const chain = new RowChain();
  const released = chain.update(
    TalktoMessageEntity,
    { ...answer.transport, lockedAt: null, lockedBy: null, lockedUntil: null, updatedAt: now },
    { equal: { id: claim.id, lockedBy: claim.workerId, overallStatus: status } },
  );
  chain.update(
    TalktoAttemptEntity,
    { ...answer.attempt, meta: { ...answer.attempt.meta, ...ignored }, updatedAt: now },
    { equal: { id: claim.attemptId, status: S.sending } },
    released,
  );
  chain.insert(
    TalktoEventEntity,
    eventRow({
      talktoMessageId: claim.id,
      messageId: current.messageId,
      serviceName: localServiceOf(current),
      eventType: 'message_send_response_ignored',
      oldStatus: status,
      newStatus: status,
      meta: { ...answer.eventMeta, reason: ignored.reason },
      now,
    }),
    released,
  );
  return (await chain.run(tx)).wrote(released);
}
