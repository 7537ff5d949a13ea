import { Inject, Injectable } from '@nestjs/common';
import type { DataSource, EntityManager, ObjectLiteral, EntityTarget } from 'typeorm';
import { TalktoClock } from '../clock/talkto.clock.js';
import type { ResolvedTalktoOptions } from '../config/resolved-options.interface.js';
import { TalktoUsageError } from '../errors/talkto-usage.error.js';
import { TalktoAttemptEntity } from '../persistence/entities/attempt.entity.js';
import { TalktoDeadLetterEntity } from '../persistence/entities/dead-letter.entity.js';
import { TalktoEventEntity } from '../persistence/entities/event.entity.js';
import { TalktoMessageEntity } from '../persistence/entities/message.entity.js';
import { TalktoNonceEntity } from '../persistence/entities/nonce.entity.js';
import { runInTransaction } from '../persistence/statements/index.js';
import { TALKTO_DATA_SOURCE, TALKTO_RESOLVED_OPTIONS } from '../talkto.constants.js';
import { checkIntegerRange } from './operations-input.util.js';

export type PruneType = 'messages' | 'attempts' | 'events' | 'dead-letters' | 'nonces';
const PRUNE_TYPES: readonly PruneType[] = ['messages', 'attempts', 'events', 'dead-letters', 'nonces'];

/** Only finished messages are ever pruned; in-flight ones are kept whatever their age (BEHAVIOR §8). */
const TERMINAL = [
  'succeeded',
  'completed',
  'failed',
  'failed_final',
  'dead_lettered',
  'cancelled',
  'skipped',
];

export interface PruneInput {
  /** One type or `all` (default). */
  type?: PruneType | 'all';
  /** `30d`, `12h` or a number of days (default: the retention of each type). */
  olderThan?: string | number;
  /** Rows per type, 1..100000 (default 100). */
  limit?: number;
  dryRun?: boolean;
}

export interface PruneTypeResult {
  /** Rows found (dry run) or deleted. */
  count: number;
  /** `messages` only: related rows deleted with them. */
  related?: { attempts: number; events: number; deadLetters: number };
}

export interface PruneSummary {
  dryRun: boolean;
  results: Partial<Record<PruneType, PruneTypeResult>>;
}

/** Parses `30d`, `12h` or bare days into milliseconds; must be positive. */
export function parseOlderThan(value: string | number): number {
  const match = /^(\d+)([dh]?)$/.exec(String(value).trim());
  const amount = match ? Number(match[1]) : NaN;
  if (!match || !(amount > 0)) {
    throw new TalktoUsageError('olderThan', "must be like '30d', '12h' or a positive number of days");
  }
  return amount * (match[2] === 'h' ? 3_600_000 : 86_400_000);
}

/** Deletes old rows by type, oldest first, up to `limit` per type (`talkto:prune`). */
@Injectable()
export class PruneService {
  constructor(
    @Inject(TALKTO_RESOLVED_OPTIONS) private readonly options: ResolvedTalktoOptions,
    @Inject(TALKTO_DATA_SOURCE) private readonly dataSource: DataSource,
    private readonly clock: TalktoClock,
  ) {}

  async prune(input: PruneInput = {}): Promise<PruneSummary> {
    const type = input.type ?? 'all';
    if (type !== 'all' && !PRUNE_TYPES.includes(type)) {
      throw new TalktoUsageError('type', `must be one of ${PRUNE_TYPES.join(', ')} or all`);
    }
    const limit = checkIntegerRange(input.limit ?? 100, 'limit', 1, 100_000);
    const override = input.olderThan === undefined ? null : parseOlderThan(input.olderThan);
    const dryRun = input.dryRun === true;
    const now = this.clock.now();
    const retention = this.options.retention;
    const days = {
      messages: retention.messagesDays,
      attempts: retention.attemptsDays,
      events: retention.eventsDays,
      'dead-letters': retention.deadLettersDays,
      nonces: retention.noncesDays,
    };
    const summary: PruneSummary = { dryRun, results: {} };
    for (const current of type === 'all' ? PRUNE_TYPES : [type]) {
      const cutoff = new Date(now.getTime() - (override ?? days[current] * 86_400_000));
      summary.results[current] = await this.pruneType(current, cutoff, now, limit, dryRun);
    }
    return summary;
  }

  private async pruneType(
    type: PruneType,
    cutoff: Date,
    now: Date,
    limit: number,
    dryRun: boolean,
  ): Promise<PruneTypeResult> {
    switch (type) {
      case 'messages':
        return this.pruneMessages(cutoff, limit, dryRun);
      case 'attempts':
        return this.pruneSimple(TalktoAttemptEntity, 'x.created_at <= :cutoff', { cutoff }, limit, dryRun);
      case 'events':
        return this.pruneSimple(TalktoEventEntity, 'x.created_at <= :cutoff', { cutoff }, limit, dryRun);
      case 'dead-letters':
        return this.pruneSimple(TalktoDeadLetterEntity, 'x.created_at <= :cutoff', { cutoff }, limit, dryRun);
      case 'nonces':
        return this.pruneSimple(
          TalktoNonceEntity,
          '(x.expires_at <= :now OR x.created_at <= :cutoff)',
          { now, cutoff },
          limit,
          dryRun,
        );
    }
  }

  private async pruneSimple<T extends ObjectLiteral & { id: number }>(
    entity: EntityTarget<T>,
    condition: string,
    parameters: Record<string, unknown>,
    limit: number,
    dryRun: boolean,
  ): Promise<PruneTypeResult> {
    const ids = await this.oldestIds(this.dataSource.manager, entity, condition, parameters, limit);
    if (!dryRun && ids.length > 0) {
      await runInTransaction(
        this.dataSource,
        undefined,
        (tx) => tx.createQueryBuilder().delete().from(entity).whereInIds(ids).execute(),
        { exclusive: true },
      );
    }
    return { count: ids.length };
  }

  private async pruneMessages(cutoff: Date, limit: number, dryRun: boolean): Promise<PruneTypeResult> {
    const rows = await this.dataSource.manager
      .createQueryBuilder(TalktoMessageEntity, 'x')
      .select(['x.id', 'x.messageId'])
      .where('x.created_at <= :cutoff', { cutoff })
      .andWhere('x.overall_status IN (:...terminal)', { terminal: TERMINAL })
      .orderBy('x.created_at', 'ASC')
      .take(limit)
      .getMany();
    const related = { attempts: 0, events: 0, deadLetters: 0 };
    if (dryRun || rows.length === 0) return { count: rows.length, related };
    const ids = rows.map((row) => row.id);
    const messageIds = rows.map((row) => row.messageId);
    await runInTransaction(
      this.dataSource,
      undefined,
      async (tx) => {
        const remove = async (entity: EntityTarget<ObjectLiteral>) =>
          (
            await tx
              .createQueryBuilder()
              .delete()
              .from(entity)
              .where('talkto_message_id IN (:...ids)', { ids })
              .orWhere('message_id IN (:...messageIds)', { messageIds })
              .execute()
          ).affected ?? 0;
        related.attempts = await remove(TalktoAttemptEntity);
        related.events = await remove(TalktoEventEntity);
        related.deadLetters = await remove(TalktoDeadLetterEntity);
        await tx.createQueryBuilder().delete().from(TalktoMessageEntity).whereInIds(ids).execute();
      },
      { exclusive: true },
    );
    return { count: rows.length, related };
  }

  private async oldestIds<T extends ObjectLiteral & { id: number }>(
    manager: EntityManager,
    entity: EntityTarget<T>,
    condition: string,
    parameters: Record<string, unknown>,
    limit: number,
  ): Promise<number[]> {
    const rows = await manager
      .createQueryBuilder(entity, 'x')
      .select('x.id', 'id')
      .where(condition, parameters)
      .orderBy('x.id', 'ASC')
      .limit(limit)
      .getRawMany<{ id: number | string }>();
    return rows.map((row) => Number(row.id));
  }
}
