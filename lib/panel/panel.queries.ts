import { Inject, Injectable } from '@nestjs/common';
import type { DataSource, SelectQueryBuilder } from 'typeorm';
import { OPEN_DEAD_LETTER_STATUSES } from '../metrics/talkto-backlog.reader.js';
import { TalktoAttemptEntity } from '../persistence/entities/attempt.entity.js';
import { TalktoDeadLetterEntity } from '../persistence/entities/dead-letter.entity.js';
import { TalktoEventEntity } from '../persistence/entities/event.entity.js';
import { TalktoMessageEntity } from '../persistence/entities/message.entity.js';
import { MessageStatus as S } from '../persistence/message.statuses.js';
import { TALKTO_DATA_SOURCE } from '../talkto.constants.js';
import type { MessageFilters } from './message-filters.util.js';

/** Columns a list may show: never the payload, the response, error text or lock fields (BEHAVIOR §14). */
const LIST_COLUMNS = [
  'm.id',
  'm.messageId',
  'm.direction',
  'm.sourceService',
  'm.targetService',
  'm.command',
  'm.overallStatus',
  'm.attempts',
  'm.createdAt',
  'm.correlationId',
];

const COMPLETED = [S.succeeded, S.completed];
/** Matches counted at most; beyond it the list says "more than". */
export const COUNT_CAP = 10_000;

/** `LIKE` text matching `value` anywhere, its own wildcards taken literally (escape `!`). */
function contains(value: string): string {
  return `%${value.replace(/[!%_]/g, (char) => `!${char}`)}%`;
}

export type PanelDirection = 'incoming' | 'outgoing';

/** One connection's stored traffic over the health window (BEHAVIOR §14, passive health). */
export interface PassiveHealthFacts {
  lastMessageAt: Date | null;
  lastSuccessAt: Date | null;
  lastFailureAt: Date | null;
  recent: Record<string, number>;
  retryBacklog: number;
  deadLetters: number;
}

/** Read-only queries behind the panel pages. Lists never load payloads or responses. */
@Injectable()
export class PanelQueries {
  constructor(@Inject(TALKTO_DATA_SOURCE) private readonly dataSource: DataSource) {}

  /**
   * One page of the filtered list and the number of matches, counted up to `COUNT_CAP` only: an
   * exact count of a million rows costs more than the page itself and tells an operator nothing more.
   */
  async messages(filters: MessageFilters, perPage: number) {
    const query = this.dataSource.manager.createQueryBuilder(TalktoMessageEntity, 'm').select(LIST_COLUMNS);
    this.applyFilters(query, filters);
    const matches = query
      .clone()
      .select('m.id')
      .limit(COUNT_CAP + 1);
    const [rows, counted] = await Promise.all([
      query
        .orderBy('m.id', 'DESC')
        .offset((filters.page - 1) * perPage)
        .limit(perPage)
        .getMany(),
      this.dataSource
        .createQueryBuilder()
        .select('COUNT(*)', 'count')
        .from(`(${matches.getQuery()})`, 'capped')
        .setParameters(matches.getParameters())
        .getRawOne<{ count: string | number }>(),
    ]);
    const total = Number(counted?.count ?? 0);
    return { rows, total: Math.min(total, COUNT_CAP), capped: total > COUNT_CAP };
  }

  latestMessages(limit = 10) {
    return this.dataSource.manager
      .createQueryBuilder(TalktoMessageEntity, 'm')
      .select(LIST_COLUMNS)
      .orderBy('m.id', 'DESC')
      .take(limit)
      .getMany();
  }

  private applyFilters(query: SelectQueryBuilder<TalktoMessageEntity>, filters: MessageFilters): void {
    const { direction, service } = filters;
    if (direction) query.andWhere('m.direction = :direction', { direction });
    if (filters.status) query.andWhere('m.overall_status = :status', { status: filters.status });
    if (filters.completionState === 'completed') {
      query.andWhere('m.overall_status IN (:...completed)', { completed: COMPLETED });
    } else if (filters.completionState === 'not_completed') {
      query.andWhere('(m.overall_status IS NULL OR m.overall_status NOT IN (:...completed))', {
        completed: COMPLETED,
      });
    }
    if (service && direction === 'outgoing') query.andWhere('m.target_service = :service', { service });
    if (service && direction === 'incoming') query.andWhere('m.source_service = :service', { service });
    if (service && !direction) {
      query.andWhere('(m.source_service = :service OR m.target_service = :service)', { service });
    }
    if (filters.command) query.andWhere('m.command = :command', { command: filters.command });
    if (filters.messageId) {
      const like = contains(filters.messageId);
      if (/^\d{1,15}$/.test(filters.messageId)) {
        query.andWhere("(m.message_id LIKE :like ESCAPE '!' OR m.id = :id)", {
          like,
          id: Number(filters.messageId),
        });
      } else {
        query.andWhere("m.message_id LIKE :like ESCAPE '!'", { like });
      }
    }
    if (filters.correlationId) {
      query.andWhere('m.correlation_id = :correlation', { correlation: filters.correlationId });
    }
    if (filters.businessKey) query.andWhere('m.business_key = :business', { business: filters.businessKey });
    if (filters.idempotencyKey) {
      query.andWhere("m.idempotency_key LIKE :idem ESCAPE '!'", { idem: contains(filters.idempotencyKey) });
    }
    if (filters.from) query.andWhere('m.created_at >= :from', { from: filters.from });
    if (filters.to) query.andWhere('m.created_at <= :to', { to: filters.to });
  }

  /** By database id when numeric, else by message id (BEHAVIOR §14). */
  findMessage(key: string) {
    const manager = this.dataSource.manager;
    return /^\d{1,15}$/.test(key)
      ? manager.findOneBy(TalktoMessageEntity, { id: Number(key) })
      : manager.findOneBy(TalktoMessageEntity, { messageId: key });
  }

  async message(key: string) {
    const manager = this.dataSource.manager;
    const message = await this.findMessage(key);
    if (!message) return null;
    const [attempts, events, deadLetter, callbacks] = await Promise.all([
      manager.find(TalktoAttemptEntity, { where: { talktoMessageId: message.id }, order: { id: 'ASC' } }),
      manager.find(TalktoEventEntity, { where: { talktoMessageId: message.id }, order: { id: 'ASC' } }),
      manager.findOneBy(TalktoDeadLetterEntity, { talktoMessageId: message.id }),
      this.children(message.messageId),
    ]);
    return { message, attempts, events, deadLetter, callbacks };
  }

  /** Messages whose parent is `messageId`: the result callbacks about it. */
  children(messageId: string) {
    return this.dataSource.manager.find(TalktoMessageEntity, {
      where: { parentMessageId: messageId },
      select: {
        id: true,
        messageId: true,
        direction: true,
        command: true,
        overallStatus: true,
        transportStatus: true,
        createdAt: true,
        sentAt: true,
        completedAt: true,
        failedAt: true,
      },
      order: { id: 'ASC' },
      take: 20,
    });
  }

  correlation(correlationId: string, limit = 500) {
    return this.dataSource.manager.find(TalktoMessageEntity, {
      where: { correlationId },
      select: {
        id: true,
        messageId: true,
        parentMessageId: true,
        direction: true,
        sourceService: true,
        targetService: true,
        command: true,
        overallStatus: true,
        createdAt: true,
        sentAt: true,
        receivedAt: true,
        completedAt: true,
        failedAt: true,
      },
      order: { createdAt: 'ASC', id: 'ASC' },
      take: limit,
    });
  }

  deadLetters(limit = 100) {
    return this.dataSource.manager.find(TalktoDeadLetterEntity, {
      select: {
        id: true,
        messageId: true,
        direction: true,
        source: true,
        target: true,
        command: true,
        failureReason: true,
        status: true,
        reprocessCount: true,
        createdAt: true,
      },
      order: { id: 'DESC' },
      take: limit,
    });
  }

  dueRetries(now: Date, limit = 100) {
    return this.dataSource.manager
      .createQueryBuilder(TalktoMessageEntity, 'm')
      .select([
        'm.id',
        'm.messageId',
        'm.direction',
        'm.sourceService',
        'm.targetService',
        'm.command',
        'm.retryCount',
        'm.maxAttempts',
        'm.nextRetryAt',
        'm.lastError',
      ])
      .where('m.overall_status = :status', { status: S.failedRetryable })
      .orderBy('m.next_retry_at', 'ASC')
      .limit(limit)
      .getMany()
      .then((rows) => rows.map((row) => ({ row, due: row.nextRetryAt === null || row.nextRetryAt <= now })));
  }

  /**
   * Stored traffic with one peer in one direction: every count is bounded by an index on
   * (source, target, created_at), (direction, target, status) or the dead letters' status.
   */
  async passiveHealth(
    service: string,
    direction: PanelDirection,
    peer: string,
    since: Date,
    now: Date,
  ): Promise<PassiveHealthFacts> {
    const manager = this.dataSource.manager;
    const [source, target] = direction === 'outgoing' ? [service, peer] : [peer, service];
    const between = () =>
      manager
        .createQueryBuilder(TalktoMessageEntity, 'm')
        .where('m.source_service = :source AND m.target_service = :target', { source, target })
        .andWhere('m.direction = :direction', { direction });
    const [last, recentRows, retryBacklog, deadLetters] = await Promise.all([
      between().orderBy('m.created_at', 'DESC').select(['m.id', 'm.createdAt']).limit(1).getOne(),
      between()
        .andWhere('m.created_at >= :since', { since })
        .select('m.overall_status', 'status')
        .addSelect('COUNT(*)', 'count')
        .addSelect('MAX(m.updated_at)', 'last')
        .groupBy('m.overall_status')
        .getRawMany<{ status: string; count: string | number; last: string | Date | null }>(),
      between()
        .andWhere('m.overall_status = :retry', { retry: S.failedRetryable })
        .andWhere('(m.next_retry_at IS NULL OR m.next_retry_at <= :now)', { now })
        .getCount(),
      manager
        .createQueryBuilder(TalktoDeadLetterEntity, 'd')
        .where('d.status IN (:...open)', { open: OPEN_DEAD_LETTER_STATUSES })
        .andWhere('d.direction = :direction AND d.source = :source AND d.target = :target', {
          direction,
          source,
          target,
        })
        .getCount(),
    ]);
    const recent: Record<string, number> = {};
    let lastSuccessAt: Date | null = null;
    let lastFailureAt: Date | null = null;
    const later = (a: Date | null, b: Date | null) => (a && (!b || a > b) ? a : b);
    for (const row of recentRows) {
      recent[row.status] = Number(row.count);
      const at = row.last === null ? null : toDate(row.last);
      if ([S.succeeded, S.completed, S.destinationReceived, S.sent].includes(row.status as never)) {
        lastSuccessAt = later(at, lastSuccessAt);
      }
      if (row.status === S.failedRetryable || row.status === S.failedFinal) {
        lastFailureAt = later(at, lastFailureAt);
      }
    }
    return {
      lastMessageAt: last?.createdAt ?? null,
      lastSuccessAt,
      lastFailureAt,
      recent,
      retryBacklog,
      deadLetters,
    };
  }
}

/** A raw aggregate's timestamp: drivers hand back a Date or text (SQLite, UTC without a zone). */
export function toDate(value: string | Date): Date {
  if (value instanceof Date) return value;
  return new Date(/[zZ]|[+-]\d\d:?\d\d$/.test(value) ? value : `${value.replace(' ', 'T')}Z`);
}
