import type { EntityManager } from 'typeorm';
import { TalktoLedgerConflictError } from '../errors/talkto-ledger-conflict.error.js';
import { TalktoEventEntity } from './entities/event.entity.js';
import { TalktoMessageEntity } from './entities/message.entity.js';
import { TalktoNonceEntity } from './entities/nonce.entity.js';
import { eventRow } from './message-history.writer.js';
import { callbackStatusPair, decideCallbackApplication } from './callback-application.rule.js';
import type {
  ApplyCallbackInput,
  ApplyCallbackResult,
  CallbackDeliveredInput,
  MessageClaim,
} from './message-ledger.interfaces.js';
import { MessageStatus as S } from './message.statuses.js';
import type { LedgerCore } from './ledger.core.js';
import { type ConsumeNonceInput, nonceRow } from './nonce.store.js';
import { findRow, isUniqueViolation, RowChain, runChained } from './statements/index.js';
import { limitText } from './text-limit.util.js';

/**
 * Result callbacks (PROTOCOL §11): one received is applied to the original outgoing message; one
 * this service sent and the peer accepted closes its callback row.
 */
export class ResultCallbackLedger {
  constructor(private readonly core: LedgerCore) {}

  /**
   * The outgoing message a result callback reports on: as this process marked it sent when it
   * did (`guess`: no read, see `KnownRowCache`), else as read now; null when there is none.
   */
  async findOriginal(messageId: string): Promise<{ row: TalktoMessageEntity; guess: boolean } | null> {
    const known = this.core.sent.take(messageId);
    if (known !== undefined) return { row: known, guess: true };
    const row = await findRow(this.core.dataSource.manager, TalktoMessageEntity, {
      messageId,
      direction: 'outgoing',
    });
    return row === null ? null : { row, guess: false };
  }

  /**
   * Applies a verified result callback to the original outgoing message (PROTOCOL §11.6), and
   * records the callback's nonce with its first write (a used one: `replay`, nothing written). It
   * decides from the original as the caller has just read it: a duplicate or stale report is
   * recorded as judged from that row (read first when the caller only guessed it); a status change
   * restates the row (statuses and `updated_at`) and, when the row has changed since, it reads it
   * again and decides again.
   */
  async applyCallback(input: ApplyCallbackInput): Promise<ApplyCallbackResult> {
    const now = input.now ?? new Date();
    let current: TalktoMessageEntity | null = input.original;
    let nonce = input.nonce ?? null;
    const reread = (id: number) => findRow(this.core.dataSource.manager, TalktoMessageEntity, { id });
    if (input.guess && decideCallbackApplication(current, input.status) !== 'applied') {
      current = await reread(current.id);
      if (!current) throw new TalktoLedgerConflictError(input.original.id);
    }
    for (let round = 0; ; round++) {
      const seen: TalktoMessageEntity = current;
      const first = nonce;
      let outcome: ApplyCallbackResult | null;
      try {
        outcome = await runChained(this.core.dataSource, undefined, (tx) =>
          applyCallbackTo(tx, seen, input, now, first),
        );
      } catch (error) {
        // Nothing else the chain writes is unique: the nonce was used before.
        if (first !== null && isUniqueViolation(error)) return { application: 'replay', original: seen };
        throw error;
      }
      nonce = null;
      if (outcome !== null) {
        return outcome;
      }
      if (round >= 10) {
        throw new TalktoLedgerConflictError(seen.id);
      }
      current = await reread(seen.id);
      if (!current) throw new TalktoLedgerConflictError(seen.id);
    }
  }

  /** A result callback the peer accepted: the callback row is done (BEHAVIOR §3.3, §4.5). */
  async markCallbackDelivered(claim: MessageClaim, input: CallbackDeliveredInput): Promise<boolean> {
    const now = input.now ?? new Date();
    const recorded = await this.core.finish(claim, now, {
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
    return recorded !== false;
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
  nonce: ConsumeNonceInput | null,
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
  if (nonce !== null) chain.insert(TalktoNonceEntity, nonceRow(nonce));
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
  return { application, original: Object.assign(new TalktoMessageEntity(), current, changes) };
}
