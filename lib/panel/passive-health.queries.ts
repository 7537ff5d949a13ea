import { Inject, Injectable } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { OPEN_DEAD_LETTER_STATUSES } from '../metrics/talkto-backlog.reader.js';
import { TalktoDeadLetterEntity } from '../persistence/entities/dead-letter.entity.js';
import { TalktoMessageEntity } from '../persistence/entities/message.entity.js';
import { MessageStatus as S } from '../persistence/message.statuses.js';
import { TALKTO_DATA_SOURCE } from '../talkto.constants.js';
import { type PanelDirection, toDate } from './panel.queries.js';

/** One connection's stored traffic over the health window (BEHAVIOR §14, passive health). */
export interface PassiveHealthFacts {
  lastMessageAt: Date | null;
  lastSuccessAt: Date | null;
  lastFailureAt: Date | null;
  recent: Record<string, number>;
  retryBacklog: number;
  deadLetters: number;
}

export interface PeerKey {
  direction: PanelDirection;
  peer: string;
}

const SUCCESSES: string[] = [S.succeeded, S.completed, S.destinationReceived, S.sent];
const FAILURES: string[] = [S.failedRetryable, S.failedFinal];

/** `direction source target`: the same key for a grouped row and for a configured peer. */
function keyOf(direction: string, source: string, target: string): string {
  return `${direction} ${source} ${target}`;
}

/**
 * Passive health of every configured peer at once. The window's traffic, the due-retry backlog
 * and the open dead letters are each one grouped read over an index range (`created_at`,
 * `(overall_status, next_retry_at)`, the dead letters' status) shared by all peers, rather than
 * one read per peer over each peer's whole history.
 */
@Injectable()
export class PassiveHealthQueries {
  constructor(@Inject(TALKTO_DATA_SOURCE) private readonly dataSource: DataSource) {}

  async forPeers(service: string, peers: PeerKey[], since: Date, now: Date): Promise<PassiveHealthFacts[]> {
    const manager = this.dataSource.manager;
    const pairs = peers.map(({ direction, peer }) =>
      direction === 'outgoing'
        ? { direction, source: service, target: peer }
        : { direction, source: peer, target: service },
    );
    const [m, src, tgt] = ['m.direction', 'm.source_service', 'm.target_service'];
    const [recentRows, backlogRows, letterRows, lastRows] = await Promise.all([
      manager
        .createQueryBuilder(TalktoMessageEntity, 'm')
        .where('m.created_at >= :since', { since })
        .select(m, 'direction')
        .addSelect(src, 'source')
        .addSelect(tgt, 'target')
        .addSelect('m.overall_status', 'status')
        .addSelect('COUNT(*)', 'count')
        .addSelect('MAX(m.updated_at)', 'last')
        .groupBy(m)
        .addGroupBy(src)
        .addGroupBy(tgt)
        .addGroupBy('m.overall_status')
        .getRawMany<{
          direction: string;
          source: string;
          target: string;
          status: string;
          count: string | number;
          last: string | Date | null;
        }>(),
      manager
        .createQueryBuilder(TalktoMessageEntity, 'm')
        .where('m.overall_status = :retry', { retry: S.failedRetryable })
        .andWhere('(m.next_retry_at IS NULL OR m.next_retry_at <= :now)', { now })
        .select(m, 'direction')
        .addSelect(src, 'source')
        .addSelect(tgt, 'target')
        .addSelect('COUNT(*)', 'count')
        .groupBy(m)
        .addGroupBy(src)
        .addGroupBy(tgt)
        .getRawMany<{ direction: string; source: string; target: string; count: string | number }>(),
      manager
        .createQueryBuilder(TalktoDeadLetterEntity, 'd')
        .where('d.status IN (:...open)', { open: OPEN_DEAD_LETTER_STATUSES })
        .select('d.direction', 'direction')
        .addSelect('d.source', 'source')
        .addSelect('d.target', 'target')
        .addSelect('COUNT(*)', 'count')
        .groupBy('d.direction')
        .addGroupBy('d.source')
        .addGroupBy('d.target')
        .getRawMany<{ direction: string; source: string; target: string; count: string | number }>(),
      // The newest row of each pair: one backward step along (source, target, created_at).
      Promise.all(
        pairs.map(({ direction, source, target }) =>
          manager
            .createQueryBuilder(TalktoMessageEntity, 'm')
            .where('m.source_service = :source AND m.target_service = :target', { source, target })
            .andWhere('m.direction = :direction', { direction })
            .orderBy('m.created_at', 'DESC')
            .select(['m.id', 'm.createdAt'])
            .limit(1)
            .getOne(),
        ),
      ),
    ]);
    const counts = (
      rows: Array<{ direction: string; source: string; target: string; count: string | number }>,
    ) => new Map(rows.map((row) => [keyOf(row.direction, row.source, row.target), Number(row.count)]));
    const backlog = counts(backlogRows);
    const letters = counts(letterRows);
    return pairs.map(({ direction, source, target }, index) => {
      const key = keyOf(direction, source, target);
      const recent: Record<string, number> = {};
      let lastSuccessAt: Date | null = null;
      let lastFailureAt: Date | null = null;
      const later = (a: Date | null, b: Date | null) => (a && (!b || a > b) ? a : b);
      for (const row of recentRows) {
        if (keyOf(row.direction, row.source, row.target) !== key) continue;
        recent[row.status] = Number(row.count);
        const at = row.last === null ? null : toDate(row.last);
        if (SUCCESSES.includes(row.status)) lastSuccessAt = later(at, lastSuccessAt);
        if (FAILURES.includes(row.status)) lastFailureAt = later(at, lastFailureAt);
      }
      return {
        lastMessageAt: lastRows[index]?.createdAt ?? null,
        lastSuccessAt,
        lastFailureAt,
        recent,
        retryBacklog: backlog.get(key) ?? 0,
        deadLetters: letters.get(key) ?? 0,
      };
    });
  }
}
