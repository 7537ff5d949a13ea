import { DataSource, type DataSourceOptions } from 'typeorm';
import { TALKTO_ENTITIES } from '../../lib/persistence/entities/talkto.entities.js';
import { TALKTO_MIGRATIONS } from '../../lib/persistence/migrations/talkto.migrations.js';
import type { TestDatabase } from './databases.js';

/**
 * An install as it stood before `migration`, with rows `seed` writes into it, then opened again
 * with every migration known and none of the newer ones run: what an upgrade finds.
 */
export async function installBefore<T>(
  database: TestDatabase,
  migration: (typeof TALKTO_MIGRATIONS)[number],
  seed: (previous: DataSource) => Promise<T>,
): Promise<{ dataSource: DataSource; seeded: T }> {
  const previous = await new DataSource({
    ...database.options,
    migrations: TALKTO_MIGRATIONS.slice(0, TALKTO_MIGRATIONS.indexOf(migration)),
  } as DataSourceOptions).initialize();
  let seeded: T;
  try {
    await previous.runMigrations();
    seeded = await seed(previous);
  } finally {
    await previous.destroy();
  }
  const dataSource = await new DataSource({
    ...database.options,
    entities: TALKTO_ENTITIES,
    migrations: TALKTO_MIGRATIONS,
  } as DataSourceOptions).initialize();
  return { dataSource, seeded };
}
