import { createTestDatabase, type DatabaseKind, type TestDatabase } from '../../test/support/databases.js';

/**
 * SQLite in WAL mode unless SQLITE_WAL=0: the setting a production SQLite host would use (TypeORM's
 * `enableWAL`), applied alike to the Talkto pair and the naive pair. In the default rollback-journal
 * mode every commit costs several fsyncs, and Talkto commits several times per message.
 */
export const SQLITE_WAL = process.env.SQLITE_WAL !== '0';

/** A fresh, uniquely named database for one bench app (dropped by `drop()`). */
export async function createBenchDatabase(kind: DatabaseKind): Promise<TestDatabase> {
  const database = await createTestDatabase(kind);
  return kind === 'sqlite' && SQLITE_WAL
    ? { ...database, options: { ...database.options, enableWAL: true } as TestDatabase['options'] }
    : database;
}
