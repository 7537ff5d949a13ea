import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { DataSource } from 'typeorm';
import { WidenTalktoRetryDueIndex1767571200000 } from '../../lib/persistence/migrations/1767571200000-widen-talkto-retry-due-index.migration.js';
import { TALKTO_MIGRATIONS } from '../../lib/persistence/migrations/talkto.migrations.js';
import { TALKTO_TABLES } from '../../lib/persistence/persistence.constants.js';
import { createTestDatabase, DATABASE_KINDS, type TestDatabase } from '../support/databases.js';
import { indexNames, keyColumns } from '../support/index-catalogue.js';
import { installBefore } from '../support/migration-install.js';

const WIDEN = TALKTO_MIGRATIONS.indexOf(WidenTalktoRetryDueIndex1767571200000);
const INDEX = 'talkto_messages_retry_due_idx';
const KEY = ['overall_status', 'next_retry_at', 'id'];

/** An install on the trimmed schema, with due retries in it, moved forward, back and forward again. */
describe.each(DATABASE_KINDS)('the due-retry index migration on %s', (kind) => {
  let database: TestDatabase;
  let dataSource: DataSource;

  beforeAll(async () => {
    database = await createTestDatabase(kind);
    ({ dataSource } = await installBefore(
      database,
      WidenTalktoRetryDueIndex1767571200000,
      async (previous) => {
        for (let i = 0; i < 20; i++) {
          await previous.query(
            `INSERT INTO talkto_messages (message_id, direction, source_service, target_service, command, overall_status) VALUES ('m-${i}', 'outgoing', 'a', 'b${i % 2}', 'c', 'failed_retryable')`,
          );
        }
      },
    ));
  });

  afterAll(async () => {
    await dataSource?.destroy();
    await database?.drop();
  });

  it('carries direction and peers after the same key, keeps the rows, and reverts to the key alone', async () => {
    expect(await keyColumns(dataSource, kind, INDEX)).toEqual(KEY);
    const before = await indexNames(dataSource);
    const ran = await dataSource.runMigrations();
    expect(ran.map((migration) => migration.name)).toEqual(
      TALKTO_MIGRATIONS.slice(WIDEN).map((migration) => new migration().name),
    );
    expect(await keyColumns(dataSource, kind, INDEX)).toEqual([
      ...KEY,
      'direction',
      'source_service',
      'target_service',
    ]);
    expect(await indexNames(dataSource)).toEqual(before);
    // The entity declares the same index: schema sync handles it as it does an index left alone
    // (SQLite's sync rebuilds whole tables for unrelated column differences, and every index with them).
    const pending = (await dataSource.driver.createSchemaBuilder().log()).upQueries.map((q) => q.query);
    const touching = (index: string) =>
      pending.filter((query) => query.includes(`"${index}"`) || query.includes(`\`${index}\``));
    expect(touching(INDEX).length).toBe(touching('talkto_messages_lease_idx').length);
    const [row] = await dataSource.query(`SELECT COUNT(*) AS n FROM ${TALKTO_TABLES.messages}`);
    expect(Number(row.n)).toBe(20);

    for (let left = TALKTO_MIGRATIONS.length - WIDEN; left > 0; left--) {
      await dataSource.undoLastMigration();
    }
    expect(await keyColumns(dataSource, kind, INDEX)).toEqual(KEY);
    await dataSource.runMigrations();
    expect(await keyColumns(dataSource, kind, INDEX)).toHaveLength(6);
  });
});
