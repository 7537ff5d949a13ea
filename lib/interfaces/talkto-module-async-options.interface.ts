import type { InjectionToken, ModuleMetadata, OptionalFactoryDependency, Type } from '@nestjs/common';
import type {
  TalktoMetricsOptions,
  TalktoModuleOptions,
  TalktoPanelOptions,
  TalktoRoutesOptions,
} from './talkto-module-options.interface.js';

export interface TalktoOptionsFactory {
  createTalktoOptions(): Promise<TalktoModuleOptions> | TalktoModuleOptions;
}

export interface TalktoModuleAsyncOptions extends Pick<ModuleMetadata, 'imports'> {
  useFactory?: (...args: never[]) => Promise<TalktoModuleOptions> | TalktoModuleOptions;
  inject?: Array<InjectionToken | OptionalFactoryDependency>;
  useClass?: Type<TalktoOptionsFactory>;
  useExisting?: Type<TalktoOptionsFactory>;
  /**
   * Routes are mounted before any factory runs, so their settings are given here, statically
   * (the factory's `routes` value is ignored). Default: enabled at `api/talkto/receive|callback`.
   */
  routes?: TalktoRoutesOptions;
  /** Name of the `TypeOrmModule` connection holding the Talkto tables (default: the default one). */
  dataSource?: string;
  /** Metrics settings, static for the same reason as `routes` (the factory's value is ignored). */
  metrics?: TalktoMetricsOptions;
  /** Panel settings, static for the same reason as `routes` (the factory's value is ignored). */
  panel?: TalktoPanelOptions;
}
