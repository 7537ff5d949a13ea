import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { DataSource } from 'typeorm';
import { TrimTalktoIndexes1767484800000 } from '../../lib/persistence/migrations/1767484800000-trim-talkto-indexes.migration.js';
import { TALKTO_MIGRATIONS } from '../../lib/persistence/migrations/talkto.migrations.js';
import { TALKTO_TABLES } from '../../lib/persistence/persistence.constants.js';
import { createTestDatabase, DATABASE_KINDS, type TestDatabase } from '../support/databases.js';
import { indexDefinitions, indexNames, keyColumns } from '../support/index-catalogue.js';
import { installBefore } from '../support/migration-install.js';

const TRIM = TALKTO_MIGRATIONS.indexOf(TrimTalktoIndexes1767484800000);
const MESSAGE_ROWS = 50;

/** An install on the schema before the index trim, with rows in it, moved forward and back. */
describe.each(DATABASE_KINDS)('the index trim migration on %s', (kind) => {
  let database: TestDatabase;
  let dataSource: DataSource;
  let before: Record<string, string[]>;

  beforeAll(async () => {
    database = await createTestDatabase(kind);
    ({ dataSource, seeded: before } = await installBefore(
      database,
      TrimTalktoIndexes1767484800000,
      async (previous) => {
        for (let i = 0; i < MESSAGE_ROWS; i++) {
          await previous.query(
            `INSERT INTO talkto_messages (message_id, correlation_id, parent_message_id, direction, source_service, target_service, command, overall_status) VALUES ('m-${i}', ${i % 2 ? `'c-${i}'` : 'NULL'}, NULL, 'outgoing', 'a', 'b', 'c', 'failed_retryable')`,
          );
          await previous.query(
            `INSERT INTO talkto_nonces (nonce_hash, source_service, target_service, message_id) VALUES ('${String(i).padStart(64, '0')}', 'a', 'b', 'm-${i}')`,
          );
        }
        return indexNames(previous);
      },
    ));
  });

  afterAll(async () => {
    await dataSource?.destroy();
    await database?.drop();
  });

  it('leaves exactly the indexes the entities declare, keeps the rows, and restores the old set on revert', async () => {
    const ran = await dataSource.runMigrations();
    expect(ran.map((migration) => migration.name)).toEqual(
      TALKTO_MIGRATIONS.slice(TRIM).map((migration) => new migration().name),
    );
    const declared = Object.fromEntries(
      dataSource.entityMetadatas.map((metadata) => [
        metadata.tableName,
        metadata.indices.map((index) => index.name!).sort(),
      ]),
    );
    const after = await indexNames(dataSource);
    expect(after).toEqual(Object.fromEntries(Object.keys(after).map((table) => [table, declared[table]])));
    expect(after[TALKTO_TABLES.messages].length).toBeLessThan(before[TALKTO_TABLES.messages].length);
    expect(await count(dataSource, TALKTO_TABLES.messages)).toBe(MESSAGE_ROWS);
    expect(await count(dataSource, TALKTO_TABLES.nonces)).toBe(MESSAGE_ROWS);

    for (let left = TALKTO_MIGRATIONS.length - TRIM; left > 0; left--) {
      await dataSource.undoLastMigration();
    }
    expect(await indexNames(dataSource)).toEqual(before);
    expect(await count(dataSource, TALKTO_TABLES.messages)).toBe(MESSAGE_ROWS);

    await dataSource.runMigrations();
    expect(await indexNames(dataSource)).toEqual(after);
  });

  it('keys the due-retry index by status, due time and id, in that order', async () => {
    const key = await keyColumns(dataSource, kind, 'talkto_messages_retry_due_idx');
    expect(key.slice(0, 3)).toEqual(['overall_status', 'next_retry_at', 'id']);
  });

  (kind === 'mariadb' ? it.skip : it)(
    'makes the sparse indexes partial where the engine has them',
    async () => {
      const definitions = await indexDefinitions(dataSource, kind);
      for (const [index, column] of [
        ['talkto_messages_locked_at_idx', 'locked_at'],
        ['talkto_messages_parent_message_id_idx', 'parent_message_id'],
        ['talkto_messages_correlation_time_idx', 'correlation_id'],
        ['talkto_messages_business_key_idx', 'business_key'],
      ]) {
        expect(definitions[index]).toMatch(new RegExp(`WHERE \\(?"?${column}"? IS NOT NULL`, 'i'));
      }
    },
  );
});

async function count(dataSource: DataSource, table: string): Promise<number> {
  const [row] = await dataSource.query(`SELECT COUNT(*) AS n FROM ${table}`);
  return Number(row.n);
}
