import { type DynamicModule, Logger, Module, type Provider, type Type } from '@nestjs/common';
import { APP_FILTER, DiscoveryModule } from '@nestjs/core';
import { TalktoClock } from './clock/talkto.clock.js';
import { resolveTalktoOptions } from './config/resolve-options.js';
import { TalktoConfigurationError } from './errors/talkto-configuration.error.js';
import type { ResolvedTalktoOptions } from './config/resolved-options.interface.js';
import { BodyParseErrorFilter } from './incoming/body-parse-error.filter.js';
import { FastifyJsonSupport } from './incoming/fastify-json.support.js';
import { FastifyRawBodySupport } from './incoming/fastify-raw-body.support.js';
import { HandlerExplorer } from './incoming/handler.explorer.js';
import { HandlerInvoker } from './incoming/handler.invoker.js';
import { ProcessPipeline } from './incoming/process.pipeline.js';
import { createReceiveController } from './incoming/receive.controller.js';
import { ReceiveService } from './incoming/receive.service.js';
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
import { ENTITY_EVENT_PROVIDERS } from './entity-events/entity-events.providers.js';
import { TalktoTransactionScope } from './outgoing/talkto-transaction.scope.js';
import { TALKTO_TRANSPORT_PROVIDER } from './outgoing/transport.provider.js';
import { AfterCommitSubscriber } from './persistence/after-commit.subscriber.js';
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
import { TALKTO_QUEUE_DRIVER } from './queue/queue.constants.js';
import { createTalktoQueueDriver } from './queue/queue-driver.factory.js';
import { TalktoDispatcher } from './queue/talkto.dispatcher.js';
import { TalktoWorkers } from './queue/talkto.workers.js';
import { TALKTO_MODULE_OPTIONS, TALKTO_RESOLVED_OPTIONS } from './talkto.constants.js';

const EXPORTS = [
  TalktoClient,
  TalktoClock,
  TalktoHealthIndicator,
  TALKTO_RESOLVED_OPTIONS,
  ...RELIABILITY_EXPORTS,
  ...OPERATIONS_EXPORTS,
];

function routeControllers(routes: TalktoRoutesOptions | undefined): Type<unknown>[] {
  // Resolving a stub gives the same defaults and checks as the real options.
  const resolved = resolveTalktoOptions({ service: 'routes', routes });
  return resolved.routes.enabled
    ? [
        createReceiveController(resolved.routes.receivePath),
        createCallbackController(resolved.routes.callbackPath),
      ]
    : [];
}

function coreProviders(
  dataSource: TalktoModuleOptions['dataSource'],
  routes?: TalktoRoutesOptions,
  staticOptions: Pick<TalktoModuleAsyncOptions, 'metrics' | 'panel'> = {},
): Provider[] {
  return [
    {
      provide: TALKTO_METRICS_OPTIONS,
      useFactory: (options: TalktoModuleOptions) => staticOptions.metrics ?? options.metrics,
      inject: [TALKTO_MODULE_OPTIONS],
    },
    ...metricsProviders(),
    ...rateLimitProviders(),
    ...panelProviders(staticOptions.panel),
    TalktoHealthIndicator,
    { provide: TALKTO_TRACING_READY, useFactory: tracingReady },
    {
      provide: TALKTO_RESOLVED_OPTIONS,
      useFactory: (options: TalktoModuleOptions) =>
        resolveTalktoOptions(routes === undefined ? options : { ...options, routes }),
      inject: [TALKTO_MODULE_OPTIONS],
    },
    {
      provide: TalktoClock,
      useFactory: (options: TalktoModuleOptions) => options.clock ?? new TalktoClock(),
      inject: [TALKTO_MODULE_OPTIONS],
    },
    {
      provide: TALKTO_QUEUE_DRIVER,
      useFactory: (options: ResolvedTalktoOptions) =>
        createTalktoQueueDriver(options.queue, new Logger('Talkto')),
      inject: [TALKTO_RESOLVED_OPTIONS],
    },
    TALKTO_TRANSPORT_PROVIDER,
    AfterCommitSubscriber,
    TalktoTransactionScope,
    ...ENTITY_EVENT_PROVIDERS,
    { provide: APP_FILTER, useClass: BodyParseErrorFilter },
    ...createStorageProviders(dataSource),
    TalktoDispatcher,
    HandlerExplorer,
    HandlerInvoker,
    ReceiveService,
    CallbackReceiveService,
    ResultCallbackSender,
    ResultHandlerExplorer,
    ProcessPipeline,
    SendPipeline,
    TalktoClient,
    TalktoWorkers,
    ...RELIABILITY_PROVIDERS,
    ...OPERATIONS_PROVIDERS,
    FastifyJsonSupport,
    FastifyRawBodySupport,
  ];
}

/**
 * Wires Talkto into a Nest application: storage in the host's TypeORM DataSource, a queue driver,
 * the receive route, the handler registry and the client. Register it once, at the root.
 */
@Module({})
export class TalktoModule {
  static forRoot(options: TalktoModuleOptions): DynamicModule {
    resolveTalktoOptions(options); // fail at definition time with the offending key
    return {
      module: TalktoModule,
      global: true,
      imports: [DiscoveryModule],
      controllers: [
        ...routeControllers(options.routes),
        ...metricsControllers(options.metrics),
        ...panelControllers(options.panel),
      ],
      providers: [
        { provide: TALKTO_MODULE_OPTIONS, useValue: options },
        ...coreProviders(options.dataSource, undefined, options),
      ],
      exports: EXPORTS,
    };
  }

  static forRootAsync(options: TalktoModuleAsyncOptions): DynamicModule {
    return {
      module: TalktoModule,
      global: true,
      imports: [DiscoveryModule, ...(options.imports ?? [])],
      controllers: [
        ...routeControllers(options.routes),
        ...metricsControllers(options.metrics),
        ...panelControllers(options.panel),
      ],
      providers: [
        ...TalktoModule.asyncOptionsProviders(options),
        ...coreProviders(options.dataSource, options.routes ?? {}, options),
      ],
      exports: EXPORTS,
    };
  }

  private static asyncOptionsProviders(options: TalktoModuleAsyncOptions): Provider[] {
    if (options.useFactory) {
      return [
        { provide: TALKTO_MODULE_OPTIONS, useFactory: options.useFactory, inject: options.inject ?? [] },
      ];
    }
    const factoryClass = options.useClass ?? options.useExisting;
    if (!factoryClass) {
      throw new TalktoConfigurationError('forRootAsync', 'needs useFactory, useClass or useExisting');
    }
    return [
      ...(options.useClass ? [options.useClass] : []),
      {
        provide: TALKTO_MODULE_OPTIONS,
        useFactory: (factory: TalktoOptionsFactory) => factory.createTalktoOptions(),
        inject: [factoryClass],
      },
    ];
  }
}
