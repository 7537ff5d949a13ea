import { Inject, Injectable } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { TalktoAttemptEntity } from '../persistence/entities/attempt.entity.js';
import { TalktoDeadLetterEntity } from '../persistence/entities/dead-letter.entity.js';
import { TalktoEventEntity } from '../persistence/entities/event.entity.js';
import { TalktoMessageEntity } from '../persistence/entities/message.entity.js';
import { MessageStatus as S } from '../persistence/message.statuses.js';
import { OPEN_DEAD_LETTER_STATUSES } from '../metrics/talkto-backlog.reader.js';
import { TALKTO_DATA_SOURCE } from '../talkto.constants.js';

/** List filters of BEHAVIOR §14; invalid values are ignored, never an error. */
export interface MessageFilters {
  direction?: 'incoming' | 'outgoing';
  status?: string;
  peer?: string;
  command?: string;
  from?: Date;
  to?: Date;
  page: number;
}

export interface PeerHealth {
  peer: string;
  state: 'healthy' | 'degraded' | 'failing' | 'unknown';
  lastSuccessAt: Date | null;
  lastFailureAt: Date | null;
  deadLetters: number;
  retryBacklog: number;
}

/** Read-only queries behind the panel pages. Lists never load payloads or responses. */
@Injectable()
export class PanelQueries {
  constructor(@Inject(TALKTO_DATA_SOURCE) private readonly dataSource: DataSource) {}

  async messages(filters: MessageFilters, perPage: number) {
    const query = this.dataSource.manager
      .createQueryBuilder(TalktoMessageEntity, 'm')
      .select([
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
      ]);
    if (filters.direction) query.andWhere('m.direction = :direction', { direction: filters.direction });
    if (filters.status) query.andWhere('m.overall_status = :status', { status: filters.status });
    if (filters.command) query.andWhere('m.command = :command', { command: filters.command });
    if (filters.peer) {
      query.andWhere('(m.source_service = :peer OR m.target_service = :peer)', { peer: filters.peer });
    }
    if (filters.from) query.andWhere('m.created_at >= :from', { from: filters.from });
    if (filters.to) query.andWhere('m.created_at <= :to', { to: filters.to });
    const [rows, total] = await query
      .orderBy('m.id', 'DESC')
      .skip((filters.page - 1) * perPage)
      .take(perPage)
      .getManyAndCount();
    return { rows, total };
  }

  /** By database id when numeric, else by message id (BEHAVIOR §14). */
  async message(key: string) {
    const manager = this.dataSource.manager;
    const message = /^\d+$/.test(key)
      ? await manager.findOneBy(TalktoMessageEntity, { id: Number(key) })
      : await manager.findOneBy(TalktoMessageEntity, { messageId: key });
    if (!message) return null;
    const [attempts, events, deadLetter, callbacks] = await Promise.all([
      manager.find(TalktoAttemptEntity, { where: { talktoMessageId: message.id }, order: { id: 'ASC' } }),
      manager.find(TalktoEventEntity, { where: { talktoMessageId: message.id }, order: { id: 'ASC' } }),
      manager.findOneBy(TalktoDeadLetterEntity, { talktoMessageId: message.id }),
      manager.find(TalktoMessageEntity, {
        where: { parentMessageId: message.messageId },
        select: {
          id: true,
          messageId: true,
          direction: true,
          command: true,
          overallStatus: true,
          createdAt: true,
        },
        order: { id: 'ASC' },
      }),
    ]);
    return { message, attempts, events, deadLetter, callbacks };
  }

  correlation(correlationId: string, limit = 500) {
    return this.dataSource.manager.find(TalktoMessageEntity, {
      where: { correlationId },
      select: {
        id: true,
        messageId: true,
        direction: true,
        sourceService: true,
        targetService: true,
        command: true,
        overallStatus: true,
        createdAt: true,
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

  /** Passive health per peer over the window, from stored traffic only (BEHAVIOR §14). */
  async peerHealth(service: string, peers: string[], since: Date): Promise<PeerHealth[]> {
    const manager = this.dataSource.manager;
    return Promise.all(
      peers.map(async (peer) => {
        const between = manager
          .createQueryBuilder(TalktoMessageEntity, 'm')
          .where(
            '((m.source_service = :service AND m.target_service = :peer) OR (m.source_service = :peer AND m.target_service = :service))',
            { service, peer },
          );
        const last = (statuses: string[]) =>
          between
            .clone()
            .andWhere('m.overall_status IN (:...statuses)', { statuses })
            .orderBy('m.updated_at', 'DESC')
            .getOne()
            .then((row) => row?.updatedAt ?? null);
        const [lastSuccessAt, lastFailureAt, retryBacklog, recentFinal, deadLetters] = await Promise.all([
          last([S.succeeded, S.completed, S.destinationReceived, S.sent]),
          last([S.failedRetryable, S.failedFinal]),
          between.clone().andWhere('m.overall_status = :retry', { retry: S.failedRetryable }).getCount(),
          between
            .clone()
            .andWhere('m.overall_status = :final', { final: S.failedFinal })
            .andWhere('m.updated_at >= :since', { since })
            .getCount(),
          manager
            .createQueryBuilder(TalktoDeadLetterEntity, 'd')
            .where('(d.source = :peer OR d.target = :peer)', { peer })
            .andWhere('d.status IN (:...open)', { open: OPEN_DEAD_LETTER_STATUSES })
            .getCount(),
        ]);
        const state: PeerHealth['state'] =
          deadLetters > 0 || recentFinal > 0
            ? 'failing'
            : retryBacklog > 0
              ? 'degraded'
              : lastSuccessAt && lastSuccessAt >= since
                ? 'healthy'
                : 'unknown';
        return { peer, state, lastSuccessAt, lastFailureAt, deadLetters, retryBacklog };
      }),
    );
  }
}
