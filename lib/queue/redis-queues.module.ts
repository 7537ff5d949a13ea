import type { DynamicModule, Type } from '@nestjs/common';
import { Logger } from '@nestjs/common';
import type { RedisOptions } from 'ioredis';
import type { ResolvedTalktoOptions } from '../config/resolved-options.interface.js';
import { TalktoConfigurationError } from '../errors/talkto-configuration.error.js';
import { TALKTO_RESOLVED_OPTIONS } from '../talkto.constants.js';
import type {
  RedisQueueDriverOptions,
  TalktoRedisQueueDriver,
} from './interfaces/talkto-queue-options.interface.js';
import { DEFAULT_QUEUE_PREFIX, TALKTO_QUEUE_DRIVER, TALKTO_REGISTERED_QUEUES } from './queue.constants.js';
import { failFastRedisOptions } from './redis-connection.util.js';
import { assertStaticDriver } from './queue-driver.rules.js';
import {
  TALKTO_QUEUE_NAMES,
  type TalktoQueueDriver,
  type TalktoQueueLogger,
  type TalktoQueueName,
} from './talkto-queue.port.js';

/** Talkto's part of a queue's settings; the Nest package merges it over the host's `forRoot` ones. */
export interface TalktoQueueConnection {
  /** Talkto's own Redis; absent when the host's connection is used. */
  connection?: RedisOptions;
  prefix?: string;
}

interface QueueRegistration {
  name: string;
  useFactory: (options: ResolvedTalktoOptions, hostConfig?: unknown) => object;
  inject: unknown[];
}

/** How one Nest queue package (`@nestjs/bull` or `@nestjs/bullmq`) registers Talkto's queues. */
export interface RedisQueuePackage {
  driver: TalktoRedisQueueDriver;
  /** Where the host's `BullModule` comes from, for the boot error. */
  packageName: string;
  registerQueueAsync(...registrations: QueueRegistration[]): DynamicModule;
  queueToken(name: string): string;
  /** Token of the host's `BullModule.forRoot()` settings. */
  sharedConfigToken: string;
  queueOptions(connection: TalktoQueueConnection): object;
  createDriver(
    queues: Map<TalktoQueueName, unknown>,
    options: RedisQueueDriverOptions,
    logger: TalktoQueueLogger,
  ): TalktoQueueDriver;
}

/**
 * Registers Talkto's four queues with the host's Nest queue package and provides the driver on
 * them. Global, so the host can `@InjectQueue(TALKTO_SEND_QUEUE)` the very queue Talkto uses.
 */
export function redisQueuesModule(module: Type<unknown>, pkg: RedisQueuePackage): DynamicModule {
  const queues = pkg.registerQueueAsync(
    ...TALKTO_QUEUE_NAMES.map((name) => ({
      name: TALKTO_REGISTERED_QUEUES[name],
      useFactory: (options: ResolvedTalktoOptions, hostConfig?: unknown) =>
        pkg.queueOptions(talktoQueueConnection(redisOptionsOf(options), pkg, hostConfig !== undefined)),
      inject: [TALKTO_RESOLVED_OPTIONS, { token: pkg.sharedConfigToken, optional: true }],
    })),
  );
  return {
    module,
    global: true,
    imports: [queues],
    providers: [
      {
        provide: TALKTO_QUEUE_DRIVER,
        useFactory: (options: ResolvedTalktoOptions, ...registered: unknown[]) => {
          assertStaticDriver(pkg.driver, options.queue.driver);
          return pkg.createDriver(
            new Map(TALKTO_QUEUE_NAMES.map((name, index) => [name, registered[index]])),
            redisOptionsOf(options),
            new Logger('Talkto'),
          );
        },
        inject: [
          TALKTO_RESOLVED_OPTIONS,
          ...TALKTO_QUEUE_NAMES.map((name) => pkg.queueToken(TALKTO_REGISTERED_QUEUES[name])),
        ],
      },
    ],
    exports: [queues, TALKTO_QUEUE_DRIVER],
  };
}

function redisOptionsOf(options: ResolvedTalktoOptions): RedisQueueDriverOptions {
  return options.queue.driver === 'in-process' ? {} : options.queue;
}

/** Talkto's own Redis when configured, else the host's `BullModule.forRoot()` connection. */
function talktoQueueConnection(
  queue: RedisQueueDriverOptions,
  pkg: RedisQueuePackage,
  hostConnected: boolean,
): TalktoQueueConnection {
  if (queue.redis) {
    return { connection: failFastRedisOptions(queue.redis), prefix: queue.prefix ?? DEFAULT_QUEUE_PREFIX };
  }
  if (!hostConnected) {
    throw new TalktoConfigurationError(
      'queue.redis',
      `is required with the '${pkg.driver}' driver unless the app imports BullModule.forRoot() from ${pkg.packageName}`,
    );
  }
  return queue.prefix ? { prefix: queue.prefix } : {};
}
