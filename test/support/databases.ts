import { randomBytes } from 'node:crypto';
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

const HOST = '127.0.0.1';

/** Creates a uniquely named empty database so parallel workers and suites never share tables. */
export async function createTestDatabase(kind: DatabaseKind): Promise<TestDatabase> {
  const name = `talkto_test_${process.pid}_${randomBytes(6).toString('hex')}`;
  switch (kind) {
    case 'sqlite':
      return createSqlite(name);
    case 'postgres':
      return createPostgres(name);
    case 'mariadb':
      return createMariadb(name);
  }
}

function createSqlite(name: string): TestDatabase {
  const file = join(tmpdir(), `${name}.sqlite`);
  return {
    options: { type: 'better-sqlite3', database: file },
    drop: async () => {
      await Promise.all(['', '-wal', '-shm', '-journal'].map((suffix) => rm(file + suffix, { force: true })));
    },
  };
}

async function createPostgres(name: string): Promise<TestDatabase> {
  const server = { type: 'postgres', host: HOST, port: 5432, username: 'postgres' } as const;
  await runAdminQuery({ ...server, database: 'test' }, `CREATE DATABASE "${name}"`);
  return {
    options: { ...server, database: name },
    // FORCE ends sessions a test forgot to close, so a failed suite cannot leave the database behind.
    drop: () =>
      runAdminQuery({ ...server, database: 'test' }, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`),
  };
}

async function createMariadb(name: string): Promise<TestDatabase> {
  const server = { type: 'mariadb', host: HOST, port: 3306, username: 'root', password: '' } as const;
  await runAdminQuery(server, `CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  return {
    // timezone 'Z' keeps DATETIME values in UTC whatever the machine's zone is.
    options: { ...server, database: name, timezone: 'Z' },
    drop: () => runAdminQuery(server, `DROP DATABASE IF EXISTS \`${name}\``),
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
