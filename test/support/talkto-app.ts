import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import {
  type DynamicModule,
  type INestApplication,
  type LoggerService,
  Module,
  type Provider,
  type Type,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { TypeOrmModule, type TypeOrmModuleOptions } from '@nestjs/typeorm';
import { DataSource, type DataSourceOptions } from 'typeorm';
import {
  TALKTO_ENTITIES,
  TALKTO_MIGRATIONS,
  TalktoModule,
  type TalktoModuleOptions,
} from '../../lib/index.js';
import { createTestDatabase, type DatabaseKind, type ManagedTestDatabase } from './databases.js';

export type HttpAdapterKind = 'express' | 'fastify';
export type QueueKind = 'in-process' | 'bull' | 'bullmq';

export interface TalktoAppSpec {
  database: DatabaseKind;
  queue: QueueKind;
  adapter: HttpAdapterKind;
  port: number;
  talkto: TalktoModuleOptions;
  /** Handlers and anything they need. */
  providers?: Provider[];
  /** Host entities besides the Talkto ones; create their tables yourself (no synchronize). */
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  entities?: Function[];
  /** Host controllers and the modules they need (e.g. a terminus health route). */
  controllers?: Type<unknown>[];
  imports?: Array<Type<unknown> | DynamicModule>;
  /** Nest's body parsers (default `true`). */
  bodyParser?: boolean;
  /** Nest keeps the raw body for its parsers (default `true`, as the getting-started guide says). */
  rawBody?: boolean;
  /** Replaces `TalktoModule.forRoot({ queue, ...talkto })`, e.g. with a `forRootAsync`. */
  talktoModule?: DynamicModule;
  /** Registers entities the Nest way (`autoLoadEntities: true`, no entity list) instead of listing them. */
  autoLoadEntities?: boolean;
  /** Nest's logger for the app (default none). Nest's logger is process-wide: the last app's wins. */
  logger?: LoggerService;
  /** What the host does to its app before `listen`: a global prefix, global filters, pipes. */
  prepare?: (app: INestApplication) => void;
}

export interface RunningTalktoApp {
  app: INestApplication;
  url: string;
  dataSource: DataSource;
  close(): Promise<void>;
}

/**
 * The host's `TypeOrmModule` over a test database, with the DataSource opened by the database:
 * its `drop` then closes it even when the app failed to boot before or while it opened.
 */
export function testTypeOrmModule(
  database: ManagedTestDatabase,
  { name, ...options }: { name?: string } & Record<string, unknown>,
): DynamicModule {
  return TypeOrmModule.forRootAsync({
    name,
    useFactory: () => ({ ...database.options, ...options }) as TypeOrmModuleOptions,
    dataSourceFactory: (resolved) => database.openDataSource(resolved as DataSourceOptions),
  });
}

/** Boots a real Nest app on 127.0.0.1 with its own fresh database, the Talkto tables migrated. */
export async function startTalktoApp(spec: TalktoAppSpec): Promise<RunningTalktoApp> {
  const database = await createTestDatabase(spec.database);
  const queue: TalktoModuleOptions['queue'] =
    spec.queue === 'in-process'
      ? { driver: 'in-process' }
      : {
          driver: spec.queue,
          redis: 'redis://127.0.0.1:6379',
          prefix: `talkto-test-${randomBytes(4).toString('hex')}`,
        };

  @Module({
    imports: [
      testTypeOrmModule(database, {
        ...(spec.autoLoadEntities
          ? { autoLoadEntities: true, entities: spec.entities ?? [] }
          : { entities: [...TALKTO_ENTITIES, ...(spec.entities ?? [])] }),
        migrations: TALKTO_MIGRATIONS,
        migrationsRun: true,
        synchronize: false,
        logging: false,
      }),
      spec.talktoModule ?? TalktoModule.forRoot({ queue, ...spec.talkto }),
      ...(spec.imports ?? []),
    ],
    controllers: spec.controllers ?? [],
    providers: spec.providers ?? [],
  })
  class TestAppModule {}

  const appOptions = {
    rawBody: spec.rawBody ?? true,
    logger: spec.logger ?? (false as const),
    bodyParser: spec.bodyParser ?? true,
    // A boot error reaches the test as a rejection instead of ending the Jest worker.
    abortOnError: false,
  };
  let app: INestApplication | undefined;
  try {
    app =
      spec.adapter === 'fastify'
        ? await NestFactory.create(TestAppModule, new FastifyAdapter(), appOptions)
        : await NestFactory.create(TestAppModule, appOptions);
    app.enableShutdownHooks();
    spec.prepare?.(app);
    await app.listen(spec.port, '127.0.0.1');
  } catch (error) {
    await app?.close();
    await database.drop();
    throw error;
  }
  const dataSource = app.get(DataSource);
  return {
    app,
    url: `http://127.0.0.1:${spec.port}`,
    dataSource,
    close: async () => {
      await app.close();
      await database.drop();
    },
  };
}
