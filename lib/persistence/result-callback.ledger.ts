import type { EntityManager } from 'typeorm';
import { TalktoLedgerConflictError } from '../errors/talkto-ledger-conflict.error.js';
import { TalktoEventEntity } from './entities/event.entity.js';
import { TalktoMessageEntity } from './entities/message.entity.js';
import { eventRow } from './message-history.writer.js';
import { changedRow } from './message-row.util.js';
import { callbackStatusPair, decideCallbackApplication } from './callback-application.rule.js';
import type {
  ApplyCallbackInput,
  ApplyCallbackResult,
  CallbackDeliveredInput,
  MessageClaim,
} from './message-ledger.interfaces.js';
import { MessageStatus as S } from './message.statuses.js';
import { type LedgerCore, wasRecorded } from './ledger.core.js';
import { findRow, RowChain, runChained } from './statements/index.js';
import { limitText } from './text-limit.util.js';

/**
 * Result callbacks (PROTOCOL §11): one received is applied to the original outgoing message; one
 * this service sent and the peer accepted closes its callback row.
 */
export class ResultCallbackLedger {
  constructor(private readonly core: LedgerCore) {}

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
      const outcome = await runChained(this.core.dataSource, undefined, (tx) =>
        applyCallbackTo(tx, seen, input, now),
      );
      if (outcome !== null) {
        return outcome;
      }
      if (round >= 10) {
        throw new TalktoLedgerConflictError(current.id);
      }
      const reread = await findRow(this.core.dataSource.manager, TalktoMessageEntity, { id: current.id });
      if (!reread) throw new TalktoLedgerConflictError(current.id);
      current = reread;
    }
  }

  /** A result callback the peer accepted: the callback row is done (BEHAVIOR §3.3, §4.5). */
  markCallbackDelivered(claim: MessageClaim, input: CallbackDeliveredInput): Promise<boolean> {
    const now = input.now ?? new Date();
    const finished = this.core.finish(claim, now, {
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
    return finished.then(wasRecorded);
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
    // The peer has the command: a transport retry still scheduled would only fetch a duplicate
    // answer and write it over this result.
    nextRetryAt: null,
    nextAttemptAt: null,
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
  return { application, original: changedRow(current, changes) };
}
