import { type DynamicModule, Module } from '@nestjs/common';
import { BullModule, getQueueToken, getSharedConfigToken, type BullModuleAsyncOptions } from '@nestjs/bull';
import type Bull from 'bull';
import { BullQueueDriver } from './bull.driver.js';
import type { TalktoJobData } from './redis-queue.driver.js';
import { redisQueuesModule } from './redis-queues.module.js';
import type { TalktoQueueName } from './talkto-queue.port.js';

/** Talkto's queues on `@nestjs/bull`. Loaded only when the `bull` driver is chosen. */
@Module({})
export class TalktoBullQueuesModule {
  static register(): DynamicModule {
    return redisQueuesModule(TalktoBullQueuesModule, {
      driver: 'bull',
      packageName: '@nestjs/bull',
      registerQueueAsync: (...registrations) =>
        BullModule.registerQueueAsync(...(registrations as BullModuleAsyncOptions[])),
      queueToken: getQueueToken,
      sharedConfigToken: getSharedConfigToken(),
      queueOptions: ({ connection, prefix }) =>
        Object.assign({}, connection ? { redis: connection } : {}, prefix ? { prefix } : {}),
      createDriver: (queues, options, logger) =>
        new BullQueueDriver(queues as Map<TalktoQueueName, Bull.Queue<TalktoJobData>>, options, logger),
    });
  }
}
