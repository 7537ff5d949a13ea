import { Inject, Injectable } from '@nestjs/common';
import { Brackets, type DataSource, In, LessThan } from 'typeorm';
import {
  type EntityEventDeliveryStatus,
  TalktoEntityEventDeliveryEntity,
} from '../persistence/entities/entity-event-delivery.entity.js';
import {
  type EntityEventStatus,
  TalktoEntityEventEntity,
} from '../persistence/entities/entity-event.entity.js';
import { isUniqueViolation, runStandaloneWrite } from '../persistence/statements/index.js';
import { limitText } from '../persistence/text-limit.util.js';
import { TALKTO_DATA_SOURCE } from '../talkto.constants.js';

const UNFINISHED: EntityEventStatus[] = ['pending', 'processing'];

/**
 * Every read and state change of entity events and their deliveries. Like the message ledger,
 * a claim is a conditional UPDATE, so two workers never deliver one event at the same time.
 */
@Injectable()
export class EntityEventStore {
  constructor(@Inject(TALKTO_DATA_SOURCE) private readonly dataSource: DataSource) {}

  /** Takes a due pending event, or one whose lease ran out; null when someone else has it. */
  async claim(
    id: number,
    workerId: string,
    leaseMs: number,
    now: Date,
  ): Promise<TalktoEntityEventEntity | null> {
    const result = await runStandaloneWrite(this.dataSource, (manager) =>
      manager
        .createQueryBuilder()
        .update(TalktoEntityEventEntity)
        .set({
          status: 'processing',
          lockedBy: workerId,
          lockedUntil: new Date(now.getTime() + leaseMs),
          attempts: () => 'attempts + 1',
          updatedAt: now,
        })
        .where('id = :id', { id })
        .andWhere(
          new Brackets((any) =>
            any
              .where(
                new Brackets((pending) =>
                  pending
                    .where('status = :pending', { pending: 'pending' })
                    .andWhere(
                      new Brackets((due) =>
                        due.where('next_attempt_at IS NULL').orWhere('next_attempt_at <= :now', { now }),
                      ),
                    ),
                ),
              )
              .orWhere(
                new Brackets((stale) =>
                  stale
                    .where('status = :processing', { processing: 'processing' })
                    .andWhere('locked_until < :now', { now }),
                ),
              ),
          ),
        )
        .execute(),
    );
    if (result.affected !== 1) return null;
    return this.dataSource.manager.findOneBy(TalktoEntityEventEntity, { id, lockedBy: workerId });
  }

  /** True while an earlier event of the same entity row is not finished: this one must wait. */
  hasEarlierUnfinished(event: TalktoEntityEventEntity): Promise<boolean> {
    return this.dataSource.manager.existsBy(TalktoEntityEventEntity, {
      stream: event.stream,
      id: LessThan(event.id),
      status: In(UNFINISHED),
    });
  }

  /** The next unfinished event of the same entity row, to hand on once this one is done. */
  async nextInStream(event: TalktoEntityEventEntity): Promise<number | null> {
    const next = await this.dataSource.manager
      .createQueryBuilder(TalktoEntityEventEntity, 'e')
      .select('e.id', 'id')
      .where('e.stream = :stream', { stream: event.stream })
      .andWhere('e.id > :id', { id: event.id })
      .andWhere('e.status IN (:...unfinished)', { unfinished: UNFINISHED })
      .orderBy('e.id', 'ASC')
      .limit(1)
      .getRawOne<{ id: number | string }>();
    return next ? Number(next.id) : null;
  }

  /** Gives a claimed event back untouched (it was blocked by an earlier one). */
  async release(id: number, workerId: string, now: Date): Promise<void> {
    await this.update(id, workerId, { status: 'pending', nextAttemptAt: null }, now);
  }

  async finish(id: number, workerId: string, status: 'delivered' | 'failed', now: Date): Promise<void> {
    await this.update(id, workerId, { status, deliveredAt: now, nextAttemptAt: null }, now);
  }

  async reschedule(
    id: number,
    workerId: string,
    nextAttemptAt: Date,
    lastError: string | null,
    now: Date,
  ): Promise<void> {
    await this.update(id, workerId, { status: 'pending', nextAttemptAt, lastError }, now);
  }

  /** Ids of events that should be running and may have lost their job (crash, lost queue). */
  async findRecoverable(now: Date, limit: number): Promise<number[]> {
    const rows = await this.dataSource.manager
      .createQueryBuilder(TalktoEntityEventEntity, 'e')
      .select('e.id', 'id')
      .where(
        new Brackets((any) =>
          any
            .where("e.status = 'pending' AND (e.next_attempt_at IS NULL OR e.next_attempt_at <= :now)", {
              now,
            })
            .orWhere("e.status = 'processing' AND e.locked_until < :now", { now }),
        ),
      )
      .orderBy('e.id', 'ASC')
      .limit(limit)
      .getRawMany<{ id: number | string }>();
    return rows.map((row) => Number(row.id));
  }

  /** Creates the missing per-recipient rows; an existing row (earlier round, other worker) is kept. */
  async deliveriesFor(
    eventId: number,
    recipients: string[],
    now: Date,
  ): Promise<TalktoEntityEventDeliveryEntity[]> {
    const repository = this.dataSource.getRepository(TalktoEntityEventDeliveryEntity);
    const existing = new Set((await repository.findBy({ entityEventId: eventId })).map((row) => row.handler));
    for (const handler of recipients.filter((key) => !existing.has(key))) {
      try {
        await runStandaloneWrite(this.dataSource, (manager) =>
          manager.insert(TalktoEntityEventDeliveryEntity, {
            entityEventId: eventId,
            handler,
            status: 'pending',
            attempts: 0,
            createdAt: now,
            updatedAt: now,
          }),
        );
      } catch (error) {
        if (!isUniqueViolation(error)) throw error;
      }
    }
    return repository.find({ where: { entityEventId: eventId }, order: { id: 'ASC' } });
  }

  async markDelivery(
    id: number,
    status: EntityEventDeliveryStatus,
    changes: { attempts: number; nextAttemptAt?: Date | null; lastError?: string | null },
    now: Date,
  ): Promise<void> {
    const finished = status === 'succeeded' || status === 'dead_lettered';
    await runStandaloneWrite(this.dataSource, (manager) =>
      manager.update(
        TalktoEntityEventDeliveryEntity,
        { id },
        {
          status,
          attempts: changes.attempts,
          nextAttemptAt: changes.nextAttemptAt ?? null,
          lastError:
            changes.lastError === undefined || changes.lastError === null
              ? null
              : limitText(changes.lastError),
          completedAt: finished ? now : null,
          updatedAt: now,
        },
      ),
    );
  }

  private async update(
    id: number,
    workerId: string,
    changes: Partial<Pick<TalktoEntityEventEntity, 'status' | 'nextAttemptAt' | 'deliveredAt' | 'lastError'>>,
    now: Date,
  ): Promise<void> {
    await runStandaloneWrite(this.dataSource, (manager) =>
      manager
        .createQueryBuilder()
        .update(TalktoEntityEventEntity)
        .set(
          Object.assign({}, changes, changes.lastError ? { lastError: limitText(changes.lastError) } : {}, {
            lockedBy: null,
            lockedUntil: null,
            updatedAt: now,
          }),
        )
        .where('id = :id AND locked_by = :workerId', { id, workerId })
        .execute(),
    );
  }
}
