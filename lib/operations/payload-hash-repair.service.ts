import { Inject, Injectable } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { TalktoClock } from '../clock/talkto.clock.js';
import type { ResolvedTalktoOptions } from '../config/resolved-options.interface.js';
import { TalktoAttemptEntity } from '../persistence/entities/attempt.entity.js';
import { TalktoDeadLetterEntity } from '../persistence/entities/dead-letter.entity.js';
import { TalktoEventEntity } from '../persistence/entities/event.entity.js';
import { TalktoMessageEntity } from '../persistence/entities/message.entity.js';
import { insertEvent } from '../persistence/message-history.writer.js';
import { runInTransaction } from '../persistence/statements/index.js';
import { decodeTalktoJson } from '../protocol/json/json-reader.js';
import { payloadHash } from '../protocol/payload-hash.js';
import { TALKTO_DATA_SOURCE, TALKTO_RESOLVED_OPTIONS } from '../talkto.constants.js';

const STOPPED = ['failed_final', 'dead_lettered'];
const EVIDENCE = ['payload_hash_mismatch', 'stored_payload_hash_mismatch', 'stored_payload_hash_unencodable'];

export interface PayloadHashRepairInput {
  /** Without it the call is a dry run. */
  confirm?: boolean;
  /** Required with `confirm`; stored in the `payload_hash_repaired` event. */
  reason?: string;
}

export type PayloadHashRepairStatus =
  | 'not_found'
  | 'not_outgoing'
  | 'not_repairable_state'
  | 'unencodable'
  | 'no_repair_needed'
  | 'no_evidence'
  | 'dry_run'
  | 'reason_required'
  | 'changed'
  | 'repaired';

export interface PayloadHashRepairResult {
  status: PayloadHashRepairStatus;
  /** True for the outcomes the CLI reports with exit code 0. */
  ok: boolean;
  messageId: string;
  direction?: string;
  overallStatus?: string;
  storedPayloadHash?: string | null;
  deterministicPayloadHash?: string;
}

/**
 * Rewrites the stored `payload_hash` of a stopped outgoing message whose hash went stale (BEHAVIOR
 * §17). Only the hash changes; nothing is dispatched: reprocess the dead letter afterwards.
 */
@Injectable()
export class PayloadHashRepairService {
  constructor(
    @Inject(TALKTO_RESOLVED_OPTIONS) private readonly options: ResolvedTalktoOptions,
    @Inject(TALKTO_DATA_SOURCE) private readonly dataSource: DataSource,
    private readonly clock: TalktoClock,
  ) {}

  async repair(messageId: string, input: PayloadHashRepairInput = {}): Promise<PayloadHashRepairResult> {
    const manager = this.dataSource.manager;
    const message = await manager.findOneBy(TalktoMessageEntity, { messageId });
    const result = (
      status: PayloadHashRepairStatus,
      ok: boolean,
      extra: Partial<PayloadHashRepairResult> = {},
    ) => ({
      status,
      ok,
      messageId,
      ...(message
        ? {
            direction: message.direction,
            overallStatus: message.overallStatus,
            storedPayloadHash: message.payloadHash,
          }
        : {}),
      ...extra,
    });
    if (!message) return result('not_found', false);
    if (message.direction !== 'outgoing') return result('not_outgoing', false);
    if (!STOPPED.includes(message.overallStatus)) return result('not_repairable_state', false);
    let deterministic: string;
    try {
      deterministic = payloadHash(message.payload === null ? null : decodeTalktoJson(message.payload));
    } catch {
      return result('unencodable', false);
    }
    const hashes = { deterministicPayloadHash: deterministic };
    if (deterministic === message.payloadHash) return result('no_repair_needed', true, hashes);
    if (!(await this.hasEvidence(message))) return result('no_evidence', false, hashes);
    if (!input.confirm) return result('dry_run', true, hashes);
    if (!input.reason?.trim()) return result('reason_required', false, hashes);

    const now = this.clock.now();
    const repaired = await runInTransaction(this.dataSource, undefined, async (tx) => {
      const update = await tx
        .createQueryBuilder()
        .update(TalktoMessageEntity)
        .set({ payloadHash: deterministic, updatedAt: now })
        .where('id = :id', { id: message.id })
        .andWhere('overall_status IN (:...stopped)', { stopped: STOPPED })
        .andWhere(message.payloadHash === null ? 'payload_hash IS NULL' : 'payload_hash = :old', {
          old: message.payloadHash,
        })
        .execute();
      if (update.affected !== 1) return false;
      await insertEvent(tx, {
        talktoMessageId: message.id,
        messageId: message.messageId,
        serviceName: this.options.service,
        eventType: 'payload_hash_repaired',
        oldStatus: message.overallStatus,
        newStatus: message.overallStatus,
        meta: {
          reason: input.reason!.trim(),
          old_payload_hash: message.payloadHash,
          new_payload_hash: deterministic,
          idempotency_fingerprint_changed: false,
        },
        now,
      });
      return true;
    });
    return result(repaired ? 'repaired' : 'changed', repaired, hashes);
  }

  /** A hash failure was recorded somewhere: the repair fixes a known problem, not a tampered row. */
  private async hasEvidence(message: TalktoMessageEntity): Promise<boolean> {
    const mentions = (text: string | null | undefined) =>
      text != null && EVIDENCE.some((marker) => text.includes(marker));
    if (mentions(message.lastError) || mentions(message.lastResponse)) return true;
    const attempts = await this.dataSource.manager.findBy(TalktoAttemptEntity, {
      talktoMessageId: message.id,
    });
    if (
      attempts.some((a) => mentions(a.errorClass) || mentions(a.errorMessage) || mentions(a.responseExcerpt))
    ) {
      return true;
    }
    const events = await this.dataSource.manager.findBy(TalktoEventEntity, { talktoMessageId: message.id });
    if (
      events.some((e) => mentions(e.eventType) || mentions(e.meta == null ? null : JSON.stringify(e.meta)))
    ) {
      return true;
    }
    const deadLetter = await this.dataSource.manager.findOneBy(TalktoDeadLetterEntity, {
      talktoMessageId: message.id,
    });
    return mentions(deadLetter?.failureReason) || mentions(deadLetter?.exceptionMessage);
  }
}
