import { type MigrationInterface, type QueryRunner, TableIndex } from 'typeorm';
import { TALKTO_TABLES } from '../persistence.constants.js';

const M = TALKTO_TABLES.messages;
const NAME = `${M}_retry_due_idx`;
const KEY = ['overall_status', 'next_retry_at', 'id'];
/** Never changed after insert, so carrying them costs no index write a status change did not already make. */
const CARRIED = ['direction', 'source_service', 'target_service'];

/**
 * The due-retry index also carries the row's direction and peers, so the due-retry backlog per
 * peer (the panel's passive health and overview) is read from the index alone instead of one heap
 * read per due row. The key's first columns, and so every plan that used it, stay as they were.
 */
export class WidenTalktoRetryDueIndex1767571200000 implements MigrationInterface {
  name = 'WidenTalktoRetryDueIndex1767571200000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropIndex(M, NAME);
    await queryRunner.createIndex(M, new TableIndex({ name: NAME, columnNames: [...KEY, ...CARRIED] }));
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropIndex(M, NAME);
    await queryRunner.createIndex(M, new TableIndex({ name: NAME, columnNames: KEY }));
  }
}
