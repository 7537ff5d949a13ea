/** PostgreSQL databases of the scale bench, named `scale_…` so a leftover is recognisable. */
import { randomBytes } from 'node:crypto';
import { DataSource, type DataSourceOptions } from 'typeorm';
import type { TestDatabase } from '../../test/support/databases.js';

const SERVER = { type: 'postgres', host: '127.0.0.1', port: 5432, username: 'postgres' } as const;

async function admin(sql: string): Promise<void> {
  const source = new DataSource({ ...SERVER, database: 'test', poolSize: 1 } as DataSourceOptions);
  await source.initialize();
  try {
    await source.query(sql);
  } finally {
    await source.destroy();
  }
}

/** A fresh, empty database; `drop()` ends its sessions and removes it. */
export async function createScaleDatabase(role: string): Promise<TestDatabase> {
  const name = `scale_${role}_${process.pid}_${randomBytes(4).toString('hex')}`;
  await admin(`CREATE DATABASE "${name}"`);
  return {
    options: { ...SERVER, database: name },
    drop: () => admin(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`),
  };
}
