import { type DynamicModule, Module, type NestModule, type Provider } from '@nestjs/common';
import { DiscoveryModule, ModulesContainer } from '@nestjs/core';
import { TalktoClock } from './clock/talkto.clock.js';
import { resolveTalktoOptions } from './config/resolve-options.js';
import { TalktoConfigurationError } from './errors/talkto-configuration.error.js';
import { HandlerExplorer } from './incoming/handler.explorer.js';
import { HandlerInvoker } from './incoming/handler.invoker.js';
import { ProcessPipeline } from './incoming/process.pipeline.js';
import { createReceiveController } from './incoming/receive.controller.js';
import { ReceiveService } from './incoming/receive.service.js';
import { RouteBodySupport } from './incoming/route-body.support.js';
import {
  TALKTO_ROUTE_CONTROLLERS,
  type TalktoRouteControllers,
  TalktoRoutes,
} from './incoming/talkto-routes.js';
import { SignedRequestVerifier } from './incoming/signed-request.verifier.js';
import { createCallbackController } from './callbacks/callback.controller.js';
import { CallbackReceiveService } from './callbacks/callback-receive.service.js';
import { ResultCallbackSender } from './callbacks/result-callback.sender.js';
import { ResultHandlerExplorer } from './callbacks/result-handler.explorer.js';
import type {
  TalktoModuleAsyncOptions,
  TalktoOptionsFactory,
} from './interfaces/talkto-module-async-options.interface.js';
import type {
  TalktoModuleOptions,
  TalktoRoutesOptions,
} from './interfaces/talkto-module-options.interface.js';
import {
  mergeFactoryOptions,
  staticAsyncOptions,
  TALKTO_FACTORY_OPTIONS,
  type TalktoStaticOptions,
} from './config/static-async-options.js';
import { assertSingleTalktoModule } from './config/single-module.check.js';
import { talktoEntityRegistration } from './persistence/entity-registration.js';
import { ENTITY_EVENT_PROVIDERS } from './entity-events/entity-events.providers.js';
import { TalktoTransactionScope } from './outgoing/talkto-transaction.scope.js';
import { TALKTO_TRANSPORT_PROVIDER } from './outgoing/transport.provider.js';
import { AfterCommitSubscriber } from './persistence/after-commit.subscriber.js';
import { PostgresClientErrorsListener } from './persistence/postgres-client-errors.listener.js';
import { SendPipeline } from './outgoing/send.pipeline.js';
import { TalktoClient } from './outgoing/talkto.client.js';
import { metricsControllers, metricsProviders } from './metrics/metrics.providers.js';
import { TALKTO_METRICS_OPTIONS } from './metrics/metrics.constants.js';
import { OPERATIONS_EXPORTS, OPERATIONS_PROVIDERS } from './operations/operations.providers.js';
import { RELIABILITY_EXPORTS, RELIABILITY_PROVIDERS } from './operations/reliability.providers.js';
import { createStorageProviders } from './persistence/storage.providers.js';
import { rateLimitProviders } from './rate-limit/rate-limit.providers.js';
import { panelControllers, panelProviders } from './panel/panel.providers.js';
import { TalktoHealthIndicator } from './health/talkto.health-indicator.js';
import { TALKTO_TRACING_READY } from './tracing/tracing.constants.js';
import { tracingReady } from './tracing/active-traceparent.js';
import { loadQueueDriverModule } from './queue/queue-driver.loader.js';
import { TalktoDispatcher } from './queue/talkto.dispatcher.js';
import { TalktoWorkers } from './queue/talkto.workers.js';
import { TALKTO_MODULE_OPTIONS, TALKTO_RESOLVED_OPTIONS } from './talkto.constants.js';

const EXPORTS = [
  TalktoClient,
  SignedRequestVerifier,
  TalktoClock,
  TalktoHealthIndicator,
  TALKTO_MODULE_OPTIONS,
  TALKTO_RESOLVED_OPTIONS,
  ...RELIABILITY_EXPORTS,
  ...OPERATIONS_EXPORTS,
];

/** One class per route and module definition; `TalktoRoutes` settles their paths at init. */
function routeControllers(routes: TalktoRoutesOptions | undefined): TalktoRouteControllers {
  // Resolving a stub gives the same defaults and checks as the real options.
  const resolved = resolveTalktoOptions({ service: 'routes', routes });
  return resolved.routes.enabled
    ? {
        receive: createReceiveController(resolved.routes.receivePath),
        callback: createCallbackController(resolved.routes.callbackPath),
      }
    : null;
}

/** What `forRoot` and `forRootAsync` share; `definition` holds the options fixed at definition time. */
function talktoModule(
  definition: TalktoStaticOptions,
  optionProviders: Provider[],
  imports: DynamicModule['imports'] = [],
): DynamicModule {
  const routes = routeControllers(definition.routes);
  return {
    module: TalktoModule,
    global: true,
    imports: [
      DiscoveryModule,
      loadQueueDriverModule(definition.queue?.driver),
      ...talktoEntityRegistration(definition.dataSource),
      ...imports,
    ],
    controllers: [
      ...(routes ? [routes.receive, routes.callback] : []),
      ...metricsControllers(definition.metrics),
      ...panelControllers(definition.panel),
    ],
    providers: [
      ...optionProviders,
      { provide: TALKTO_ROUTE_CONTROLLERS, useValue: routes },
      ...coreProviders(definition),
    ],
    exports: EXPORTS,
  };
}

function coreProviders(definition: TalktoStaticOptions): Provider[] {
  return [
    {
      provide: TALKTO_METRICS_OPTIONS,
      useFactory: (options: TalktoModuleOptions) => options.metrics,
      inject: [TALKTO_MODULE_OPTIONS],
    },
    ...metricsProviders(),
    ...rateLimitProviders(),
    ...panelProviders(definition.panel),
    TalktoHealthIndicator,
    { provide: TALKTO_TRACING_READY, useFactory: tracingReady },
    {
      provide: TALKTO_RESOLVED_OPTIONS,
      useFactory: (options: TalktoModuleOptions) => resolveTalktoOptions(options),
      inject: [TALKTO_MODULE_OPTIONS],
    },
    {
      provide: TalktoClock,
      useFactory: (options: TalktoModuleOptions) => options.clock ?? new TalktoClock(),
      inject: [TALKTO_MODULE_OPTIONS],
    },
    TALKTO_TRANSPORT_PROVIDER,
    AfterCommitSubscriber,
    PostgresClientErrorsListener,
    TalktoTransactionScope,
    ...ENTITY_EVENT_PROVIDERS,
    ...createStorageProviders(definition.dataSource),
    TalktoDispatcher,
    HandlerExplorer,
    HandlerInvoker,
    ReceiveService,
    CallbackReceiveService,
    SignedRequestVerifier,
    ResultCallbackSender,
    ResultHandlerExplorer,
    ProcessPipeline,
    SendPipeline,
    TalktoClient,
    TalktoWorkers,
    ...RELIABILITY_PROVIDERS,
    ...OPERATIONS_PROVIDERS,
    TalktoRoutes,
    RouteBodySupport,
  ];
}

/**
 * Wires Talkto into a Nest application: storage in the host's TypeORM DataSource, a queue driver,
 * the receive route, the handler registry and the client. Register it once, at the root.
 */
@Module({})
export class TalktoModule implements NestModule {
  constructor(
    modules: ModulesContainer,
    private readonly routes: TalktoRoutes,
    private readonly bodySupport: RouteBodySupport,
  ) {
    assertSingleTalktoModule(modules, TalktoModule);
  }

  static forRoot(options: TalktoModuleOptions): DynamicModule {
    resolveTalktoOptions(options); // fail at definition time with the offending key
    return talktoModule(options, [{ provide: TALKTO_MODULE_OPTIONS, useValue: options }]);
  }

  /**
   * The factory may return any option; `routes`, `metrics`, `panel` and `dataSource` decide which
   * routes and connection the module has before any factory runs, so they are given here, next
   * to it, and a factory returning a different value fails the boot naming the key. The same holds
   * for `queue: { driver }`, which picks the queue module; the factory gives the rest of `queue`.
   */
  static forRootAsync(options: TalktoModuleAsyncOptions): DynamicModule {
    const definition = staticAsyncOptions(options);
    return talktoModule(
      definition,
      [
        ...TalktoModule.asyncOptionsProviders(options),
        {
          provide: TALKTO_MODULE_OPTIONS,
          useFactory: (fromFactory: TalktoModuleOptions) => mergeFactoryOptions(fromFactory, definition),
          inject: [TALKTO_FACTORY_OPTIONS],
        },
      ],
      options.imports,
    );
  }

  /** Runs when the app initialises: the host's global prefix is known, no route is registered yet. */
  configure(): void {
    this.routes.settle();
    this.bodySupport.install();
  }

  private static asyncOptionsProviders(options: TalktoModuleAsyncOptions): Provider[] {
    if (options.useFactory) {
      return [
        { provide: TALKTO_FACTORY_OPTIONS, useFactory: options.useFactory, inject: options.inject ?? [] },
      ];
    }
    const factoryClass = options.useClass ?? options.useExisting;
    if (!factoryClass) {
      throw new TalktoConfigurationError('forRootAsync', 'needs useFactory, useClass or useExisting');
    }
    return [
      ...(options.useClass ? [options.useClass] : []),
      {
        provide: TALKTO_FACTORY_OPTIONS,
        useFactory: (factory: TalktoOptionsFactory) => factory.createTalktoOptions(),
        inject: [factoryClass],
      },
    ];
  }
}
