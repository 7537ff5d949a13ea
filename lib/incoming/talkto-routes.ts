import { Inject, Injectable, Logger, type OnApplicationBootstrap, type Type } from '@nestjs/common';
import { PATH_METADATA } from '@nestjs/common/constants.js';
import { ApplicationConfig } from '@nestjs/core';
import type { ResolvedTalktoOptions } from '../config/resolved-options.interface.js';
import { TALKTO_RESOLVED_OPTIONS } from '../talkto.constants.js';

/**
 * Without a host prefix the routes sit where a Laravel Talkto peer looks for them
 * (`/api/talkto/receive`); a host global prefix takes the place of this default.
 */
const DEFAULT_PREFIX = 'api';

export const TALKTO_ROUTE_CONTROLLERS = 'TALKTO_ROUTE_CONTROLLERS';

/** The controller classes of one module definition; null when the routes are off. */
export type TalktoRouteControllers = { receive: Type<unknown>; callback: Type<unknown> } | null;

export type TalktoRouteKind = 'receive' | 'callback';

const join = (...parts: string[]) =>
  parts
    .map((part) => part.replace(/^\/+|\/+$/g, ''))
    .filter(Boolean)
    .join('/');

/**
 * Where the receive and callback routes are served in this app, the host's global prefix
 * included. The prefix is known only once the host called `setGlobalPrefix`, so the paths are
 * settled when the app initialises, before Nest registers the routes.
 */
@Injectable()
export class TalktoRoutes implements OnApplicationBootstrap {
  private readonly logger = new Logger('Talkto');
  private settled: Record<TalktoRouteKind, string> | null = null;

  constructor(
    @Inject(TALKTO_RESOLVED_OPTIONS) private readonly options: ResolvedTalktoOptions,
    private readonly appConfig: ApplicationConfig,
    @Inject(TALKTO_ROUTE_CONTROLLERS) private readonly controllers: TalktoRouteControllers,
  ) {}

  /**
   * Called from `TalktoModule.configure`: the host's prefix is set and no route is registered yet.
   * The controllers' paths are restated the way @nestjs/core's RouterModule restates module paths.
   */
  settle(): void {
    const paths = this.compute();
    this.settled = paths.served;
    if (this.controllers !== null) {
      Reflect.defineMetadata(PATH_METADATA, paths.controller.receive, this.controllers.receive);
      Reflect.defineMetadata(PATH_METADATA, paths.controller.callback, this.controllers.callback);
    }
  }

  /** The absolute path (`/api/talkto/receive`) a route is served at. */
  path(kind: TalktoRouteKind): string {
    return (this.settled ?? this.compute().served)[kind];
  }

  /** Which Talkto route a request URL addresses, if any. */
  routeOf(url: string): TalktoRouteKind | null {
    if (!this.options.routes.enabled) {
      return null;
    }
    const path = `/${join(url.split('?', 1)[0]!)}`;
    if (path === this.path('receive')) {
      return 'receive';
    }
    return path === this.path('callback') ? 'callback' : null;
  }

  onApplicationBootstrap(): void {
    if (this.options.routes.enabled && this.controllers !== null) {
      this.logger.log(
        `Talkto receives commands at POST ${this.path('receive')} and result callbacks at POST ` +
          `${this.path('callback')}; peers set these as receiveEndpoint and callbackEndpoint.`,
      );
    }
  }

  private compute(): {
    controller: Record<TalktoRouteKind, string>;
    served: Record<TalktoRouteKind, string>;
  } {
    const { routes } = this.options;
    const hostPrefix = join(this.appConfig.getGlobalPrefix());
    const excluded = (path: string) =>
      (this.appConfig.getGlobalPrefixOptions().exclude ?? []).some((route) =>
        route.pathRegex.test(`/${path}`),
      );
    const prefixed = (path: string) =>
      hostPrefix === '' || excluded(path) ? `/${path}` : `/${join(hostPrefix, path)}`;
    const below = (path: string) => {
      if (routes.prefix !== null) {
        return join(routes.prefix, path);
      }
      const withDefault = join(DEFAULT_PREFIX, path);
      return hostPrefix === '' || excluded(withDefault) ? withDefault : path;
    };
    const controller = { receive: below(routes.receivePath), callback: below(routes.callbackPath) };
    return {
      controller,
      served: { receive: prefixed(controller.receive), callback: prefixed(controller.callback) },
    };
  }
}
