import { Column, Entity, Index } from 'typeorm';
import { TALKTO_ENTITY_EVENT_TABLES } from '../persistence.constants.js';
import { IdColumn } from './id-column.util.js';
import { TimestampColumn } from './timestamp-column.util.js';

export type EntityEventOperation = 'insert' | 'update' | 'remove';

/** `processing` is held under a lease like a message claim; `failed` means some handler was dead-lettered. */
export type EntityEventStatus = 'pending' | 'processing' | 'delivered' | 'failed';

/**
 * One insert, update or remove of a watched entity, written in the transaction that made the
 * change. Events that share a `stream` (one entity row) are delivered in id order.
 */
@Entity(TALKTO_ENTITY_EVENT_TABLES.events)
@Index('talkto_entity_events_stream_idx', ['stream'])
@Index('talkto_entity_events_due_idx', ['status', 'nextAttemptAt'])
export class TalktoEntityEventEntity {
  @IdColumn(TALKTO_ENTITY_EVENT_TABLES.events)
  id!: number;

  @Column({ name: 'entity_name', type: 'varchar', length: 150 })
  entityName!: string;

  @Column({ name: 'operation', type: 'varchar', length: 20 })
  operation!: EntityEventOperation;

  /** The primary key as canonical JSON, e.g. `{"id":42}`. */
  @Column({ name: 'entity_key', type: 'varchar', length: 191 })
  entityKey!: string;

  /** sha256 of entity name and key: the ordering scope, short enough for any index. */
  @Column({ name: 'stream', type: 'varchar', length: 64 })
  stream!: string;

  @Column({ name: 'changed_columns', type: 'simple-json', nullable: true })
  changedColumns!: string[] | null;

  /** Column values after the change, redacted; null for a remove. */
  @Column({ name: 'data', type: 'text', nullable: true })
  data!: string | null;

  @Column({ name: 'status', type: 'varchar', length: 30, default: 'pending' })
  status!: EntityEventStatus;

  /** Delivery rounds that ran; a round runs every handler that is due. */
  @Column({ name: 'attempts', type: 'integer', unsigned: true, default: 0 })
  attempts!: number;

  @TimestampColumn('next_attempt_at')
  nextAttemptAt!: Date | null;

  @Column({ name: 'locked_by', type: 'varchar', length: 100, nullable: true })
  lockedBy!: string | null;

  @TimestampColumn('locked_until')
  lockedUntil!: Date | null;

  @Column({ name: 'last_error', type: 'text', nullable: true })
  lastError!: string | null;

  @TimestampColumn('delivered_at')
  deliveredAt!: Date | null;

  @TimestampColumn('created_at')
  createdAt!: Date | null;

  @TimestampColumn('updated_at')
  updatedAt!: Date | null;
}
