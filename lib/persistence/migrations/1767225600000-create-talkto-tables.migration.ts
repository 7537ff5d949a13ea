import {
  type MigrationInterface,
  type QueryRunner,
  Table,
  type TableColumnOptions,
  TableIndex,
} from 'typeorm';
import { TALKTO_TABLES } from '../persistence.constants.js';
import { databaseFlavor } from './database-flavor.util.js';
import {
  createdUpdated,
  type DatabaseFlavor,
  idColumn,
  nullableBigint,
  nullableInt,
  payloadText,
  text,
  timestamp,
  unsignedInt,
  varchar,
} from './table-columns.util.js';

/**
 * The five Talkto tables (BEHAVIOR §1) on SQLite, PostgreSQL and MySQL/MariaDB. Index names carry
 * their table name because PostgreSQL and SQLite scope index names per schema; every composite key
 * stays under 1000 bytes in utf8mb4.
 */
export class CreateTalktoTables1767225600000 implements MigrationInterface {
  name = 'CreateTalktoTables1767225600000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const flavor = databaseFlavor(queryRunner);
    for (const spec of [
      messages(flavor),
      attempts(flavor),
      events(flavor),
      deadLetters(flavor),
      nonces(flavor),
    ]) {
      const indices = spec.indexes.map(
        ([name, columnNames, unique]) => new TableIndex({ name, columnNames, isUnique: unique === 'unique' }),
      );
      await queryRunner.createTable(new Table({ name: spec.name, columns: spec.columns, indices }));
      if (flavor === 'mysql') {
        // Whatever the server default, identifiers and payloads need full Unicode.
        await queryRunner.query(
          `ALTER TABLE \`${spec.name}\` CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`,
        );
      }
    }
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const table of Object.values(TALKTO_TABLES).reverse()) {
      await queryRunner.dropTable(table, true);
    }
  }
}

interface TableSpec {
  name: string;
  columns: TableColumnOptions[];
  indexes: Array<[name: string, columns: string[], unique?: 'unique']>;
}

function messages(flavor: DatabaseFlavor): TableSpec {
  const t = TALKTO_TABLES.messages;
  return {
    name: t,
    columns: [
      idColumn(flavor),
      varchar('message_id', 100, false),
      varchar('correlation_id', 100),
      varchar('parent_message_id', 100),
      varchar('direction', 30, false),
      varchar('source_service', 80, false),
      varchar('target_service', 80, false),
      varchar('command', 150, false),
      varchar('business_key', 191),
      varchar('idempotency_key', 191),
      varchar('idempotency_fingerprint', 64),
      payloadText('payload', flavor),
      varchar('payload_hash', 100),
      unsignedInt('schema_version', 1),
      varchar('source_action_status', 80),
      varchar('transport_status', 80),
      varchar('destination_receive_status', 80),
      varchar('destination_action_status', 80),
      varchar('overall_status', 80, false, 'created'),
      unsignedInt('attempts', 0),
      unsignedInt('retry_count', 0),
      unsignedInt('max_attempts', 5),
      timestamp('next_attempt_at', flavor),
      timestamp('next_retry_at', flavor),
      nullableInt('last_http_status'),
      text('last_error'),
      text('last_response'),
      timestamp('sent_at', flavor),
      timestamp('received_at', flavor),
      timestamp('processing_started_at', flavor),
      timestamp('last_attempted_at', flavor),
      timestamp('completed_at', flavor),
      timestamp('failed_at', flavor),
      timestamp('locked_at', flavor),
      varchar('locked_by', 100),
      timestamp('locked_until', flavor),
      ...createdUpdated(flavor),
    ],
    indexes: [
      [`${t}_message_id_unique`, ['message_id'], 'unique'],
      [`${t}_idempotency_fingerprint_unique`, ['idempotency_fingerprint'], 'unique'],
      ...single(t, [
        'correlation_id',
        'parent_message_id',
        'direction',
        'command',
        'business_key',
        'idempotency_key',
        'source_action_status',
        'transport_status',
        'destination_receive_status',
        'destination_action_status',
        'overall_status',
        'next_attempt_at',
        'next_retry_at',
        'sent_at',
        'failed_at',
        'created_at',
      ]),
      [`${t}_source_target_idx`, ['source_service', 'target_service']],
      [`${t}_retry_lookup_idx`, ['direction', 'overall_status', 'next_retry_at']],
      [`${t}_target_status_idx`, ['direction', 'target_service', 'overall_status']],
      [`${t}_service_time_idx`, ['source_service', 'target_service', 'created_at']],
      [`${t}_command_time_idx`, ['command', 'created_at']],
      [`${t}_correlation_time_idx`, ['correlation_id', 'created_at']],
      [`${t}_lease_idx`, ['overall_status', 'locked_until']],
    ],
  };
}

function attempts(flavor: DatabaseFlavor): TableSpec {
  const t = TALKTO_TABLES.attempts;
  return {
    name: t,
    columns: [
      idColumn(flavor),
      nullableBigint('talkto_message_id'),
      varchar('message_id', 100),
      varchar('stage', 80, false),
      unsignedInt('attempt_no', 1),
      varchar('status', 80, false),
      nullableInt('http_status'),
      varchar('error_class', 191),
      text('error_message'),
      text('request_excerpt'),
      text('response_excerpt'),
      unsignedInt('duration_ms'),
      text('meta'),
      ...createdUpdated(flavor),
    ],
    indexes: single(t, ['talkto_message_id', 'message_id', 'stage', 'status', 'created_at']),
  };
}

function events(flavor: DatabaseFlavor): TableSpec {
  const t = TALKTO_TABLES.events;
  return {
    name: t,
    columns: [
      idColumn(flavor),
      nullableBigint('talkto_message_id'),
      varchar('message_id', 100),
      varchar('service_name', 80, false),
      varchar('event_type', 100, false),
      varchar('old_status', 80),
      varchar('new_status', 80),
      text('meta'),
      timestamp('reported_to_central_at', flavor),
      ...createdUpdated(flavor),
    ],
    indexes: single(t, [
      'talkto_message_id',
      'message_id',
      'service_name',
      'event_type',
      'reported_to_central_at',
      'created_at',
    ]),
  };
}

function deadLetters(flavor: DatabaseFlavor): TableSpec {
  const t = TALKTO_TABLES.deadLetters;
  return {
    name: t,
    columns: [
      idColumn(flavor),
      nullableBigint('talkto_message_id'),
      varchar('message_id', 100),
      varchar('direction', 30),
      varchar('source', 80),
      varchar('target', 80),
      varchar('command', 150),
      payloadText('payload', flavor),
      text('headers'),
      text('failure_reason'),
      varchar('exception_class', 191),
      text('exception_message'),
      varchar('failed_status', 80),
      unsignedInt('original_retry_count', 0),
      unsignedInt('reprocess_count', 0),
      timestamp('reprocessed_at', flavor),
      varchar('status', 40, false, 'open'),
      ...createdUpdated(flavor),
    ],
    indexes: [
      [`${t}_talkto_message_id_unique`, ['talkto_message_id'], 'unique'],
      [`${t}_message_id_unique`, ['message_id'], 'unique'],
      ...single(t, ['direction', 'reprocessed_at', 'status', 'created_at']),
    ],
  };
}

function nonces(flavor: DatabaseFlavor): TableSpec {
  const t = TALKTO_TABLES.nonces;
  return {
    name: t,
    columns: [
      idColumn(flavor),
      varchar('nonce_hash', 64, false),
      varchar('source_service', 80, false),
      varchar('target_service', 80, false),
      varchar('message_id', 100),
      varchar('signature_version', 10, false, 'v2'),
      varchar('signed_timestamp', 191),
      timestamp('used_at', flavor),
      timestamp('expires_at', flavor),
      ...createdUpdated(flavor),
    ],
    indexes: [
      [`${t}_nonce_hash_unique`, ['nonce_hash'], 'unique'],
      ...single(t, ['source_service', 'target_service', 'message_id', 'used_at', 'expires_at']),
    ],
  };
}

/** One plain index per column, named `<table>_<column>_idx`. */
function single(table: string, columns: string[]): TableSpec['indexes'] {
  return columns.map((column) => [`${table}_${column}_idx`, [column]]);
}
