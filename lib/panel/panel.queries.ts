import { Inject, Injectable } from '@nestjs/common';
import type { DataSource, SelectQueryBuilder } from 'typeorm';
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

/** Rows a substring search reads at most: `LIKE '%…%'` can use no index, so it reads rows one by one. */
export const SEARCH_BUDGET = 100_000;
/** A whole message id: found through the unique index, however old. */
const FULL_UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The ids a substring search read, `[from, below)`, and whether older rows were left unread. */
export interface SearchedRange {
  from: number;
  below: number;
  older: boolean;
}

/** `LIKE` text matching `value` anywhere, its own wildcards taken literally (escape `!`). */
function contains(value: string): string {
  return `%${value.replace(/[!%_]/g, (char) => `!${char}`)}%`;
}

export type PanelDirection = 'incoming' | 'outgoing';

/** Read-only queries behind the panel pages. Lists never load payloads or responses. */
@Injectable()
export class PanelQueries {
  constructor(@Inject(TALKTO_DATA_SOURCE) private readonly dataSource: DataSource) {}

  /**
   * One page of the filtered list and the number of matches, counted up to `COUNT_CAP` only: an
   * exact count of a million rows costs more than the page itself and tells an operator nothing more.
   */
  async messages(filters: MessageFilters, perPage: number) {
    const searched = await this.searchRange(filters);
    const query = this.dataSource.manager.createQueryBuilder(TalktoMessageEntity, 'm').select(LIST_COLUMNS);
    this.applyFilters(query, filters, searched);
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
    return { rows, total: Math.min(total, COUNT_CAP), capped: total > COUNT_CAP, searched };
  }

  /**
   * The newest `SEARCH_BUDGET` ids below `before` (or below the newest row) when a substring filter
   * is set: a search costs the same at a thousand rows or a billion, and says where it stopped.
   */
  private async searchRange(filters: MessageFilters): Promise<SearchedRange | null> {
    const substring = (filters.messageId && !FULL_UUID.test(filters.messageId)) || filters.idempotencyKey;
    if (!substring) return null;
    // Two statements: SQLite reads MIN or MAX from the index only when it is alone in its query.
    const edge = (fn: 'MIN' | 'MAX') =>
      this.dataSource.manager
        .createQueryBuilder(TalktoMessageEntity, 'm')
        .select(`${fn}(m.id)`, 'id')
        .getRawOne<{ id: string | number | null }>();
    const [oldest, newest] = await Promise.all([edge('MIN'), edge('MAX')]);
    const first = Number(oldest?.id ?? 1);
    const below = Math.min(filters.before ?? Infinity, Number(newest?.id ?? 0) + 1);
    const from = Math.max(first, below - SEARCH_BUDGET);
    return { from, below, older: from > first };
  }

  latestMessages(limit = 10) {
    return this.dataSource.manager
      .createQueryBuilder(TalktoMessageEntity, 'm')
      .select(LIST_COLUMNS)
      .orderBy('m.id', 'DESC')
      .take(limit)
      .getMany();
  }

  private applyFilters(
    query: SelectQueryBuilder<TalktoMessageEntity>,
    filters: MessageFilters,
    searched: SearchedRange | null,
  ): void {
    const range = 'm.id >= :searchFrom AND m.id < :searchBelow';
    if (searched) query.setParameters({ searchFrom: searched.from, searchBelow: searched.below });
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
    if (filters.messageId && FULL_UUID.test(filters.messageId)) {
      query.andWhere('m.message_id = :messageId', { messageId: filters.messageId });
    } else if (filters.messageId) {
      const like = contains(filters.messageId);
      if (/^\d{1,15}$/.test(filters.messageId)) {
        // The database id is one index lookup, whatever the search range.
        query.andWhere(`(m.id = :id OR (${range} AND m.message_id LIKE :like ESCAPE '!'))`, {
          like,
          id: Number(filters.messageId),
        });
      } else {
        query.andWhere(`${range} AND m.message_id LIKE :like ESCAPE '!'`, { like });
      }
    }
    if (filters.correlationId) {
      query.andWhere('m.correlation_id = :correlation', { correlation: filters.correlationId });
    }
    if (filters.businessKey) query.andWhere('m.business_key = :business', { business: filters.businessKey });
    if (filters.idempotencyKey) {
      query.andWhere(`${range} AND m.idempotency_key LIKE :idem ESCAPE '!'`, {
        idem: contains(filters.idempotencyKey),
      });
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
}

/** A raw aggregate's timestamp: drivers hand back a Date or text (SQLite, UTC without a zone). */
export function toDate(value: string | Date): Date {
  if (value instanceof Date) return value;
  return new Date(/[zZ]|[+-]\d\d:?\d\d$/.test(value) ? value : `${value.replace(' ', 'T')}Z`);
}
