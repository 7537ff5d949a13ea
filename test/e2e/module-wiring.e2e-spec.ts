import { describe, expect, it } from '@jest/globals';
import { type DynamicModule, type INestApplication, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { getDataSourceToken } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import {
  TALKTO_MIGRATIONS,
  TalktoConfigurationError,
  TalktoModule,
  type TalktoModuleOptions,
} from '../../lib/index.js';
import { TalktoMessageEntity } from '../../lib/persistence/entities/message.entity.js';
import { createTestDatabase } from '../support/databases.js';
import { expectNoTestDatabaseLeftBehind } from '../support/no-test-database-left.js';
import { freePort } from '../support/free-port.js';
import { postInventoryCommand } from '../support/signed-request.js';
import { startTalktoApp, testTypeOrmModule } from '../support/talkto-app.js';
import { waitFor } from '../support/wait-for.js';
import { ORDER_PROVIDERS } from './fixtures/order-handlers.js';

const SECRET = 'inventory-to-website-secret-0123456789';
const WEBSITE: TalktoModuleOptions = {
  service: 'website',
  incoming: { inventory: { secret: SECRET, allowedCommands: { 'orders.reserve': {} } } },
};

expectNoTestDatabaseLeftBehind();

/** Boots an app over a fresh SQLite database and returns why it failed to, or null when it booted. */
async function bootFailure(
  typeOrm: Record<string, unknown> | null,
  talkto: DynamicModule[],
  afterBoot: (app: INestApplication) => Promise<void> = async () => {},
): Promise<Error | null> {
  const database = await createTestDatabase('sqlite');
  @Module({
    imports: [
      ...(typeOrm === null
        ? []
        : [testTypeOrmModule(database, { migrations: TALKTO_MIGRATIONS, migrationsRun: true, ...typeOrm })]),
      ...talkto,
    ],
    providers: ORDER_PROVIDERS,
  })
  class HostModule {}
  try {
    const app = await NestFactory.create(HostModule, { logger: false, abortOnError: false });
    await app.init();
    try {
      await afterBoot(app);
    } finally {
      await app.close();
    }
    return null;
  } catch (error) {
    return error as Error;
  } finally {
    await database.drop();
  }
}

describe('the Talkto entities in the host TypeORM setup', () => {
  it('are registered by the module when the host uses autoLoadEntities', async () => {
    const port = await freePort();
    const website = await startTalktoApp({
      database: 'sqlite',
      queue: 'in-process',
      adapter: 'express',
      port,
      autoLoadEntities: true,
      providers: ORDER_PROVIDERS,
      talkto: WEBSITE,
    });
    try {
      const answer = await postInventoryCommand(website.url, SECRET, 'orders.reserve', {
        orderId: 'o-auto',
        quantity: 1,
      });
      expect(answer.status).toBe(202);
      await waitFor(
        async () =>
          (await website.dataSource.manager.findOneBy(TalktoMessageEntity, { messageId: answer.messageId }))
            ?.overallStatus === 'succeeded',
        'the handler to succeed',
      );
    } finally {
      await website.close();
    }
  });

  it('are registered on the named connection the module is told to use', async () => {
    const failure = await bootFailure(
      { name: 'talkto', autoLoadEntities: true },
      [TalktoModule.forRoot({ ...WEBSITE, dataSource: 'talkto' })],
      async (app) => {
        const talkto = app.get<DataSource>(getDataSourceToken('talkto'));
        expect(await talkto.manager.count(TalktoMessageEntity)).toBe(0);
      },
    );
    expect(failure).toBeNull();
  });

  it('fail the boot, saying what to add, when the connection does not know them', async () => {
    const failure = await bootFailure({ entities: [] }, [TalktoModule.forRoot(WEBSITE)]);
    expect(failure).toBeInstanceOf(TalktoConfigurationError);
    expect(failure?.message).toMatch(/TalktoMessageEntity/);
    expect(failure?.message).toMatch(/autoLoadEntities: true/);
    expect(failure?.message).toMatch(/TALKTO_ENTITIES/);
  });

  it('fail the boot naming a dataSource connection that does not exist, and the fix', async () => {
    const failure = await bootFailure({ autoLoadEntities: true }, [
      TalktoModule.forRoot({ ...WEBSITE, dataSource: 'talkto' }),
    ]);
    expect(failure).toBeInstanceOf(TalktoConfigurationError);
    expect(failure?.message).toContain("no TypeORM connection named 'talkto'");
    expect(failure?.message).toContain("TypeOrmModule.forRoot({ name: 'talkto'");
  });
});

describe('TalktoModule imported twice', () => {
  it('fails the boot saying to import it once', async () => {
    const failure = await bootFailure({ autoLoadEntities: true }, [
      TalktoModule.forRoot(WEBSITE),
      TalktoModule.forRootAsync({ useFactory: () => WEBSITE }),
    ]);
    expect(failure).toBeInstanceOf(TalktoConfigurationError);
    expect(failure?.message).toMatch(/imported 2 times.*import it once/);
  });
});

describe('TalktoModule.forRootAsync', () => {
  it('honours metrics given next to the factory, with every other option from the factory', async () => {
    const port = await freePort();
    const website = await startTalktoApp({
      database: 'sqlite',
      queue: 'in-process',
      adapter: 'express',
      port,
      providers: ORDER_PROVIDERS,
      talkto: WEBSITE,
      talktoModule: TalktoModule.forRootAsync({
        metrics: { enabled: true },
        useFactory: async () => ({ ...WEBSITE, queue: { driver: 'in-process' as const } }),
      }),
    });
    try {
      const metrics = await fetch(`${website.url}/metrics`);
      expect(metrics.status).toBe(200);
      expect(await metrics.text()).toContain('talkto_');
      const answer = await postInventoryCommand(website.url, SECRET, 'orders.reserve', {
        orderId: 'o-async',
        quantity: 1,
      });
      expect(answer.status).toBe(202);
    } finally {
      await website.close();
    }
  });

  it.each(['metrics', 'routes', 'panel', 'dataSource'] as const)(
    'fails the boot naming %s when the factory returns it, instead of ignoring it',
    async (key) => {
      const values = {
        metrics: { enabled: true },
        routes: { prefix: 'talkto-api' },
        panel: { enabled: true },
        dataSource: 'other',
      };
      const failure = await bootFailure({ autoLoadEntities: true }, [
        TalktoModule.forRootAsync({ useFactory: () => ({ ...WEBSITE, [key]: values[key] }) }),
      ]);
      expect(failure).toBeInstanceOf(TalktoConfigurationError);
      expect(failure?.message).toContain(`[${key}]`);
      expect(failure?.message).toContain('TalktoModule.forRootAsync({');
    },
  );

  it('fails the boot on an unknown key the factory returns, suggesting the known one', async () => {
    const failure = await bootFailure({ autoLoadEntities: true }, [
      TalktoModule.forRootAsync({
        useFactory: () => ({ ...WEBSITE, workers: { sendConcurency: 2 } }) as TalktoModuleOptions,
      }),
    ]);
    expect(failure).toBeInstanceOf(TalktoConfigurationError);
    expect(failure?.message).toContain(
      "[workers.sendConcurency]: is not a Talkto option; did you mean 'sendConcurrency'?",
    );
  });
});
