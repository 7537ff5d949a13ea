import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { QueryFailedError } from 'typeorm';
import { TALKTO_TABLES } from '../../lib/persistence/persistence.constants.js';
import { DATABASE_KINDS } from '../support/databases.js';
import { type MigratedDatabase, openMigratedDatabase } from './migrated-database.js';

describe.each(DATABASE_KINDS)('Talkto migrations on %s', (kind) => {
  let db: MigratedDatabase;

  beforeAll(async () => {
    db = await openMigratedDatabase(kind);
  });

  afterAll(async () => {
    await db?.close();
  });

  it('creates the five tables', async () => {
    const runner = db.dataSource.createQueryRunner();
    try {
      for (const table of Object.values(TALKTO_TABLES)) {
        expect(await runner.hasTable(table)).toBe(true);
      }
    } finally {
      await runner.release();
    }
  });

  // SQLite's builder would rebuild every table only because ids are INTEGER there (see below).
  (kind === 'sqlite' ? it.skip : it)('leaves nothing for the schema builder to change', async () => {
    const { upQueries } = await db.dataSource.driver.createSchemaBuilder().log();
    expect(upQueries.map((query) => query.query).filter((sql) => !isKnownDifference(sql))).toEqual([]);
  });

  it('creates every entity column with the declared type and nullability', async () => {
    const runner = db.dataSource.createQueryRunner();
    try {
      for (const metadata of db.dataSource.entityMetadatas) {
        const table = await runner.getTable(metadata.tableName);
        const actual = table!.columns.map((column) => [
          column.name,
          typeOf(kind, column.name, column.type),
          column.isNullable,
        ]);
        const declared = metadata.columns.map((column) => [
          column.databaseName,
          typeOf(kind, column.databaseName, db.dataSource.driver.normalizeType(column)),
          column.isNullable,
        ]);
        expect(sortRows(actual)).toEqual(sortRows(declared));
      }
    } finally {
      await runner.release();
    }
  });

  it('creates every index the entities declare, with the same columns and uniqueness', async () => {
    const runner = db.dataSource.createQueryRunner();
    try {
      for (const metadata of db.dataSource.entityMetadatas) {
        const table = await runner.getTable(metadata.tableName);
        // TypeORM's PostgreSQL loader lists an index's columns in table order, not key order; the
        // key order of the indexes that depend on it is checked in trim-indexes.migration.spec.ts.
        const actual = table!.indices.map((index) => [
          index.name,
          [...index.columnNames].sort().join(','),
          index.isUnique,
        ]);
        const declared = metadata.indices.map((index) => [
          index.name,
          index.columns
            .map((column) => column.databaseName)
            .sort()
            .join(','),
          index.isUnique,
        ]);
        expect(sortRows(actual)).toEqual(sortRows(declared));
      }
    } finally {
      await runner.release();
    }
  });

  it('rejects a second message with the same message_id', async () => {
    const insert = () =>
      db.dataSource.query(
        `INSERT INTO talkto_messages (message_id, direction, source_service, target_service, command) VALUES ('m-1', 'incoming', 'a', 'b', 'c')`,
      );
    await insert();
    await expect(insert()).rejects.toBeInstanceOf(QueryFailedError);
  });

  it('allows many NULL idempotency fingerprints but not two equal ones', async () => {
    const insert = (messageId: string, fingerprint: string | null) =>
      db.dataSource
        .createQueryBuilder()
        .insert()
        .into(TALKTO_TABLES.messages)
        .values({
          messageId,
          direction: 'incoming',
          sourceService: 'a',
          targetService: 'b',
          command: 'c',
          idempotencyFingerprint: fingerprint,
        })
        .execute();
    await insert('n-1', null);
    await insert('n-2', null);
    await insert('f-1', 'f'.repeat(64));
    await expect(insert('f-2', 'f'.repeat(64))).rejects.toBeInstanceOf(QueryFailedError);
  });

  it('keeps one dead letter per message id and per message row', async () => {
    const insert = (talktoMessageId: number, messageId: string) =>
      db.dataSource
        .createQueryBuilder()
        .insert()
        .into(TALKTO_TABLES.deadLetters)
        .values({ talktoMessageId, messageId })
        .execute();
    await insert(1, 'd-1');
    await expect(insert(1, 'd-2')).rejects.toBeInstanceOf(QueryFailedError);
    await expect(insert(2, 'd-1')).rejects.toBeInstanceOf(QueryFailedError);
  });

  it('reverts cleanly', async () => {
    const other = await openMigratedDatabase(kind);
    try {
      for (let left = other.dataSource.migrations.length; left > 0; left -= 1) {
        await other.dataSource.undoLastMigration();
      }
      const runner = other.dataSource.createQueryRunner();
      expect(await runner.hasTable(TALKTO_TABLES.messages)).toBe(false);
      await runner.release();
    } finally {
      await other.close();
    }
  });
});

/**
 * Deliberate differences between migration and entities: payload (and entity-event data) columns are LONGTEXT on
 * MySQL/MariaDB (TEXT stops at 64 KiB; the entity can only say text), and SQLite ids are INTEGER
 * (the only type SQLite autoincrements; the entity says bigint).
 */
function isKnownDifference(sql: string): boolean {
  return (
    /^ALTER TABLE `talkto_(messages|dead_letters)` (DROP COLUMN `payload`|ADD `payload` text NULL)$/.test(
      sql,
    ) || /^ALTER TABLE `talkto_entity_events` (DROP COLUMN `data`|ADD `data` text NULL)$/.test(sql)
  );
}

function typeOf(kind: string, column: string, type: string): string {
  if (kind === 'sqlite' && column === 'id') return 'id';
  if (kind === 'mariadb' && (column === 'payload' || column === 'data')) return 'payload';
  return type.toLowerCase();
}

function sortRows(rows: unknown[][]): string[] {
  return rows.map((row) => JSON.stringify(row)).sort();
}
