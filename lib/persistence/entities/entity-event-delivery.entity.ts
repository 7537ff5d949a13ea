import { Column, Entity, Index } from 'typeorm';
import { TALKTO_ENTITY_EVENT_TABLES } from '../persistence.constants.js';
import { bigintAsNumber, IdColumn } from './id-column.util.js';
import { TimestampColumn } from './timestamp-column.util.js';

export type EntityEventDeliveryStatus = 'pending' | 'retry_scheduled' | 'succeeded' | 'dead_lettered';

/** One handler's (or one forward's) share of an entity event, retried and dead-lettered on its own. */
@Entity(TALKTO_ENTITY_EVENT_TABLES.deliveries)
@Index('talkto_entity_event_deliveries_unique', ['entityEventId', 'handler'], { unique: true })
export class TalktoEntityEventDeliveryEntity {
  @IdColumn(TALKTO_ENTITY_EVENT_TABLES.deliveries)
  id!: number;

  @Column({ name: 'entity_event_id', type: 'bigint', transformer: bigintAsNumber })
  entityEventId!: number;

  /** `Class.method` of a local handler, or `forward:<target>:<command>`. */
  @Column({ name: 'handler', type: 'varchar', length: 191 })
  handler!: string;

  @Column({ name: 'status', type: 'varchar', length: 30, default: 'pending' })
  status!: EntityEventDeliveryStatus;

  @Column({ name: 'attempts', type: 'integer', unsigned: true, default: 0 })
  attempts!: number;

  @TimestampColumn('next_attempt_at')
  nextAttemptAt!: Date | null;

  @Column({ name: 'last_error', type: 'text', nullable: true })
  lastError!: string | null;

  @TimestampColumn('completed_at')
  completedAt!: Date | null;

  @TimestampColumn('created_at')
  createdAt!: Date | null;

  @TimestampColumn('updated_at')
  updatedAt!: Date | null;
}
