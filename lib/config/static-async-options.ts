import { isDeepStrictEqual } from 'node:util';
import { TalktoConfigurationError } from '../errors/talkto-configuration.error.js';
import type { TalktoModuleAsyncOptions } from '../interfaces/talkto-module-async-options.interface.js';
import type { TalktoModuleOptions } from '../interfaces/talkto-module-options.interface.js';
import type { TalktoQueueOptions } from '../queue/interfaces/talkto-queue-options.interface.js';
import { rejectUnknownKeys } from './option-keys.js';

/** What the options factory of `forRootAsync` returns, before the static options are added. */
export const TALKTO_FACTORY_OPTIONS = 'TALKTO_FACTORY_OPTIONS';

/** Options that decide the module's controllers or connection, so they exist before any factory runs. */
const STATIC_KEYS = ['routes', 'metrics', 'panel', 'dataSource'] as const;

/**
 * `queue.driver` picks the queue module before any factory runs too; the factory gives the rest of
 * `queue`, and its driver module refuses a factory naming another driver.
 */
export type TalktoStaticOptions = Pick<TalktoModuleOptions, (typeof STATIC_KEYS)[number]> & {
  queue?: Pick<TalktoQueueOptions, 'driver'>;
};

const ASYNC_KEYS = ['imports', 'useFactory', 'inject', 'useClass', 'useExisting', 'queue', ...STATIC_KEYS];

/** The options `forRootAsync` takes next to its factory; an unknown key there fails at once. */
export function staticAsyncOptions(options: TalktoModuleAsyncOptions): TalktoStaticOptions {
  rejectUnknownKeys(options, ASYNC_KEYS, 'forRootAsync');
  return {
    routes: options.routes,
    metrics: options.metrics,
    panel: options.panel,
    dataSource: options.dataSource,
    queue: options.queue,
  };
}

/**
 * The factory's options with the static ones added. A factory may repeat a static option with the
 * same value; any other value would be silently ignored, so it fails the boot naming the key.
 */
export function mergeFactoryOptions(
  fromFactory: TalktoModuleOptions,
  definition: TalktoStaticOptions,
): TalktoModuleOptions {
  if (typeof fromFactory !== 'object' || fromFactory === null) {
    throw new TalktoConfigurationError('forRootAsync', 'the options factory must return an options object');
  }
  for (const key of STATIC_KEYS) {
    if (fromFactory[key] !== undefined && !isDeepStrictEqual(fromFactory[key], definition[key])) {
      throw new TalktoConfigurationError(
        key,
        'decides the routes or connection before any factory runs: give it to ' +
          `TalktoModule.forRootAsync({ ${key}: …, useFactory }) next to the factory, not from it`,
      );
    }
  }
  const merged: TalktoModuleOptions = { ...fromFactory };
  for (const key of STATIC_KEYS) {
    if (definition[key] !== undefined) {
      Object.assign(merged, { [key]: definition[key] });
    }
  }
  return merged;
}
