import { Column, Entity, Index } from 'typeorm';
import { TALKTO_TABLES } from '../persistence.constants.js';
import { bigintAsNumber, IdColumn } from './id-column.util.js';
import { TimestampColumn } from './timestamp-column.util.js';

/** Append-only audit log of a message's life (BEHAVIOR §1.3, event types §2.5). */
@Entity(TALKTO_TABLES.events)
export class TalktoEventEntity {
  @IdColumn(TALKTO_TABLES.events)
  id!: number;

  @Index('talkto_events_talkto_message_id_idx')
  @Column({ name: 'talkto_message_id', type: 'bigint', nullable: true, transformer: bigintAsNumber })
  talktoMessageId!: number | null;

  @Index('talkto_events_message_id_idx')
  @Column({ name: 'message_id', type: 'varchar', length: 100, nullable: true })
  messageId!: string | null;

  @Column({ name: 'service_name', type: 'varchar', length: 80 })
  serviceName!: string;

  @Column({ name: 'event_type', type: 'varchar', length: 100 })
  eventType!: string;

  @Column({ name: 'old_status', type: 'varchar', length: 80, nullable: true })
  oldStatus!: string | null;

  @Column({ name: 'new_status', type: 'varchar', length: 80, nullable: true })
  newStatus!: string | null;

  @Column({ name: 'meta', type: 'simple-json', nullable: true })
  meta!: Record<string, unknown> | null;

  @TimestampColumn('reported_to_central_at')
  reportedToCentralAt!: Date | null;

  @Index('talkto_events_created_at_idx')
  @TimestampColumn('created_at')
  createdAt!: Date | null;

  @TimestampColumn('updated_at')
  updatedAt!: Date | null;
}
