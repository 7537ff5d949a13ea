import 'reflect-metadata';
import { Module, type Provider } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import {
  FixedTalktoClock,
  TALKTO_ENTITIES,
  TALKTO_MIGRATIONS,
  TalktoModule,
  type TalktoModuleOptions,
} from '../../lib/index.js';
import { createTestDatabase, type DatabaseKind } from '../support/databases.js';

export const T0 = new Date('2026-05-01T10:00:00.000Z');

export interface ReliabilityContext {
  module: TestingModule;
  dataSource: DataSource;
  clock: FixedTalktoClock;
  close(): Promise<void>;
}

/**
 * A Talkto module on a fresh migrated database, without HTTP: tests drive the pipelines, the
 * sweeper and the operator services directly. The sweeper timer is off; call `sweep()`.
 */
export async function startReliabilityContext(
  kind: DatabaseKind,
  talkto: Partial<TalktoModuleOptions> = {},
  providers: Provider[] = [],
): Promise<ReliabilityContext> {
  const database = await createTestDatabase(kind);
  const clock = new FixedTalktoClock(T0);
  @Module({
    imports: [
      TypeOrmModule.forRoot({
        ...database.options,
        entities: TALKTO_ENTITIES,
        migrations: TALKTO_MIGRATIONS,
        migrationsRun: true,
        logging: false,
      } as Parameters<typeof TypeOrmModule.forRoot>[0]),
      TalktoModule.forRoot({
        service: 'billing',
        clock,
        routes: { enabled: false },
        sweeper: { enabled: false },
        incoming: { orders: { secret: 'orders-secret', allowAllCommands: true } },
        outgoing: { ledger: { baseUrl: 'http://127.0.0.1:9', secret: 'ledger-secret' } },
        ...talkto,
      }),
    ],
    providers,
  })
  class ReliabilityTestModule {}
  const module = await Test.createTestingModule({ imports: [ReliabilityTestModule] }).compile();
  module.useLogger(false);
  await module.init();
  return {
    module,
    dataSource: module.get(DataSource),
    clock,
    close: async () => {
      await module.close();
      await database.drop();
    },
  };
}
