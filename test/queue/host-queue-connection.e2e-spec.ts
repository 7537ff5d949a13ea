import { afterEach, describe, expect, it } from '@jest/globals';
import { type DynamicModule, Injectable, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { BullModule as NestBullModule, InjectQueue as InjectBullQueue } from '@nestjs/bull';
import { BullModule as NestBullMqModule, InjectQueue as InjectBullMqQueue } from '@nestjs/bullmq';
import {
  LoopbackTalktoTransport,
  TALKTO_ENTITIES,
  TALKTO_SEND_QUEUE,
  TalktoClient,
  TalktoModule,
} from '../../lib/index.js';
import { createTestDatabase } from '../support/databases.js';
import { expectNoTestDatabaseLeftBehind } from '../support/no-test-database-left.js';
import { TalktoTransport } from '../../lib/outgoing/talkto.transport.js';
import { freePort } from '../support/free-port.js';
import { type RunningTalktoApp, startTalktoApp, testTypeOrmModule } from '../support/talkto-app.js';
import { waitFor } from '../support/wait-for.js';
import { REDIS, countKeysWithPrefix, deleteKeysWithPrefix, uniquePrefix } from './queue-test.helpers.js';

expectNoTestDatabaseLeftBehind();

/** What a host does with a queue it injected: pause it, count it, resume it. */
interface HostQueue {
  pause(): Promise<void>;
  resume(): Promise<void>;
  count(): Promise<number>;
}

@Injectable()
class BullDashboard {
  constructor(@InjectBullQueue(TALKTO_SEND_QUEUE) readonly queue: HostQueue) {}
}

@Injectable()
class BullMqDashboard {
  constructor(@InjectBullMqQueue(TALKTO_SEND_QUEUE) readonly queue: HostQueue) {}
}

const DRIVERS = [
  {
    driver: 'bull' as const,
    forRoot: (prefix: string): DynamicModule => NestBullModule.forRoot({ redis: REDIS, prefix }),
    dashboard: BullDashboard,
  },
  {
    driver: 'bullmq' as const,
    forRoot: (prefix: string): DynamicModule => NestBullMqModule.forRoot({ connection: REDIS, prefix }),
    dashboard: BullMqDashboard,
  },
];

describe.each(DRIVERS)(
  'the $driver driver in a host with its own BullModule.forRoot',
  ({ driver, forRoot, dashboard }) => {
    let host: RunningTalktoApp | undefined;
    let prefix: string;

    afterEach(async () => {
      await host?.close();
      host = undefined;
      await deleteKeysWithPrefix(prefix);
    });

    const boot = async (imports: DynamicModule[]) =>
      startTalktoApp({
        database: 'sqlite',
        queue: driver,
        adapter: 'express',
        port: await freePort(),
        imports,
        providers: [dashboard],
        talkto: {
          service: 'shop',
          transport: 'loopback',
          queue: { driver },
          outgoing: {
            billing: { baseUrl: 'http://billing.invalid', secret: 'host-queue-secret-0123456789' },
          },
        },
      });

    it('puts Talkto send jobs on the queue the host injects, on the host connection and prefix', async () => {
      prefix = uniquePrefix();
      host = await boot([forRoot(prefix)]);
      const queue = host.app.get<{ queue: HostQueue }>(dashboard).queue;
      const loopback = host.app.get(TalktoTransport, { strict: false }) as LoopbackTalktoTransport;

      await queue.pause();
      const sent = await host.app.get(TalktoClient).send('billing', 'invoice.create', { total: 3 });
      await waitFor(async () => (await queue.count()) === 1, 'the send job waiting in the paused host queue');
      expect(loopback.sentTo('billing')).toEqual([]);
      expect(await countKeysWithPrefix(prefix)).toBeGreaterThan(0);

      await queue.resume();
      await waitFor(
        () => loopback.sentTo('billing').some((request) => request.envelope.message_id === sent.messageId),
        'the message sent once the host resumed its queue',
      );
    });

    it('refuses to boot without the host connection or queue.redis, naming the option', async () => {
      prefix = uniquePrefix();
      await expect(boot([])).rejects.toThrow(/queue\.redis.*BullModule\.forRoot/);
    });
  },
);

describe('the queue driver with forRootAsync', () => {
  it('refuses to boot when the factory names a driver the module was not set up for, naming queue.driver', async () => {
    const database = await createTestDatabase('sqlite');
    @Module({
      imports: [
        testTypeOrmModule(database, { entities: TALKTO_ENTITIES, synchronize: false }),
        TalktoModule.forRootAsync({
          useFactory: () => ({
            service: 'shop',
            queue: { driver: 'bullmq', redis: REDIS, prefix: uniquePrefix() },
          }),
        }),
      ],
    })
    class AsyncHostModule {}
    try {
      await expect(
        NestFactory.createApplicationContext(AsyncHostModule, { logger: false, abortOnError: false }),
      ).rejects.toThrow(/queue\.driver.*forRootAsync/);
    } finally {
      await database.drop();
    }
  });
});
