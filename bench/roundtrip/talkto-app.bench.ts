/**
 * Boots a real Talkto Nest app for the bench, as `test/support/talkto-app.ts` does, but on a bench
 * database (SQLite in WAL mode unless SQLITE_WAL=0) and with Express.
 */
import 'reflect-metadata';
import { type INestApplication, Module, type Provider } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import type { Logger } from 'typeorm';
import {
  TALKTO_ENTITIES,
  TALKTO_MIGRATIONS,
  TalktoModule,
  type TalktoModuleOptions,
} from '../../lib/index.js';
import type { DatabaseKind, TestDatabase } from '../../test/support/databases.js';
import { createBenchDatabase } from '../support/bench-database.util.js';

export interface BenchTalktoApp {
  app: INestApplication;
  url: string;
  close(): Promise<void>;
}

export async function startBenchTalktoApp(
  /** A kind gets a fresh database, dropped on close; a given database is left to its owner. */
  database: DatabaseKind | TestDatabase,
  port: number,
  talkto: TalktoModuleOptions,
  providers: Provider[] = [],
  /** A TypeORM logger, e.g. to capture the statements a page runs. */
  logger?: Logger,
): Promise<BenchTalktoApp> {
  const owned = typeof database === 'string';
  const db = owned ? await createBenchDatabase(database) : database;

  @Module({
    imports: [
      TypeOrmModule.forRoot({
        ...db.options,
        entities: TALKTO_ENTITIES,
        migrations: TALKTO_MIGRATIONS,
        migrationsRun: true,
        synchronize: false,
        logging: logger !== undefined,
        logger,
      } as Parameters<typeof TypeOrmModule.forRoot>[0]),
      TalktoModule.forRoot(talkto),
    ],
    providers,
  })
  class BenchAppModule {}

  const app = await NestFactory.create(BenchAppModule, { rawBody: true, logger: false });
  await app.listen(port, '127.0.0.1');
  return {
    app,
    url: `http://127.0.0.1:${port}`,
    close: async () => {
      await app.close();
      if (owned) await db.drop();
    },
  };
}
