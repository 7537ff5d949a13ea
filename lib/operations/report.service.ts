import { Inject, Injectable } from '@nestjs/common';
import type { DataSource, SelectQueryBuilder } from 'typeorm';
import { TalktoClock } from '../clock/talkto.clock.js';
import { TalktoUsageError } from '../errors/talkto-usage.error.js';
import { TalktoAttemptEntity } from '../persistence/entities/attempt.entity.js';
import { TalktoDeadLetterEntity } from '../persistence/entities/dead-letter.entity.js';
import { TalktoEventEntity } from '../persistence/entities/event.entity.js';
import { type MessageDirection, TalktoMessageEntity } from '../persistence/entities/message.entity.js';
import { MessageStatus as S } from '../persistence/message.statuses.js';
import { TALKTO_DATA_SOURCE } from '../talkto.constants.js';
import { checkDirection, checkIntegerRange } from './operations-input.util.js';
import type { DirectionFilter, GroupCount, ReportQuery, TalktoReport } from './report.interfaces.js';
import { TalktoRedactor } from './talkto.redactor.js';

const SUCCEEDED = [S.succeeded, S.completed];
const FAILED = [S.failedRetryable, S.failedFinal, S.failed];
const OPEN_DEAD_LETTERS = ['open', 'failed_reprocess'];

function percent(part: number, total: number): number {
  return total === 0 ? 0 : Math.round((part / total) * 10000) / 100;
}

function toCounts(rows: Array<{ name: string | null; count: string | number }>): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const row of rows) {
    counts[row.name ?? ''] = Number(row.count);
  }
  return counts;
}

function sum(counts: Record<string, number>, names: readonly string[]): number {
  return names.reduce((total, name) => total + (counts[name] ?? 0), 0);
}

/** Counts, failure rates and recent failures for operators; reads only (BEHAVIOR §11.3). */
@Injectable()
export class ReportService {
  constructor(
    @Inject(TALKTO_DATA_SOURCE) private readonly dataSource: DataSource,
    private readonly clock: TalktoClock,
    private readonly redactor: TalktoRedactor,
  ) {}

  async report(query: ReportQuery = {}): Promise<TalktoReport> {
    const now = this.clock.now();
    const direction = checkDirection(query.direction ?? 'all', 'direction');
    const limit = checkIntegerRange(query.limit ?? 20, 'limit', 1, 500);
    const hours = query.hours ?? 24;
    if (typeof hours !== 'number' || !Number.isFinite(hours) || hours <= 0) {
      throw new TalktoUsageError('hours', 'must be a positive number');
    }
    const to = query.to ?? now;
    const from = query.from ?? new Date(to.getTime() - hours * 3_600_000);
    if (Number.isNaN(from.getTime()) || Number.isNaN(to.getTime()) || from > to) {
      throw new TalktoUsageError('from', 'must be a valid date not after to');
    }

    const windowed =
      (alias: string) =>
      <T extends object>(builder: SelectQueryBuilder<T>): SelectQueryBuilder<T> =>
        builder.andWhere(`${alias}.created_at >= :from AND ${alias}.created_at <= :to`, { from, to });

    const statusCounts = toCounts(
      await this.messages(direction)
        .select('m.overall_status', 'name')
        .addSelect('COUNT(*)', 'count')
        .andWhere('m.created_at >= :from AND m.created_at <= :to', { from, to })
        .groupBy('m.overall_status')
        .getRawMany(),
    );
    const directionCounts = toCounts(
      await this.messages(direction)
        .select('m.direction', 'name')
        .addSelect('COUNT(*)', 'count')
        .andWhere('m.created_at >= :from AND m.created_at <= :to', { from, to })
        .groupBy('m.direction')
        .getRawMany(),
    );
    const [commandCounts, peerCounts] = await Promise.all([
      this.groupCounts(direction, from, to, 'command'),
      this.groupCounts(direction, from, to, 'peer'),
    ]);
    const dueRetries = await this.messages(direction)
      .andWhere('m.overall_status = :retryable', { retryable: S.failedRetryable })
      .andWhere('m.next_retry_at <= :now', { now })
      .getCount();

    const deadLetters = this.dataSource.manager.createQueryBuilder(TalktoDeadLetterEntity, 'd');
    if (direction !== 'all') {
      deadLetters.where('d.direction = :direction', { direction });
    }
    const deadLetterCounts = toCounts(
      await deadLetters
        .select('d.status', 'name')
        .addSelect('COUNT(*)', 'count')
        .groupBy('d.status')
        .getRawMany(),
    );

    const attemptStatusCounts = toCounts(
      await windowed('a')(this.dataSource.manager.createQueryBuilder(TalktoAttemptEntity, 'a').where('1 = 1'))
        .select('a.status', 'name')
        .addSelect('COUNT(*)', 'count')
        .groupBy('a.status')
        .getRawMany(),
    );
    const eventTypeCounts = toCounts(
      await windowed('e')(this.dataSource.manager.createQueryBuilder(TalktoEventEntity, 'e').where('1 = 1'))
        .select('e.event_type', 'name')
        .addSelect('COUNT(*)', 'count')
        .groupBy('e.event_type')
        .getRawMany(),
    );

    const failures = await this.messages(direction)
      .andWhere('m.overall_status IN (:...failed)', { failed: FAILED })
      .andWhere('m.created_at >= :from AND m.created_at <= :to', { from, to })
      .orderBy('m.created_at', 'DESC')
      .addOrderBy('m.id', 'DESC')
      .limit(limit)
      .getMany();
    const events = await windowed('e')(
      this.dataSource.manager.createQueryBuilder(TalktoEventEntity, 'e').where('1 = 1'),
    )
      .orderBy('e.created_at', 'DESC')
      .addOrderBy('e.id', 'DESC')
      .limit(limit)
      .getMany();

    const total = Object.values(statusCounts).reduce((a, b) => a + b, 0);
    const succeeded = sum(statusCounts, SUCCEEDED);
    const failed = sum(statusCounts, FAILED);
    const openDeadLetters = sum(deadLetterCounts, OPEN_DEAD_LETTERS);
    const finalFailed = statusCounts[S.failedFinal] ?? 0;
    const totals = {
      messages: total,
      incoming: directionCounts.incoming ?? 0,
      outgoing: directionCounts.outgoing ?? 0,
      succeeded,
      failed,
      retryable: statusCounts[S.failedRetryable] ?? 0,
      finalFailed,
      processing: sum(statusCounts, [S.processing, S.sending]),
      dueRetries,
      openDeadLetters,
    };
    const warnings = Object.entries({
      due_retries: dueRetries,
      open_dead_letters: openDeadLetters,
      final_failures: finalFailed,
    })
      .filter(([, count]) => count > 0)
      .map(([name, count]) => `${name}=${count}`);

    return {
      window: { from, to },
      direction,
      totals,
      successRate: percent(succeeded, total),
      failureRate: percent(failed, total),
      statusCounts,
      directionCounts,
      commandCounts,
      peerCounts,
      attemptStatusCounts,
      eventTypeCounts,
      deadLetterCounts,
      health: { ok: warnings.length === 0, warnings },
      recentFailures: failures.map((row) => ({
        messageId: row.messageId,
        direction: row.direction,
        command: row.command,
        peer: row.direction === 'outgoing' ? row.targetService : row.sourceService,
        overallStatus: row.overallStatus,
        lastError: row.lastError === null ? null : this.redactor.redactText(row.lastError),
        createdAt: row.createdAt,
      })),
      recentEvents: events.map((row) => ({
        messageId: row.messageId,
        eventType: row.eventType,
        oldStatus: row.oldStatus,
        newStatus: row.newStatus,
        createdAt: row.createdAt,
      })),
    };
  }

  private messages(direction: DirectionFilter): SelectQueryBuilder<TalktoMessageEntity> {
    const builder = this.dataSource.manager.createQueryBuilder(TalktoMessageEntity, 'm').where('1 = 1');
    return direction === 'all' ? builder : builder.andWhere('m.direction = :direction', { direction });
  }

  /** Per command or per peer (target for outgoing, source for incoming), busiest first. */
  private async groupCounts(
    direction: DirectionFilter,
    from: Date,
    to: Date,
    by: 'command' | 'peer',
  ): Promise<GroupCount[]> {
    const name =
      by === 'command'
        ? 'm.command'
        : "CASE WHEN m.direction = 'outgoing' THEN m.target_service ELSE m.source_service END";
    const rows: Array<{
      name: string;
      direction: MessageDirection;
      total: string | number;
      failed: string | number;
    }> = await this.messages(direction)
      .select(name, 'name')
      .addSelect('m.direction', 'direction')
      .addSelect('COUNT(*)', 'total')
      .addSelect('SUM(CASE WHEN m.overall_status IN (:...failed) THEN 1 ELSE 0 END)', 'failed')
      .setParameter('failed', FAILED)
      .andWhere('m.created_at >= :from AND m.created_at <= :to', { from, to })
      .groupBy(name)
      .addGroupBy('m.direction')
      .getRawMany();
    return rows
      .map((row) => {
        const total = Number(row.total);
        const failed = Number(row.failed ?? 0);
        return {
          name: row.name,
          direction: row.direction,
          total,
          failed,
          failureRate: percent(failed, total),
        };
      })
      .sort(
        (a, b) => b.total - a.total || a.name.localeCompare(b.name) || a.direction.localeCompare(b.direction),
      );
  }
}
