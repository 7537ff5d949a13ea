import { Column, Entity, Index } from 'typeorm';
import { TALKTO_TABLES } from '../persistence.constants.js';
import { IdColumn } from './id-column.util.js';
import { TimestampColumn } from './timestamp-column.util.js';

export type MessageDirection = 'incoming' | 'outgoing';

/**
 * One command or result callback, sent or received (BEHAVIOR §1.1). Status columns are written
 * only by the ledger (`*.ledger.ts` and `ledger.core.ts` in persistence/). Each index serves a
 * query listed in docs/indexes.md; an index no query reads only slows every status change.
 */
@Entity(TALKTO_TABLES.messages)
@Index('talkto_messages_retry_due_idx', [
  'overallStatus',
  'nextRetryAt',
  'id',
  'direction',
  'sourceService',
  'targetService',
])
@Index('talkto_messages_lease_idx', ['overallStatus', 'lockedUntil'])
@Index('talkto_messages_command_time_idx', ['command', 'createdAt'])
@Index('talkto_messages_service_time_idx', ['sourceService', 'targetService', 'createdAt'])
// Partial on PostgreSQL and SQLite (the migration's WHERE); whole on MySQL/MariaDB.
@Index('talkto_messages_correlation_time_idx', ['correlationId', 'createdAt'], {
  where: 'correlation_id IS NOT NULL',
})
@Index('talkto_messages_parent_message_id_idx', ['parentMessageId'], {
  where: 'parent_message_id IS NOT NULL',
})
@Index('talkto_messages_locked_at_idx', ['lockedAt'], { where: 'locked_at IS NOT NULL' })
@Index('talkto_messages_business_key_idx', ['businessKey'], { where: 'business_key IS NOT NULL' })
export class TalktoMessageEntity {
  @IdColumn(TALKTO_TABLES.messages)
  id!: number;

  @Index('talkto_messages_message_id_unique', { unique: true })
  @Column({ name: 'message_id', type: 'varchar', length: 100 })
  messageId!: string;

  @Column({ name: 'correlation_id', type: 'varchar', length: 100, nullable: true })
  correlationId!: string | null;

  @Column({ name: 'parent_message_id', type: 'varchar', length: 100, nullable: true })
  parentMessageId!: string | null;

  @Column({ name: 'direction', type: 'varchar', length: 30 })
  direction!: MessageDirection;

  @Column({ name: 'source_service', type: 'varchar', length: 80 })
  sourceService!: string;

  @Column({ name: 'target_service', type: 'varchar', length: 80 })
  targetService!: string;

  @Column({ name: 'command', type: 'varchar', length: 150 })
  command!: string;

  @Column({ name: 'business_key', type: 'varchar', length: 191, nullable: true })
  businessKey!: string | null;

  @Column({ name: 'idempotency_key', type: 'varchar', length: 191, nullable: true })
  idempotencyKey!: string | null;

  /** Unique; NULL (no idempotency key) may repeat on every supported engine. */
  @Index('talkto_messages_idempotency_fingerprint_unique', { unique: true })
  @Column({ name: 'idempotency_fingerprint', type: 'varchar', length: 64, nullable: true })
  idempotencyFingerprint!: string | null;

  /**
   * The frozen payload as body-JSON text from the protocol encoder, never a DB json type: the
   * PHP value model (64-bit ints, int vs float, key order, -0) must survive byte for byte.
   * The migration widens it to LONGTEXT on MySQL/MariaDB, where TEXT stops at 64 KiB.
   */
  @Column({ name: 'payload', type: 'text', nullable: true })
  payload!: string | null;

  @Column({ name: 'payload_hash', type: 'varchar', length: 100, nullable: true })
  payloadHash!: string | null;

  @Column({ name: 'schema_version', type: 'int', unsigned: true, default: 1 })
  schemaVersion!: number;

  @Column({ name: 'source_action_status', type: 'varchar', length: 80, nullable: true })
  sourceActionStatus!: string | null;

  @Column({ name: 'transport_status', type: 'varchar', length: 80, nullable: true })
  transportStatus!: string | null;

  @Column({ name: 'destination_receive_status', type: 'varchar', length: 80, nullable: true })
  destinationReceiveStatus!: string | null;

  @Column({ name: 'destination_action_status', type: 'varchar', length: 80, nullable: true })
  destinationActionStatus!: string | null;

  @Column({ name: 'overall_status', type: 'varchar', length: 80, default: 'created' })
  overallStatus!: string;

  @Column({ name: 'attempts', type: 'int', unsigned: true, default: 0 })
  attempts!: number;

  @Column({ name: 'retry_count', type: 'int', unsigned: true, default: 0 })
  retryCount!: number;

  @Column({ name: 'max_attempts', type: 'int', unsigned: true, default: 5 })
  maxAttempts!: number;

  @TimestampColumn('next_attempt_at')
  nextAttemptAt!: Date | null;

  @TimestampColumn('next_retry_at')
  nextRetryAt!: Date | null;

  @Column({ name: 'last_http_status', type: 'int', nullable: true })
  lastHttpStatus!: number | null;

  @Column({ name: 'last_error', type: 'text', nullable: true })
  lastError!: string | null;

  @Column({ name: 'last_response', type: 'text', nullable: true })
  lastResponse!: string | null;

  @Index('talkto_messages_sent_at_idx')
  @TimestampColumn('sent_at')
  sentAt!: Date | null;

  @TimestampColumn('received_at')
  receivedAt!: Date | null;

  @TimestampColumn('processing_started_at')
  processingStartedAt!: Date | null;

  @TimestampColumn('last_attempted_at')
  lastAttemptedAt!: Date | null;

  @TimestampColumn('completed_at')
  completedAt!: Date | null;

  @TimestampColumn('failed_at')
  failedAt!: Date | null;

  @TimestampColumn('locked_at')
  lockedAt!: Date | null;

  @Column({ name: 'locked_by', type: 'varchar', length: 100, nullable: true })
  lockedBy!: string | null;

  /**
   * Our addition to the PHP schema: the end of the current claim's lease. A worker that dies
   * leaves a row whose lease has run out, which the sweeper finds without guessing from locked_at.
   */
  @TimestampColumn('locked_until')
  lockedUntil!: Date | null;

  /** Our addition: the W3C `traceparent` the message travels with, so one trace spans both services. */
  @Column({ name: 'traceparent', type: 'varchar', length: 64, nullable: true })
  traceparent!: string | null;

  @Index('talkto_messages_created_at_idx')
  @TimestampColumn('created_at')
  createdAt!: Date | null;

  @TimestampColumn('updated_at')
  updatedAt!: Date | null;
}
