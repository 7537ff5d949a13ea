import { runStandaloneWrite } from '../persistence/statements/index.js';
import { Inject, Injectable } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { TalktoClock } from '../clock/talkto.clock.js';
import type { ResolvedTalktoOptions } from '../config/resolved-options.interface.js';
import { TalktoDeadLetterEntity } from '../persistence/entities/dead-letter.entity.js';
import { MessageLog } from '../persistence/message.log.js';
import { RecoveryLedger } from '../persistence/recovery.ledger.js';
import type { DispatchOperation } from '../persistence/message-ledger.interfaces.js';
import { dispatchClaimLeaseMs } from '../queue/dispatch-target.util.js';
import { TalktoDispatcher } from '../queue/talkto.dispatcher.js';
import { TALKTO_DATA_SOURCE, TALKTO_RESOLVED_OPTIONS } from '../talkto.constants.js';
import { checkDirection, checkIntegerRange } from './operations-input.util.js';
import { dispatchClaimed, ownsMessage } from './reliability-dispatch.util.js';
import type { DirectionFilter } from './report.interfaces.js';

export interface DeadLetterListInput {
  status?: TalktoDeadLetterEntity['status'];
  direction?: DirectionFilter;
  /** 1..1000 (default 50). */
  limit?: number;
  offset?: number;
}

export interface DeadLetterReprocessInput {
  ids?: number[];
  messageIds?: string[];
  direction?: DirectionFilter;
  /** 1..1000 (default 50). */
  limit?: number;
  /** Bypass `allowReprocess` and `maxReprocessAttempts`; never steals a running reprocess. */
  force?: boolean;
  dryRun?: boolean;
  /** Who claims the rows, recorded on the claim (default `dlq-command`). */
  operation?: Extract<DispatchOperation, 'dlq-command' | 'panel-dlq-reprocess'>;
}

/** The counters of `talkto:dlq-reprocess` (BEHAVIOR §9.3). */
export interface DeadLetterReprocessSummary {
  scanned: number;
  eligible: number;
  dispatched: number;
  skipped: number;
  missingOriginal: number;
  claimed: number;
  failedClaim: number;
  failedDispatch: number;
  dryRun: boolean;
  direction: DirectionFilter;
  /** Why rows were skipped → count. */
  skipReasons: Record<string, number>;
}

const OPEN_STATUSES = ['open', 'failed_reprocess'];
const ALL_STATUSES = ['open', 'failed_reprocess', 'reprocessed', 'ignored'];

/** Lists, reprocesses and ignores dead letters (BEHAVIOR §9). */
@Injectable()
export class DeadLetterService {
  constructor(
    @Inject(TALKTO_RESOLVED_OPTIONS) private readonly options: ResolvedTalktoOptions,
    @Inject(TALKTO_DATA_SOURCE) private readonly dataSource: DataSource,
    private readonly clock: TalktoClock,
    private readonly messages: MessageLog,
    private readonly recovery: RecoveryLedger,
    private readonly dispatcher: TalktoDispatcher,
  ) {}

  list(input: DeadLetterListInput = {}): Promise<TalktoDeadLetterEntity[]> {
    const direction = checkDirection(input.direction ?? 'all', 'direction');
    return this.dataSource.manager.find(TalktoDeadLetterEntity, {
      where: {
        ...(input.status ? { status: input.status } : {}),
        ...(direction === 'all' ? {} : { direction }),
      },
      order: { id: 'DESC' },
      take: checkIntegerRange(input.limit ?? 50, 'limit', 1, 1000),
      skip: input.offset ?? 0,
    });
  }

  /** BEHAVIOR §9.2. */
  canReprocess(
    deadLetter: Pick<TalktoDeadLetterEntity, 'status' | 'reprocessCount'>,
    force = false,
  ): boolean {
    const settings = this.options.deadLetters;
    if (!settings.enabled || deadLetter.status === 'reprocessing') return false;
    if (force) return true;
    return (
      OPEN_STATUSES.includes(deadLetter.status) &&
      settings.allowReprocess &&
      deadLetter.reprocessCount < settings.maxReprocessAttempts
    );
  }

  async reprocess(input: DeadLetterReprocessInput = {}): Promise<DeadLetterReprocessSummary> {
    const limit = checkIntegerRange(input.limit ?? 50, 'limit', 1, 1000);
    const direction = checkDirection(input.direction ?? 'all', 'direction');
    const force = input.force === true;
    const dryRun = input.dryRun === true;
    const summary: DeadLetterReprocessSummary = {
      scanned: 0,
      eligible: 0,
      dispatched: 0,
      skipped: 0,
      missingOriginal: 0,
      claimed: 0,
      failedClaim: 0,
      failedDispatch: 0,
      dryRun,
      direction,
      skipReasons: {},
    };
    if (!this.options.deadLetters.enabled) return summary;
    const query = this.dataSource.manager
      .createQueryBuilder(TalktoDeadLetterEntity, 'd')
      .where('d.status IN (:...statuses)', { statuses: force ? ALL_STATUSES : OPEN_STATUSES })
      .orderBy('d.id', 'ASC')
      .take(limit);
    if (input.ids?.length) query.andWhere('d.id IN (:...ids)', { ids: input.ids });
    if (input.messageIds?.length) query.andWhere('d.message_id IN (:...mids)', { mids: input.messageIds });
    if (direction !== 'all') query.andWhere('d.direction = :direction', { direction });
    const deadLetters = await query.getMany();
    summary.scanned = deadLetters.length;
    const now = this.clock.now();
    const skip = (deadLetter: TalktoDeadLetterEntity, reason: string, messageLink: number | null) => {
      summary.skipped += 1;
      summary.skipReasons[reason] = (summary.skipReasons[reason] ?? 0) + 1;
      if (dryRun || reason === 'not_eligible') return Promise.resolve();
      return this.event(deadLetter, messageLink, 'dead_letter_reprocess_skipped', { reason }, now);
    };

    for (const deadLetter of deadLetters) {
      if (!this.canReprocess(deadLetter, force)) {
        await skip(deadLetter, 'not_eligible', deadLetter.talktoMessageId);
        continue;
      }
      const original =
        (deadLetter.talktoMessageId !== null && (await this.messages.findById(deadLetter.talktoMessageId))) ||
        (deadLetter.messageId !== null && (await this.messages.findByMessageId(deadLetter.messageId))) ||
        null;
      if (!original) {
        summary.missingOriginal += 1;
        if (!dryRun) await this.event(deadLetter, null, 'dead_letter_reprocess_missing_original', {}, now);
        continue;
      }
      if (!ownsMessage(original, this.options.service)) {
        await skip(deadLetter, 'wrong_service', original.id);
        continue;
      }
      if (original.overallStatus === 'succeeded' || original.overallStatus === 'completed') {
        await skip(deadLetter, 'terminal_success', original.id);
        continue;
      }
      summary.eligible += 1;
      if (dryRun) continue;
      const claimed = await this.recovery.claimDeadLetterReprocess(
        deadLetter.id,
        input.operation ?? 'dlq-command',
        {
          now,
          leaseMs: dispatchClaimLeaseMs(this.options),
          statuses: force ? ALL_STATUSES : OPEN_STATUSES,
          maxReprocessCount: force ? null : this.options.deadLetters.maxReprocessAttempts,
        },
      );
      if (claimed.kind === 'refused') {
        summary.failedClaim += 1;
        await skip(deadLetter, claimed.reason, original.id);
        continue;
      }
      summary.claimed += 1;
      const deps = {
        messages: this.messages,
        recovery: this.recovery,
        dispatcher: this.dispatcher,
        options: this.options,
      };
      // The panel's actions carry their own event names (BEHAVIOR §2.5).
      const prefix = input.operation === 'panel-dlq-reprocess' ? 'panel_' : '';
      if (await dispatchClaimed(deps, claimed.claim, now, `${prefix}dead_letter_reprocess_dispatch_failed`)) {
        summary.dispatched += 1;
        await this.event(
          deadLetter,
          original.id,
          `${prefix}dead_letter_reprocess_dispatched`,
          { claim_id: claimed.claim.claimId },
          now,
        );
      } else {
        summary.failedDispatch += 1;
      }
    }
    return summary;
  }

  /** Closes a dead letter without reprocessing; false when it is being reprocessed or gone. */
  async markIgnored(id: number): Promise<boolean> {
    const result = await runStandaloneWrite(this.dataSource, (manager) =>
      manager
        .createQueryBuilder()
        .update(TalktoDeadLetterEntity)
        .set({ status: 'ignored', updatedAt: this.clock.now() })
        .where('id = :id', { id })
        .andWhere('status IN (:...statuses)', { statuses: ['open', 'failed_reprocess', 'reprocessed'] })
        .execute(),
    );
    return result.affected === 1;
  }

  private async event(
    deadLetter: TalktoDeadLetterEntity,
    messageLink: number | null,
    eventType: string,
    meta: Record<string, unknown>,
    now: Date,
  ): Promise<void> {
    await this.messages.recordEvent({
      talktoMessageId: messageLink,
      messageId: messageLink === null ? null : deadLetter.messageId,
      serviceName: this.options.service,
      eventType,
      meta: { dead_letter_id: deadLetter.id, ...meta },
      now,
    });
  }
}
