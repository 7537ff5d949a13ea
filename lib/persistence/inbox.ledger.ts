import type { EntityManager } from 'typeorm';
import { idempotencyFingerprint } from '../protocol/derived-ids.util.js';
import { TalktoMessageEntity } from './entities/message.entity.js';
import type {
  ClaimedMessage,
  InsertIncomingInput,
  InsertIncomingResult,
  MessageClaim,
  ProcessedFollowUp,
  ProcessedRecord,
  ProcessOutcome,
} from './message-ledger.interfaces.js';
import type { ConsumeNonceInput } from './nonce.store.js';
import { duplicateStatusFor, MessageStatus as S, NOT_PROCESSABLE } from './message.statuses.js';
import { retryableAndDue, statusList } from './claim-row.util.js';
import { failedAttempt, failureEvent, type LedgerCore } from './ledger.core.js';
import { identity, withoutNulls } from './message-row.util.js';
import { findRow, isUniqueViolation, SqlExpression } from './statements/index.js';
import { limitText } from './text-limit.util.js';

/**
 * The inbox: a verified incoming command stored with its nonce (or found a duplicate by message
 * id or idempotency key, or a replay), claimed for one handler run, and its handler's outcome.
 */
export class InboxLedger {
  constructor(private readonly core: LedgerCore) {}

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
    // Set on the envelope's columns rather than spread into a copy: one row object per message.
    const values = identity(input, 'incoming', fingerprint, now);
    values.destinationReceiveStatus = S.received;
    values.destinationActionStatus = S.queued;
    values.overallStatus = S.queued;
    values.receivedAt = now;
    try {
      const message = await this.core.insertMessage(
        values,
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
      if (nonce && (await this.core.nonces.isUsed(nonce.nonceHash))) return { kind: 'replay' };
      const byKey = await this.afterNonce(
        nonce,
        fingerprint === null ? null : await this.duplicateByKey(fingerprint),
      );
      if (!byKey) throw error;
      return byKey;
    }
  }

  /** A duplicate by key is answered only once its nonce is recorded (step 5 before 6–7). */
  private async afterNonce(
    nonce: ConsumeNonceInput | null,
    duplicate: InsertIncomingResult | null,
  ): Promise<InsertIncomingResult | null> {
    if (duplicate === null || nonce === null) return duplicate;
    return (await this.core.nonces.consume(nonce)) ? duplicate : { kind: 'replay' };
  }

  private async duplicateById(messageId: string): Promise<InsertIncomingResult | null> {
    const byId = await findRow(this.core.dataSource.manager, TalktoMessageEntity, { messageId });
    return byId ? { kind: 'duplicate', status: 'already_received', messageId: byId.messageId } : null;
  }

  private async duplicateByKey(fingerprint: string): Promise<InsertIncomingResult | null> {
    const byKey = await findRow(this.core.dataSource.manager, TalktoMessageEntity, {
      idempotencyFingerprint: fingerprint,
    });
    return byKey
      ? { kind: 'duplicate', status: duplicateStatusFor(byKey.overallStatus), messageId: byKey.messageId }
      : null;
  }

  /** Takes an incoming message for one handler run (BEHAVIOR §3.2, §5.2 step 4); null when not processable. */
  async claimForProcessing(
    id: number,
    workerId: string,
    leaseMs: number,
    now = new Date(),
  ): Promise<ClaimedMessage | null> {
    return this.core.claim(id, workerId, leaseMs, now, {
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

  /**
   * Applies a handler's outcome to a claimed incoming message (BEHAVIOR §5.4), with what follows
   * it (`ProcessedFollowUp`: notes, the result callback row) in the same write, so only when the
   * outcome is. False when the claim was lost.
   */
  markProcessed(
    claim: MessageClaim,
    outcome: ProcessOutcome,
    now = new Date(),
    manager?: EntityManager,
    { notes = [], callback }: ProcessedFollowUp = {},
  ): Promise<ProcessedRecord | false> {
    switch (outcome.kind) {
      case 'succeeded':
      case 'skipped': {
        const status = outcome.kind === 'succeeded' ? S.succeeded : S.skipped;
        const meta =
          outcome.kind === 'succeeded'
            ? { result: outcome.result ?? {}, result_meta: outcome.meta ?? {} }
            : { result_meta: outcome.meta ?? {} };
        return this.core.finish(claim, now, {
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
          callback,
        });
      }
      case 'failed_retryable':
        if (outcome.nextRetryAt !== null) {
          return this.core.markRetryableFailure(
            claim,
            Object.assign({}, outcome, {
              nextRetryAt: outcome.nextRetryAt,
              column: 'destination_action_status' as const,
              now,
              manager,
              notes,
              callback,
            }),
          );
        }
        // Incoming retries disabled: the row rests in failed_retryable with nothing scheduled.
        return this.core.finish(claim, now, {
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
          callback,
        });
      case 'failed_final':
        return this.core.markFinalFailure(
          claim,
          Object.assign({}, outcome, {
            column: 'destination_action_status' as const,
            retryEvent: outcome.retryExhausted ? 'retry_exhausted' : undefined,
            now,
            manager,
            notes,
            callback,
          }),
        );
    }
  }
}
