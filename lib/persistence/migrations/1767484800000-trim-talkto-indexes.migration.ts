import { type MigrationInterface, type QueryRunner, TableIndex } from 'typeorm';
import { TALKTO_TABLES } from '../persistence.constants.js';
import { databaseFlavor } from './database-flavor.util.js';

type IndexSpec = [name: string, columns: string[], where?: string];

const M = TALKTO_TABLES.messages;

/**
 * Indexes no query of the library reads (docs/indexes.md lists every query and the index it
 * uses). Each one cost a B-tree write on every insert and every non-HOT status update.
 */
const UNREAD: Array<[table: string, IndexSpec[]]> = [
  [
    M,
    [
      ...single(M, [
        'correlation_id',
        'direction',
        'command',
        'idempotency_key',
        'source_action_status',
        'transport_status',
        'destination_receive_status',
        'destination_action_status',
        'overall_status',
        'next_attempt_at',
        'next_retry_at',
        'failed_at',
      ]),
      [`${M}_source_target_idx`, ['source_service', 'target_service']],
      [`${M}_retry_lookup_idx`, ['direction', 'overall_status', 'next_retry_at']],
      [`${M}_target_status_idx`, ['direction', 'target_service', 'overall_status']],
    ],
  ],
  [TALKTO_TABLES.attempts, single(TALKTO_TABLES.attempts, ['stage', 'status'])],
  [
    TALKTO_TABLES.events,
    single(TALKTO_TABLES.events, ['service_name', 'event_type', 'reported_to_central_at']),
  ],
  [TALKTO_TABLES.deadLetters, single(TALKTO_TABLES.deadLetters, ['direction', 'reprocessed_at'])],
  [
    TALKTO_TABLES.nonces,
    single(TALKTO_TABLES.nonces, ['source_service', 'target_service', 'message_id', 'used_at', 'expires_at']),
  ],
];

const ADDED: IndexSpec[] = [
  // Due retries, oldest first (sweeper, backlog gauge, health probe, panel); `id` last because
  // the sweeper orders by (next_retry_at, id) and should read only its batch.
  [`${M}_retry_due_idx`, ['overall_status', 'next_retry_at', 'id']],
  // Operator stale recovery; only claimed rows carry a lock time.
  [`${M}_locked_at_idx`, ['locked_at'], 'locked_at IS NOT NULL'],
];

/** Kept, but most rows leave the column NULL: partial where the engine has partial indexes. */
const MADE_PARTIAL: IndexSpec[] = [
  [`${M}_parent_message_id_idx`, ['parent_message_id'], 'parent_message_id IS NOT NULL'],
  [`${M}_correlation_time_idx`, ['correlation_id', 'created_at'], 'correlation_id IS NOT NULL'],
  [`${M}_business_key_idx`, ['business_key'], 'business_key IS NOT NULL'],
];

/**
 * Every index earns its place: drops the indexes no query reads, adds the due-retry and
 * lock-time indexes, and makes the sparse ones partial on PostgreSQL and SQLite (MySQL and
 * MariaDB have no partial indexes; there they stay whole).
 */
export class TrimTalktoIndexes1767484800000 implements MigrationInterface {
  name = 'TrimTalktoIndexes1767484800000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const partial = databaseFlavor(queryRunner) !== 'mysql';
    for (const [table, indexes] of UNREAD) {
      for (const [name] of indexes) {
        await queryRunner.dropIndex(table, name);
      }
    }
    for (const spec of ADDED) {
      await queryRunner.createIndex(M, tableIndex(spec, partial));
    }
    if (partial) {
      for (const spec of MADE_PARTIAL) {
        await queryRunner.dropIndex(M, spec[0]);
        await queryRunner.createIndex(M, tableIndex(spec, true));
      }
    }
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const partial = databaseFlavor(queryRunner) !== 'mysql';
    if (partial) {
      for (const spec of MADE_PARTIAL) {
        await queryRunner.dropIndex(M, spec[0]);
        await queryRunner.createIndex(M, tableIndex(spec, false));
      }
    }
    for (const [name] of ADDED) {
      await queryRunner.dropIndex(M, name);
    }
    for (const [table, indexes] of UNREAD) {
      for (const spec of indexes) {
        await queryRunner.createIndex(table, tableIndex(spec, false));
      }
    }
  }
}

function tableIndex([name, columnNames, where]: IndexSpec, partial: boolean): TableIndex {
  return new TableIndex({ name, columnNames, where: partial ? where : undefined });
}

/** One plain index per column, named `<table>_<column>_idx`, as the first migration made them. */
function single(table: string, columns: string[]): IndexSpec[] {
  return columns.map((column) => [`${table}_${column}_idx`, [column]]);
}
