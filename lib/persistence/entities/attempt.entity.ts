import { Column, Entity, Index } from 'typeorm';
import { TALKTO_TABLES } from '../persistence.constants.js';
import { bigintAsNumber, IdColumn } from './id-column.util.js';
import { TimestampColumn } from './timestamp-column.util.js';

/** One send try or handler run of a message (BEHAVIOR §1.2). */
@Entity(TALKTO_TABLES.attempts)
export class TalktoAttemptEntity {
  @IdColumn(TALKTO_TABLES.attempts)
  id!: number;

  /** Plain id, no relation: pruning a message keeps its attempts as history. */
  @Index('talkto_attempts_talkto_message_id_idx')
  @Column({ name: 'talkto_message_id', type: 'bigint', nullable: true, transformer: bigintAsNumber })
  talktoMessageId!: number | null;

  @Index('talkto_attempts_message_id_idx')
  @Column({ name: 'message_id', type: 'varchar', length: 100, nullable: true })
  messageId!: string | null;

  /** `transport` for sends, `destination_processor` for handler runs. */
  @Column({ name: 'stage', type: 'varchar', length: 80 })
  stage!: string;

  @Column({ name: 'attempt_no', type: 'int', unsigned: true, default: 1 })
  attemptNo!: number;

  @Column({ name: 'status', type: 'varchar', length: 80 })
  status!: string;

  @Column({ name: 'http_status', type: 'int', nullable: true })
  httpStatus!: number | null;

  @Column({ name: 'error_class', type: 'varchar', length: 191, nullable: true })
  errorClass!: string | null;

  @Column({ name: 'error_message', type: 'text', nullable: true })
  errorMessage!: string | null;

  @Column({ name: 'request_excerpt', type: 'text', nullable: true })
  requestExcerpt!: string | null;

  @Column({ name: 'response_excerpt', type: 'text', nullable: true })
  responseExcerpt!: string | null;

  @Column({ name: 'duration_ms', type: 'int', unsigned: true, nullable: true })
  durationMs!: number | null;

  @Column({ name: 'meta', type: 'simple-json', nullable: true })
  meta!: Record<string, unknown> | null;

  @Index('talkto_attempts_created_at_idx')
  @TimestampColumn('created_at')
  createdAt!: Date | null;

  @TimestampColumn('updated_at')
  updatedAt!: Date | null;
}
