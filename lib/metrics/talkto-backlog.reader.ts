import { Inject, Injectable } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { TalktoDeadLetterEntity } from '../persistence/entities/dead-letter.entity.js';
import { TalktoMessageEntity } from '../persistence/entities/message.entity.js';
import { MessageStatus as S } from '../persistence/message.statuses.js';
import { TALKTO_DATA_SOURCE } from '../talkto.constants.js';

/** Dead letters an operator still has to look at (BEHAVIOR §11.1). */
export const OPEN_DEAD_LETTER_STATUSES = ['open', 'failed_reprocess'];

/**
 * Read-only counts behind the gauges and the health indicator. Each is one indexed query, cheap
 * enough for a scrape or a probe.
 */
@Injectable()
export class TalktoBacklogReader {
  constructor(@Inject(TALKTO_DATA_SOURCE) private readonly dataSource: DataSource) {}

  /** Due time of the retry that has waited longest, or null when none is due. */
  async oldestDueRetry(now: Date): Promise<Date | null> {
    // Hydrating one entity (not a raw MIN) converts the timestamp the same way on every engine.
    const oldest = await this.dueRetries(now).orderBy('m.next_retry_at', 'ASC').limit(1).getOne();
    return oldest?.nextRetryAt ?? null;
  }

  /** Retryable messages due at or before `dueBefore`. */
  countDueRetries(dueBefore: Date): Promise<number> {
    return this.dueRetries(dueBefore).getCount();
  }

  /** Sends or handler runs whose claim lease ran out: their worker is presumed dead. */
  countStaleClaims(now: Date): Promise<number> {
    return this.dataSource.manager
      .createQueryBuilder(TalktoMessageEntity, 'm')
      .where('m.overall_status IN (:...held)', { held: [S.sending, S.processing] })
      .andWhere('m.locked_until < :now', { now })
      .getCount();
  }

  countOpenDeadLetters(): Promise<number> {
    return this.dataSource.manager
      .createQueryBuilder(TalktoDeadLetterEntity, 'd')
      .where('d.status IN (:...open)', { open: OPEN_DEAD_LETTER_STATUSES })
      .getCount();
  }

  private dueRetries(dueBefore: Date) {
    return this.dataSource.manager
      .createQueryBuilder(TalktoMessageEntity, 'm')
      .where('m.overall_status = :status', { status: S.failedRetryable })
      .andWhere('m.next_retry_at <= :dueBefore', { dueBefore });
  }
}
