import { Inject, Injectable } from '@nestjs/common';
import { Brackets, type DataSource } from 'typeorm';
import { TalktoClock } from '../clock/talkto.clock.js';
import type { ResolvedTalktoOptions } from '../config/resolved-options.interface.js';
import { TalktoMessageEntity } from '../persistence/entities/message.entity.js';
import { MessageLog } from '../persistence/message.log.js';
import { DISPATCH_CLAIM_PREFIX, RecoveryLedger } from '../persistence/recovery.ledger.js';
import { dispatchClaimLeaseMs } from '../queue/dispatch-target.util.js';
import { TalktoDispatcher } from '../queue/talkto.dispatcher.js';
import { TALKTO_DATA_SOURCE, TALKTO_RESOLVED_OPTIONS } from '../talkto.constants.js';
import { checkIntegerRange } from './operations-input.util.js';
import { dispatchClaimed, ownsMessage } from './reliability-dispatch.util.js';

export interface StaleRecoveryInput {
  /** 1..10080 (default `recovery.staleAfterMinutes`, 15). */
  olderThanMinutes?: number;
  /** 1..1000 (default 100). */
  limit?: number;
  direction?: 'incoming' | 'outgoing';
  dryRun?: boolean;
}

export interface StaleRecoverySummary {
  candidates: number;
  recovered: number;
  staleProcessingRecovered: number;
  orphanedClaimsRecovered: number;
  /** Sends whose result was applied while their sender was gone: closed, not sent again. */
  abandonedSendsClosed: number;
  /** Exhausted: moved to `failed_final` (and dead-lettered). */
  failed: number;
  skipped: number;
  claimChanged: number;
  dispatched: number;
  direction: 'incoming' | 'outgoing' | 'all';
  olderThanMinutes: number;
  dryRun: boolean;
  messages: Array<{ messageId: string; direction: string; status: string }>;
}

/** Takes back claims whose worker or dispatcher died (BEHAVIOR §7, `talkto:recover-stale`). */
@Injectable()
export class StaleRecoveryService {
  constructor(
    @Inject(TALKTO_RESOLVED_OPTIONS) private readonly options: ResolvedTalktoOptions,
    @Inject(TALKTO_DATA_SOURCE) private readonly dataSource: DataSource,
    private readonly clock: TalktoClock,
    private readonly messages: MessageLog,
    private readonly recovery: RecoveryLedger,
    private readonly dispatcher: TalktoDispatcher,
  ) {}

  async recover(input: StaleRecoveryInput = {}): Promise<StaleRecoverySummary> {
    const olderThanMinutes = checkIntegerRange(
      input.olderThanMinutes ?? this.options.recovery.staleAfterMinutes,
      'olderThanMinutes',
      1,
      10_080,
    );
    const limit = checkIntegerRange(input.limit ?? 100, 'limit', 1, 1000);
    const now = this.clock.now();
    const cutoff = new Date(now.getTime() - olderThanMinutes * 60_000);
    const query = this.dataSource.manager
      .createQueryBuilder(TalktoMessageEntity, 'm')
      .where('m.locked_at <= :cutoff', { cutoff })
      .andWhere(
        new Brackets((kind) =>
          kind
            .where(
              "(m.direction = 'outgoing' AND m.overall_status = 'sending' AND m.transport_status = 'sending')",
            )
            .orWhere(
              "(m.direction = 'incoming' AND m.overall_status = 'processing' AND m.destination_action_status = 'processing')",
            )
            .orWhere("(m.overall_status IN ('waiting_to_send', 'queued') AND m.locked_by LIKE :claims)", {
              claims: `${DISPATCH_CLAIM_PREFIX}%`,
            }),
        ),
      )
      .orderBy('m.locked_at', 'ASC')
      .take(limit);
    if (input.direction) query.andWhere('m.direction = :direction', { direction: input.direction });
    const candidates = (await query.getMany()).filter((row) => ownsMessage(row, this.options.service));
    const filter = { service: this.options.service };
    const abandoned =
      input.direction === 'incoming' ? [] : await this.recovery.findAbandonedSends(now, limit, filter);
    const summary: StaleRecoverySummary = {
      candidates: candidates.length + abandoned.length,
      recovered: 0,
      staleProcessingRecovered: 0,
      orphanedClaimsRecovered: 0,
      abandonedSendsClosed: 0,
      failed: 0,
      skipped: 0,
      claimChanged: 0,
      dispatched: 0,
      direction: input.direction ?? 'all',
      olderThanMinutes,
      dryRun: input.dryRun === true,
      messages: [...candidates, ...abandoned].map((row) => ({
        messageId: row.messageId,
        direction: row.direction,
        status: row.overallStatus,
      })),
    };
    if (summary.dryRun) return summary;
    if (abandoned.length > 0) {
      summary.abandonedSendsClosed = await this.recovery.closeAbandonedSends(now, abandoned.length, filter);
    }
    const deps = {
      messages: this.messages,
      recovery: this.recovery,
      dispatcher: this.dispatcher,
      options: this.options,
    };
    const claimOptions = { now, leaseMs: dispatchClaimLeaseMs(this.options) };
    for (const row of candidates) {
      const orphaned = row.lockedBy?.startsWith(DISPATCH_CLAIM_PREFIX) === true;
      if (!orphaned) {
        const release = await this.recovery.releaseStaleClaim(row.id, row.lockedBy ?? '', now, {
          lockedBefore: cutoff,
          deadLetter: this.options.deadLetters.enabled && this.options.deadLetters.autoStore,
        });
        if (release === 'exhausted') {
          summary.failed += 1;
          continue;
        }
        if (release === 'changed') {
          summary.claimChanged += 1;
          summary.skipped += 1;
          continue;
        }
      }
      const claim = await this.recovery.claimOrphanDispatch(row.id, 'stale-recovery', {
        ...claimOptions,
        waitedBefore: orphaned ? cutoff : now,
      });
      if (!claim) {
        summary.claimChanged += 1;
        summary.skipped += 1;
        continue;
      }
      summary.recovered += 1;
      if (orphaned) summary.orphanedClaimsRecovered += 1;
      else summary.staleProcessingRecovered += 1;
      if (await dispatchClaimed(deps, claim, now, 'stale_lock_recovery_dispatch_failed'))
        summary.dispatched += 1;
    }
    return summary;
  }
}
