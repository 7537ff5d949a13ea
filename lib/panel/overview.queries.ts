import { Inject, Injectable } from '@nestjs/common';
import type { DataSource, SelectQueryBuilder } from 'typeorm';
import { OPEN_DEAD_LETTER_STATUSES } from '../metrics/talkto-backlog.reader.js';
import { TalktoDeadLetterEntity } from '../persistence/entities/dead-letter.entity.js';
import { TalktoMessageEntity } from '../persistence/entities/message.entity.js';
import { MessageStatus as S } from '../persistence/message.statuses.js';
import { TALKTO_DATA_SOURCE } from '../talkto.constants.js';
import type { PanelDirection } from './panel.queries.js';

/** A time window cut into equal buckets; bucket `i` covers `[start + i·size, start + (i+1)·size)`. */
export interface Window {
  start: Date;
  end: Date;
  bucketSeconds: number;
}

export type Outcome = 'succeeded' | 'failed' | 'in_flight';

const SUCCEEDED = [S.succeeded, S.completed];
const FAILED = [S.failedFinal, S.failedRetryable, S.failed, S.cancelled];

export function outcomeOf(status: string): Outcome {
  if ((SUCCEEDED as string[]).includes(status)) return 'succeeded';
  return (FAILED as string[]).includes(status) ? 'failed' : 'in_flight';
}

export function bucketCount(window: Window): number {
  return Math.ceil((window.end.getTime() - window.start.getTime()) / (window.bucketSeconds * 1000));
}

/** Message counts per bucket, direction and outcome. */
export type Throughput = Record<PanelDirection, Record<Outcome, number[]>>;

/** Delivery latencies in milliseconds over the newest rows of the window, and how many were read. */
export interface LatencySample {
  values: number[];
  capped: boolean;
}

export interface PeerTraffic {
  direction: PanelDirection;
  peer: string;
  total: number;
  succeeded: number;
  failed: number;
}

/** Enough rows for stable percentiles, few enough to read in milliseconds. */
export const LATENCY_SAMPLE = 2000;

/**
 * Aggregates behind the overview. Every query is bounded by an index range: `created_at` for
 * traffic and latency, `(overall_status, next_retry_at)` for the retry backlog, the dead letters'
 * status and `created_at`; buckets are computed in SQL so a busy day is still one grouped scan.
 */
@Injectable()
export class OverviewQueries {
  constructor(@Inject(TALKTO_DATA_SOURCE) private readonly dataSource: DataSource) {}

  /** Bucket number of `column` relative to `:start`, in this engine's SQL. */
  private bucket(column: string, seconds: number): string {
    switch (this.dataSource.options.type) {
      case 'postgres':
        return `FLOOR(EXTRACT(EPOCH FROM (${column} - CAST(:start AS timestamp))) / ${seconds})`;
      case 'mysql':
      case 'mariadb':
        return `FLOOR(TIMESTAMPDIFF(MICROSECOND, :start, ${column}) / ${seconds * 1_000_000})`;
      default:
        return `CAST((julianday(${column}) - julianday(:start)) * 86400 / ${seconds} AS INTEGER)`;
    }
  }

  private messages(peer: string | undefined): SelectQueryBuilder<TalktoMessageEntity> {
    const query = this.dataSource.manager.createQueryBuilder(TalktoMessageEntity, 'm');
    return peer ? query.where('(m.source_service = :peer OR m.target_service = :peer)', { peer }) : query;
  }

  async throughput(window: Window, peer?: string): Promise<Throughput> {
    const rows = await this.messages(peer)
      .andWhere('m.created_at >= :start AND m.created_at < :end', { start: window.start, end: window.end })
      .select(this.bucket('m.created_at', window.bucketSeconds), 'bucket')
      .addSelect('m.direction', 'direction')
      .addSelect('m.overall_status', 'status')
      .addSelect('COUNT(*)', 'count')
      .groupBy('bucket')
      .addGroupBy('m.direction')
      .addGroupBy('m.overall_status')
      .getRawMany<{ bucket: string | number; direction: string; status: string; count: string | number }>();
    const size = bucketCount(window);
    const empty = () => ({
      succeeded: new Array<number>(size).fill(0),
      failed: new Array<number>(size).fill(0),
      in_flight: new Array<number>(size).fill(0),
    });
    const result: Throughput = { outgoing: empty(), incoming: empty() };
    for (const row of rows) {
      const index = Number(row.bucket);
      if (row.direction !== 'outgoing' && row.direction !== 'incoming') continue;
      if (index < 0 || index >= size) continue;
      result[row.direction][outcomeOf(row.status)][index] += Number(row.count);
    }
    return result;
  }

  /** Per peer and direction over the window: totals and outcomes. */
  async peers(window: Window, service: string): Promise<PeerTraffic[]> {
    const rows = await this.messages(undefined)
      .where('m.created_at >= :start AND m.created_at < :end', { start: window.start, end: window.end })
      .select('m.direction', 'direction')
      .addSelect('m.source_service', 'source')
      .addSelect('m.target_service', 'target')
      .addSelect('m.overall_status', 'status')
      .addSelect('COUNT(*)', 'count')
      .groupBy('m.direction')
      .addGroupBy('m.source_service')
      .addGroupBy('m.target_service')
      .addGroupBy('m.overall_status')
      .getRawMany<{ direction: string; source: string; target: string; status: string; count: string }>();
    const byKey = new Map<string, PeerTraffic>();
    for (const row of rows) {
      if (row.direction !== 'outgoing' && row.direction !== 'incoming') continue;
      const peer = row.direction === 'outgoing' ? row.target : row.source;
      if (peer === service) continue;
      const key = `${row.direction} ${peer}`;
      const entry = byKey.get(key) ?? { direction: row.direction, peer, total: 0, succeeded: 0, failed: 0 };
      const count = Number(row.count);
      entry.total += count;
      if (outcomeOf(row.status) === 'succeeded') entry.succeeded += count;
      if (outcomeOf(row.status) === 'failed') entry.failed += count;
      byKey.set(key, entry);
    }
    return [...byKey.values()].sort(
      (a, b) => a.peer.localeCompare(b.peer) || a.direction.localeCompare(b.direction),
    );
  }

  /**
   * Created → destination received: outgoing commands the peer answered with "received", by the
   * time of that answer (`sent_at`). The newest rows of the window only, at most `LATENCY_SAMPLE`.
   */
  deliveryLatency(window: Window, callbackCommand: string, peer?: string): Promise<LatencySample> {
    return this.latency(
      this.messages(peer)
        .andWhere("m.direction = 'outgoing' AND m.command <> :callback", { callback: callbackCommand })
        .andWhere('m.destination_receive_status = :received', { received: S.received })
        .andWhere('m.sent_at >= :start AND m.sent_at < :end', { start: window.start, end: window.end })
        .select(['m.id', 'm.createdAt', 'm.sentAt'])
        .orderBy('m.sent_at', 'DESC'),
      (row) => (row.sentAt && row.createdAt ? row.sentAt.getTime() - row.createdAt.getTime() : null),
    );
  }

  /**
   * Sent → result applied: outgoing commands created in the window that a result callback
   * completed (`completed_at` has no index; `created_at` bounds the scan).
   */
  resultLatency(window: Window, callbackCommand: string, peer?: string): Promise<LatencySample> {
    return this.latency(
      this.messages(peer)
        .andWhere("m.direction = 'outgoing' AND m.command <> :callback", { callback: callbackCommand })
        .andWhere('m.created_at >= :start AND m.created_at < :end', { start: window.start, end: window.end })
        .andWhere('m.overall_status = :completed', { completed: S.completed })
        .andWhere('m.sent_at IS NOT NULL AND m.completed_at IS NOT NULL')
        .select(['m.id', 'm.sentAt', 'm.completedAt'])
        .orderBy('m.created_at', 'DESC'),
      (row) => (row.completedAt && row.sentAt ? row.completedAt.getTime() - row.sentAt.getTime() : null),
    );
  }

  private async latency(
    query: SelectQueryBuilder<TalktoMessageEntity>,
    measure: (row: TalktoMessageEntity) => number | null,
  ): Promise<LatencySample> {
    const rows = await query.limit(LATENCY_SAMPLE).getMany();
    const values = rows.map(measure).filter((value): value is number => value !== null && value >= 0);
    return { values: values.sort((a, b) => a - b), capped: rows.length === LATENCY_SAMPLE };
  }

  /**
   * Retryable messages that were due and not yet retried at the end of each bucket, rebuilt from the
   * rows still waiting (their `next_retry_at`); retries already done leave no trace in the rows.
   */
  async dueRetryBacklog(window: Window, now: Date, peer?: string): Promise<number[]> {
    // The last bucket reaches into the future: a retry due later in it is not due yet.
    const end = window.end < now ? window.end : now;
    const waiting = () =>
      this.messages(peer).andWhere('m.overall_status = :retry', { retry: S.failedRetryable });
    const [before, rows] = await Promise.all([
      waiting().andWhere('m.next_retry_at < :start', { start: window.start }).getCount(),
      waiting()
        .andWhere('m.next_retry_at >= :start AND m.next_retry_at <= :end', { start: window.start, end })
        .select(this.bucket('m.next_retry_at', window.bucketSeconds), 'bucket')
        .addSelect('COUNT(*)', 'count')
        .groupBy('bucket')
        .getRawMany<{ bucket: string | number; count: string | number }>(),
    ]);
    return cumulative(window, before, rows, []);
  }

  /** Open dead letters at the end of each bucket: opened by `created_at`, closed by `updated_at`. */
  async openDeadLetters(window: Window, peer?: string): Promise<number[]> {
    const letters = () => {
      const query = this.dataSource.manager.createQueryBuilder(TalktoDeadLetterEntity, 'd');
      return peer ? query.where('(d.source = :peer OR d.target = :peer)', { peer }) : query;
    };
    const open = { open: OPEN_DEAD_LETTER_STATUSES };
    const range = { start: window.start, end: window.end };
    const [openBefore, closedSince, opened, closed] = await Promise.all([
      letters().andWhere('d.status IN (:...open)', open).andWhere('d.created_at < :start', range).getCount(),
      letters()
        .andWhere('d.status NOT IN (:...open)', open)
        .andWhere('d.created_at < :start AND d.updated_at >= :start', range)
        .getCount(),
      letters()
        .andWhere('d.created_at >= :start AND d.created_at < :end', range)
        .select(this.bucket('d.created_at', window.bucketSeconds), 'bucket')
        .addSelect('COUNT(*)', 'count')
        .groupBy('bucket')
        .getRawMany<{ bucket: string | number; count: string | number }>(),
      letters()
        .andWhere('d.status NOT IN (:...open)', open)
        .andWhere('d.updated_at >= :start AND d.updated_at < :end', range)
        .select(this.bucket('d.updated_at', window.bucketSeconds), 'bucket')
        .addSelect('COUNT(*)', 'count')
        .groupBy('bucket')
        .getRawMany<{ bucket: string | number; count: string | number }>(),
    ]);
    return cumulative(window, openBefore + closedSince, opened, closed);
  }
}

type BucketCounts = Array<{ bucket: string | number; count: string | number }>;

/** A running level: `start`, plus what arrived and minus what left up to each bucket's end. */
function cumulative(window: Window, start: number, added: BucketCounts, removed: BucketCounts): number[] {
  const deltas = new Array<number>(bucketCount(window)).fill(0);
  const apply = (rows: BucketCounts, sign: number) => {
    for (const row of rows) {
      const index = Number(row.bucket);
      if (index >= 0 && index < deltas.length) deltas[index] += sign * Number(row.count);
    }
  };
  apply(added, 1);
  apply(removed, -1);
  let level = start;
  return deltas.map((delta) => (level += delta));
}

/** Nearest-rank percentile of sorted values. */
export function percentile(sorted: number[], p: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}
