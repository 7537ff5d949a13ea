import type { EntityManager } from 'typeorm';
import { TalktoMessageEntity } from './entities/message.entity.js';
import type {
  ClaimedMessage,
  CreateOutgoingInput,
  FinalFailureInput,
  MessageClaim,
  RecordEventInput,
  RetryableFailureInput,
  SentResponse,
} from './message-ledger.interfaces.js';
import { MessageStatus as S, NOT_SENDABLE } from './message.statuses.js';
import { retryableAndDue, statusList } from './claim-row.util.js';
import { type LedgerCore, wasRecorded } from './ledger.core.js';
import { newOutgoing, OUTGOING_START, outgoingFingerprint } from './message-row.util.js';
import { findRow, isUniqueViolation } from './statements/index.js';
import { limitText, STATUS_TEXT_LIMIT } from './text-limit.util.js';

/**
 * The outbox: an outgoing message from its creation (in the host's transaction when given)
 * through its claim for a send to the answer: sent, or failed with a retry scheduled or not.
 */
export class OutboxLedger {
  constructor(private readonly core: LedgerCore) {}

  /**
   * Stores a new outgoing message and its `message_created` event. Pass the host's transaction
   * manager to write it atomically with the business change (transactional outbox). A reused
   * idempotency key returns the existing row untouched, also when two callers race.
   */
  createOutgoing(input: CreateOutgoingInput, manager?: EntityManager): Promise<TalktoMessageEntity> {
    return this.storeOutgoing(input, OUTGOING_START, manager);
  }

  /**
   * Records an outgoing message whose source action failed (BEHAVIOR §4.3, flow `run()`): no
   * payload, nothing to send, `failed` at once. A reused idempotency key returns the existing row.
   */
  createFailedOutgoing(
    input: Omit<CreateOutgoingInput, 'payload' | 'payloadHash' | 'sourceActionStatus'> & { error: string },
  ): Promise<TalktoMessageEntity> {
    const now = input.now ?? new Date();
    return this.storeOutgoing(Object.assign({}, input, { payload: null, payloadHash: null, now }), {
      sourceActionStatus: S.failed,
      transportStatus: null,
      overallStatus: S.failed,
      lastError: limitText(input.error),
      failedAt: now,
    });
  }

  /** One outgoing row in its starting state, with its creation event; idempotent by fingerprint. */
  private async storeOutgoing(
    input: CreateOutgoingInput,
    state: Partial<TalktoMessageEntity>,
    manager?: EntityManager,
  ): Promise<TalktoMessageEntity> {
    const now = input.now ?? new Date();
    const reader = manager ?? this.core.dataSource.manager;
    const fingerprint = outgoingFingerprint(input);
    if (fingerprint !== null) {
      const existing = await findRow(reader, TalktoMessageEntity, { idempotencyFingerprint: fingerprint });
      if (existing) return existing;
    }
    try {
      const created = newOutgoing(input, fingerprint, state, now);
      return await this.core.insertMessage(created.values, 'message_created', created.meta, now, { manager });
    } catch (error) {
      if (fingerprint === null || !isUniqueViolation(error)) throw error;
      const winner = await findRow(reader, TalktoMessageEntity, { idempotencyFingerprint: fingerprint });
      if (!winner) throw error;
      return winner;
    }
  }

  /** Takes an outgoing message for one send (BEHAVIOR §3.1, §4.4 step 6); null when not sendable. */
  async claimForSend(
    id: number,
    workerId: string,
    leaseMs: number,
    now = new Date(),
  ): Promise<ClaimedMessage | null> {
    return this.core.claim(id, workerId, leaseMs, now, {
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

  /** Records a 2xx answer to a send (BEHAVIOR §4.5). False when the claim was lost. */
  markSent(claim: MessageClaim, response: SentResponse): Promise<boolean> {
    const now = response.now ?? new Date();
    const newStatus = response.received ? S.destinationReceived : S.sent;
    const transport = {
      transportStatus: S.sent,
      sentAt: now,
      lastHttpStatus: response.httpStatus,
      lastResponse: limitText(response.body),
      destinationReceiveStatus: response.received ? S.received : S.unknown,
    };
    const attempt = {
      status: S.sent,
      httpStatus: response.httpStatus,
      responseExcerpt: limitText(response.body),
      meta: {
        received: response.received,
        destination_status: limitText(response.destinationStatus, STATUS_TEXT_LIMIT),
      },
    };
    const finished = this.core.finish(claim, now, {
      changes: Object.assign(
        {},
        transport,
        response.received
          ? { destinationActionStatus: limitText(response.destinationStatus, STATUS_TEXT_LIMIT) }
          : {},
        { overallStatus: newStatus },
      ),
      attempt,
      events: [{ eventType: 'message_sent', newStatus, meta: { http_status: response.httpStatus } }],
      succeeded: true,
      late: { transport, attempt, eventMeta: { http_status: response.httpStatus } },
    });
    return finished.then(wasRecorded);
  }

  /** A failed send with budget left (see `LedgerCore.markRetryableFailure`). */
  markRetryableFailure(
    claim: MessageClaim,
    input: RetryableFailureInput & { manager?: EntityManager; notes?: RecordEventInput[] },
  ): Promise<boolean> {
    return this.core.markRetryableFailure(claim, input).then(wasRecorded);
  }

  /** A failed send without retry (see `LedgerCore.markFinalFailure`). */
  markFinalFailure(
    claim: MessageClaim,
    input: FinalFailureInput & { manager?: EntityManager; notes?: RecordEventInput[] },
  ): Promise<boolean> {
    return this.core.markFinalFailure(claim, input).then(wasRecorded);
  }
}
