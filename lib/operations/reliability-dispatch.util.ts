import type { ResolvedTalktoOptions } from '../config/resolved-options.interface.js';
import type { TalktoMessageEntity } from '../persistence/entities/message.entity.js';
import type { MessageLog } from '../persistence/message.log.js';
import type { RecoveryLedger } from '../persistence/recovery.ledger.js';
import type { DispatchClaim } from '../persistence/message-ledger.interfaces.js';
import { localServiceOf } from '../persistence/message-history.writer.js';
import { queueFor } from '../queue/dispatch-target.util.js';
import type { TalktoDispatcher } from '../queue/talkto.dispatcher.js';

/**
 * Hands a claimed row to its queue. On failure the claim is given up (the row stays
 * dispatchable, so the sweeper tries again) and `failedEvent` is recorded.
 */
export async function dispatchClaimed(
  deps: {
    messages: MessageLog;
    recovery: RecoveryLedger;
    dispatcher: TalktoDispatcher;
    options: ResolvedTalktoOptions;
  },
  claim: DispatchClaim,
  now: Date,
  failedEvent: string,
): Promise<boolean> {
  if (await deps.dispatcher.dispatch(queueFor(claim, deps.options), claim.id)) return true;
  await deps.recovery.releaseDispatchClaim(claim, now);
  await deps.messages.recordEvent({
    talktoMessageId: claim.id,
    messageId: claim.messageId,
    serviceName: deps.options.service,
    eventType: failedEvent,
    meta: { claim_id: claim.claimId, reason: 'queue_dispatch_failed' },
    now,
  });
  return false;
}

/** The row belongs to this service (BEHAVIOR §13.3). */
export function ownsMessage(message: TalktoMessageEntity, service: string): boolean {
  return localServiceOf(message) === service;
}
