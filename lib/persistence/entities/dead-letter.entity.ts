import { Column, Entity, Index } from 'typeorm';
import { TALKTO_TABLES } from '../persistence.constants.js';
import { bigintAsNumber, IdColumn } from './id-column.util.js';
import { TimestampColumn } from './timestamp-column.util.js';

export type DeadLetterStatus = 'open' | 'reprocessing' | 'reprocessed' | 'failed_reprocess' | 'ignored';

/** A finally failed message kept for review and reprocessing; at most one per message (§1.4, §9). */
@Entity(TALKTO_TABLES.deadLetters)
export class TalktoDeadLetterEntity {
  @IdColumn(TALKTO_TABLES.deadLetters)
  id!: number;

  @Index('talkto_dead_letters_talkto_message_id_unique', { unique: true })
  @Column({ name: 'talkto_message_id', type: 'bigint', nullable: true, transformer: bigintAsNumber })
  talktoMessageId!: number | null;

  @Index('talkto_dead_letters_message_id_unique', { unique: true })
  @Column({ name: 'message_id', type: 'varchar', length: 100, nullable: true })
  messageId!: string | null;

  @Column({ name: 'direction', type: 'varchar', length: 30, nullable: true })
  direction!: string | null;

  @Column({ name: 'source', type: 'varchar', length: 80, nullable: true })
  source!: string | null;

  @Column({ name: 'target', type: 'varchar', length: 80, nullable: true })
  target!: string | null;

  @Column({ name: 'command', type: 'varchar', length: 150, nullable: true })
  command!: string | null;

  /** Copy of the message's stored body-JSON text (see TalktoMessageEntity.payload). */
  @Column({ name: 'payload', type: 'text', nullable: true })
  payload!: string | null;

  @Column({ name: 'headers', type: 'simple-json', nullable: true })
  headers!: Record<string, string> | null;

  @Column({ name: 'failure_reason', type: 'text', nullable: true })
  failureReason!: string | null;

  @Column({ name: 'exception_class', type: 'varchar', length: 191, nullable: true })
  exceptionClass!: string | null;

  @Column({ name: 'exception_message', type: 'text', nullable: true })
  exceptionMessage!: string | null;

  @Column({ name: 'failed_status', type: 'varchar', length: 80, nullable: true })
  failedStatus!: string | null;

  @Column({ name: 'original_retry_count', type: 'int', unsigned: true, default: 0 })
  originalRetryCount!: number;

  @Column({ name: 'reprocess_count', type: 'int', unsigned: true, default: 0 })
  reprocessCount!: number;

  @TimestampColumn('reprocessed_at')
  reprocessedAt!: Date | null;

  @Index('talkto_dead_letters_status_idx')
  @Column({ name: 'status', type: 'varchar', length: 40, default: 'open' })
  status!: DeadLetterStatus;

  @Index('talkto_dead_letters_created_at_idx')
  @TimestampColumn('created_at')
  createdAt!: Date | null;

  @TimestampColumn('updated_at')
  updatedAt!: Date | null;
}
