import { type MigrationInterface, type QueryRunner, TableColumn } from 'typeorm';
import { TALKTO_TABLES } from '../persistence.constants.js';
import { varchar } from './table-columns.util.js';

/** W3C `traceparent` of the trace a message belongs to, carried across services (55 characters today). */
export class AddTalktoTraceparent1767398400000 implements MigrationInterface {
  name = 'AddTalktoTraceparent1767398400000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.addColumn(TALKTO_TABLES.messages, new TableColumn(varchar('traceparent', 64)));
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropColumn(TALKTO_TABLES.messages, 'traceparent');
  }
}
