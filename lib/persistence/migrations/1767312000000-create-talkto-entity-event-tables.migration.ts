import { type MigrationInterface, type QueryRunner, Table, TableIndex } from 'typeorm';
import { TALKTO_ENTITY_EVENT_TABLES } from '../persistence.constants.js';
import { databaseFlavor } from './database-flavor.util.js';
import {
  createdUpdated,
  idColumn,
  payloadText,
  text,
  timestamp,
  unsignedInt,
  varchar,
} from './table-columns.util.js';

/**
 * Entity lifecycle events and their per-handler deliveries. Every index stays under the 1000-byte
 * utf8mb4 key budget: ordering uses a 64-character hash of entity name and key, not the two columns.
 */
export class CreateTalktoEntityEventTables1767312000000 implements MigrationInterface {
  name = 'CreateTalktoEntityEventTables1767312000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const flavor = databaseFlavor(queryRunner);
    const events = TALKTO_ENTITY_EVENT_TABLES.events;
    const deliveries = TALKTO_ENTITY_EVENT_TABLES.deliveries;
    // A plain reference, not a key: bigint everywhere, as the entity declares it.
    const bigId = { name: 'entity_event_id', type: 'bigint', isNullable: false };
    const tables = [
      new Table({
        name: events,
        columns: [
          idColumn(flavor),
          varchar('entity_name', 150, false),
          varchar('operation', 20, false),
          varchar('entity_key', 191, false),
          varchar('stream', 64, false),
          text('changed_columns'),
          payloadText('data', flavor),
          varchar('status', 30, false, 'pending'),
          unsignedInt('attempts', 0),
          timestamp('next_attempt_at', flavor),
          varchar('locked_by', 100),
          timestamp('locked_until', flavor),
          text('last_error'),
          timestamp('delivered_at', flavor),
          ...createdUpdated(flavor),
        ],
        indices: [
          new TableIndex({ name: `${events}_stream_idx`, columnNames: ['stream'] }),
          new TableIndex({ name: `${events}_due_idx`, columnNames: ['status', 'next_attempt_at'] }),
        ],
      }),
      new Table({
        name: deliveries,
        columns: [
          idColumn(flavor),
          bigId,
          varchar('handler', 191, false),
          varchar('status', 30, false, 'pending'),
          unsignedInt('attempts', 0),
          timestamp('next_attempt_at', flavor),
          text('last_error'),
          timestamp('completed_at', flavor),
          ...createdUpdated(flavor),
        ],
        indices: [
          new TableIndex({
            name: `${deliveries}_unique`,
            columnNames: ['entity_event_id', 'handler'],
            isUnique: true,
          }),
        ],
      }),
    ];
    for (const table of tables) {
      await queryRunner.createTable(table);
      if (flavor === 'mysql') {
        await queryRunner.query(
          `ALTER TABLE \`${table.name}\` CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`,
        );
      }
    }
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable(TALKTO_ENTITY_EVENT_TABLES.deliveries, true);
    await queryRunner.dropTable(TALKTO_ENTITY_EVENT_TABLES.events, true);
  }
}
