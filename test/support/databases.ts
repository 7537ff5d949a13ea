import { randomBytes } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource, type DataSourceOptions } from 'typeorm';

export type DatabaseKind = 'sqlite' | 'postgres' | 'mariadb';

export const DATABASE_KINDS: readonly DatabaseKind[] = ['sqlite', 'postgres', 'mariadb'];

export interface TestDatabase {
  /** Connection options for a fresh, empty database; add `entities`/`migrations` yourself. */
  options: DataSourceOptions;
  /** Removes the database. Close your DataSources first. */
  drop(): Promise<void>;
}

/** A test database whose `drop` first closes the DataSources it opened. */
export interface ManagedTestDatabase extends TestDatabase {
  /**
   * Opens a DataSource that `drop` closes, waiting for it if it is still opening: an app that
   * failed to boot never closes its DataSource, and may open it after the test has moved on.
   */
  openDataSource(options: DataSourceOptions): Promise<DataSource>;
}

/** Where a database lives and how to remove it. */
interface Storage {
  options: DataSourceOptions;
  remove(): Promise<void>;
}

const HOST = '127.0.0.1';

const NAME_PREFIX = `talkto_test_${process.pid}_`;

/** Creates a uniquely named empty database so parallel workers and suites never share tables. */
export async function createTestDatabase(kind: DatabaseKind): Promise<ManagedTestDatabase> {
  const name = `${NAME_PREFIX}${randomBytes(6).toString('hex')}`;
  const storage = await createStorage(kind, name);
  const opened: Array<Promise<DataSource>> = [];
  return {
    options: storage.options,
    openDataSource: (options) => {
      const dataSource = new DataSource(options).initialize();
      opened.push(dataSource);
      return dataSource;
    },
    drop: async () => {
      for (const result of await Promise.allSettled(opened)) {
        if (result.status === 'fulfilled' && result.value.isInitialized) await result.value.destroy();
      }
      await storage.remove();
    },
  };
}

/** This process's SQLite test database files in the temporary folder, to check none is left behind. */
export function sqliteTestFiles(): string[] {
  return readdirSync(tmpdir()).filter((file) => file.startsWith(NAME_PREFIX));
}

function createStorage(kind: DatabaseKind, name: string): Promise<Storage> | Storage {
  switch (kind) {
    case 'sqlite':
      return createSqlite(name);
    case 'postgres':
      return createPostgres(name);
    case 'mariadb':
      return createMariadb(name);
  }
}

function createSqlite(name: string): Storage {
  const file = join(tmpdir(), `${name}.sqlite`);
  return {
    options: { type: 'better-sqlite3', database: file },
    remove: async () => {
      await Promise.all(['', '-wal', '-shm', '-journal'].map((suffix) => rm(file + suffix, { force: true })));
    },
  };
}

async function createPostgres(name: string): Promise<Storage> {
  const server = { type: 'postgres', host: HOST, port: 5432, username: 'postgres' } as const;
  await runAdminQuery({ ...server, database: 'test' }, `CREATE DATABASE "${name}"`);
  return {
    options: { ...server, database: name },
    // FORCE ends sessions a test forgot to close, so a failed suite cannot leave the database behind.
    remove: () =>
      runAdminQuery({ ...server, database: 'test' }, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`),
  };
}

async function createMariadb(name: string): Promise<Storage> {
  const server = { type: 'mariadb', host: HOST, port: 3306, username: 'root', password: '' } as const;
  await runAdminQuery(server, `CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  return {
    // timezone 'Z' keeps DATETIME values in UTC whatever the machine's zone is.
    options: { ...server, database: name, timezone: 'Z' },
    remove: () => runAdminQuery(server, `DROP DATABASE IF EXISTS \`${name}\``),
  };
}

/** A short-lived single connection on the server's admin database, used only to create or drop. */
async function runAdminQuery(options: DataSourceOptions, sql: string): Promise<void> {
  const admin = new DataSource({ ...options, poolSize: 1 } as DataSourceOptions);
  await admin.initialize();
  try {
    await admin.query(sql);
  } finally {
    await admin.destroy();
  }
}
