import type { InjectionToken, ModuleMetadata, OptionalFactoryDependency, Type } from '@nestjs/common';
import type {
  TalktoMetricsOptions,
  TalktoModuleOptions,
  TalktoPanelOptions,
  TalktoRoutesOptions,
} from './talkto-module-options.interface.js';
import type { TalktoQueueOptions } from '../queue/interfaces/talkto-queue-options.interface.js';

export interface TalktoOptionsFactory {
  createTalktoOptions(): Promise<TalktoModuleOptions> | TalktoModuleOptions;
}

export interface TalktoModuleAsyncOptions extends Pick<ModuleMetadata, 'imports'> {
  useFactory?: (...args: never[]) => Promise<TalktoModuleOptions> | TalktoModuleOptions;
  inject?: Array<InjectionToken | OptionalFactoryDependency>;
  useClass?: Type<TalktoOptionsFactory>;
  useExisting?: Type<TalktoOptionsFactory>;
  /**
   * Routes are mounted before any factory runs, so their settings are given here, statically; a
   * factory returning another `routes` value fails the boot. Default: enabled at
   * `talkto/receive|callback` below the host's global prefix, or below `api` without one.
   */
  routes?: TalktoRoutesOptions;
  /**
   * Name of the `TypeOrmModule` connection holding the Talkto tables (default: the default one);
   * static because the entities are registered on it when the module is defined.
   */
  dataSource?: string;
  /** Metrics settings, static for the same reason as `routes` (it mounts `/metrics`). */
  metrics?: TalktoMetricsOptions;
  /** Panel settings, static for the same reason as `routes` (it mounts the panel's pages). */
  panel?: TalktoPanelOptions;
  /**
   * The queue driver, static because its module is imported before the factory runs; the
   * factory's `queue` settings must name the same driver. Default `in-process`.
   */
  queue?: Pick<TalktoQueueOptions, 'driver'>;
}
