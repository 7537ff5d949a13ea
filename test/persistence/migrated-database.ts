import { DataSource, type DataSourceOptions } from 'typeorm';
import { TALKTO_ENTITIES } from '../../lib/persistence/entities/talkto.entities.js';
import { TALKTO_MIGRATIONS } from '../../lib/persistence/migrations/talkto.migrations.js';
import { createTestDatabase, type DatabaseKind } from '../support/databases.js';

export interface MigratedDatabase {
  dataSource: DataSource;
  /** Opens one more DataSource (its own pool) on the same database, e.g. a second "process". */
  connectAgain(): Promise<DataSource>;
  close(): Promise<void>;
}

/** A fresh database with the Talkto migrations applied. */
export async function openMigratedDatabase(kind: DatabaseKind): Promise<MigratedDatabase> {
  const database = await createTestDatabase(kind);
  const options = {
    ...database.options,
    entities: TALKTO_ENTITIES,
    migrations: TALKTO_MIGRATIONS,
  } as DataSourceOptions;
  const opened: DataSource[] = [];
  const connect = async (): Promise<DataSource> => {
    const dataSource = await new DataSource(options).initialize();
    opened.push(dataSource);
    return dataSource;
  };
  const dataSource = await connect();
  await dataSource.runMigrations();
  return {
    dataSource,
    connectAgain: connect,
    close: async () => {
      await Promise.all(opened.map((source) => source.destroy()));
      await database.drop();
    },
  };
}
