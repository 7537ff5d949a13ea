import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { TalktoQueueOptions } from 'nestjs-talkto';
import { DataSource, type DataSourceOptions } from 'typeorm';

/**
 * Where the sample keeps its data. Default: one SQLite file per service and the in-process queue,
 * so it runs on a fresh machine with nothing else installed. `SAMPLE_DB=postgres` and
 * `SAMPLE_QUEUE=bull` switch to PostgreSQL and Redis/Bull on 127.0.0.1.
 */
export const SAMPLE = {
  inventoryPort: Number(process.env.INVENTORY_PORT ?? 3101),
  websitePort: Number(process.env.WEBSITE_PORT ?? 3102),
  // Sample secrets only: real ones come from your secret store, one per direction.
  websiteToInventorySecret: 'sample-website-to-inventory-secret-7f3a9c2e51',
  inventoryToWebsiteSecret: 'sample-inventory-to-website-secret-4b8d1e6f02',
  database: process.env.SAMPLE_DB === 'postgres' ? 'postgres' : 'sqlite',
  queue: process.env.SAMPLE_QUEUE === 'bull' ? 'bull' : 'in-process',
} as const;

const DATA_DIR = join(process.cwd(), 'sample', '.data');

const POSTGRES_SERVER = {
  type: 'postgres',
  host: process.env.PGHOST ?? '127.0.0.1',
  port: Number(process.env.PGPORT ?? 5432),
  username: process.env.PGUSER ?? 'postgres',
} as const;

/** Starts from empty storage so every run tells the same story. */
export async function resetSampleData(services: string[]): Promise<void> {
  if (SAMPLE.database === 'sqlite') {
    rmSync(DATA_DIR, { recursive: true, force: true });
    mkdirSync(DATA_DIR, { recursive: true });
    return;
  }
  const admin = await new DataSource({
    ...POSTGRES_SERVER,
    database: process.env.PGDATABASE ?? 'test',
  }).initialize();
  try {
    for (const service of services) {
      await admin.query(`DROP DATABASE IF EXISTS "talkto_sample_${service}" WITH (FORCE)`);
      await admin.query(`CREATE DATABASE "talkto_sample_${service}"`);
    }
  } finally {
    await admin.destroy();
  }
}

export function sampleDatabase(service: string): DataSourceOptions {
  if (SAMPLE.database === 'postgres') {
    return { ...POSTGRES_SERVER, database: `talkto_sample_${service}` };
  }
  return { type: 'better-sqlite3', database: join(DATA_DIR, `${service}.sqlite`) };
}

export function sampleQueue(service: string): TalktoQueueOptions {
  return SAMPLE.queue === 'bull'
    ? {
        driver: 'bull',
        redis: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
        prefix: `talkto-sample-${service}`,
      }
    : { driver: 'in-process' };
}
