import { type DynamicModule, Module } from '@nestjs/common';
import {
  BullModule,
  getQueueToken,
  getSharedConfigToken,
  type RegisterQueueAsyncOptions,
} from '@nestjs/bullmq';
import type { Queue } from 'bullmq';
import { BullMqQueueDriver } from './bullmq.driver.js';
import { redisQueuesModule } from './redis-queues.module.js';
import type { TalktoQueueName } from './talkto-queue.port.js';

/** Talkto's queues on `@nestjs/bullmq`. Loaded only when the `bullmq` driver is chosen. */
@Module({})
export class TalktoBullMqQueuesModule {
  static register(): DynamicModule {
    return redisQueuesModule(TalktoBullMqQueuesModule, {
      driver: 'bullmq',
      packageName: '@nestjs/bullmq',
      registerQueueAsync: (...registrations) =>
        BullModule.registerQueueAsync(...(registrations as RegisterQueueAsyncOptions[])),
      queueToken: getQueueToken,
      sharedConfigToken: getSharedConfigToken(),
      queueOptions: ({ connection, prefix }) =>
        Object.assign({}, connection ? { connection } : {}, prefix ? { prefix } : {}),
      createDriver: (queues, options, logger) =>
        new BullMqQueueDriver(queues as Map<TalktoQueueName, Queue>, options, logger),
    });
  }
}
