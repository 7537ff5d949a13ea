import type { Registry, RegistryContentType } from 'prom-client';
import type { Provider, Type } from '@nestjs/common';
import { TalktoClock } from '../clock/talkto.clock.js';
import type { ResolvedTalktoOptions } from '../config/resolved-options.interface.js';
import { TalktoConfigurationError } from '../errors/talkto-configuration.error.js';
import { TALKTO_QUEUE_DRIVER } from '../queue/queue.constants.js';
import type { TalktoQueueDriver } from '../queue/talkto-queue.port.js';
import { TALKTO_RESOLVED_OPTIONS } from '../talkto.constants.js';
import { TALKTO_METRICS_OPTIONS, TALKTO_METRICS_REGISTRY } from './metrics.constants.js';
import { createMetricsController } from './metrics.controller.js';
import { loadPromClient } from './prom-client.loader.js';
import { PrometheusTalktoMetrics } from './prometheus.metrics.js';
import { TalktoBacklogReader } from './talkto-backlog.reader.js';
import type { TalktoMetricsOptions, TalktoMetricsRegistry } from './talkto-metrics-options.interface.js';
import { NoopTalktoMetrics, TalktoMetrics } from './talkto-metrics.port.js';

/** The callback command name on the wire (PROTOCOL §11). */
const CALLBACK_COMMAND = 'talkto.result';

function metricsPath(options: TalktoMetricsOptions | undefined): string | null {
  if (!options?.enabled || options.path === false) {
    return null;
  }
  const path = options.path ?? 'metrics';
  if (typeof path !== 'string' || /[\s?#]/.test(path)) {
    throw new TalktoConfigurationError('metrics.path', 'must be a URL path or false');
  }
  return path.replace(/^\/+|\/+$/g, '');
}

/** The scrape endpoint, when metrics are enabled and a path is wanted. */
export function metricsControllers(options: TalktoMetricsOptions | undefined): Type<unknown>[] {
  const path = metricsPath(options);
  return path === null ? [] : [createMetricsController(path)];
}

export function metricsProviders(): Provider[] {
  return [
    TalktoBacklogReader,
    {
      provide: TALKTO_METRICS_REGISTRY,
      useFactory: async (
        options: TalktoMetricsOptions | undefined,
      ): Promise<TalktoMetricsRegistry | null> => {
        if (!options?.enabled) {
          return null;
        }
        if (options.registry) {
          return options.registry;
        }
        const prom = await loadPromClient();
        return new prom.Registry();
      },
      inject: [TALKTO_METRICS_OPTIONS],
    },
    {
      provide: TalktoMetrics,
      useFactory: async (
        options: TalktoMetricsOptions | undefined,
        registry: TalktoMetricsRegistry | null,
        resolved: ResolvedTalktoOptions,
        queue: TalktoQueueDriver,
        backlog: TalktoBacklogReader,
        clock: TalktoClock,
      ): Promise<TalktoMetrics> => {
        if (!options?.enabled || registry === null) {
          return new NoopTalktoMetrics();
        }
        const prom = await loadPromClient();
        const incomingCommands = [...resolved.incoming.values()].flatMap((source) => [
          ...source.commands.keys(),
        ]);
        return new PrometheusTalktoMetrics(prom, {
          registry: registry as Registry<RegistryContentType>,
          service: resolved.service,
          peers: new Set([...resolved.outgoing.keys(), ...resolved.incoming.keys()]),
          commands: new Set([...(options.commands ?? []), ...incomingCommands, CALLBACK_COMMAND]),
          queue,
          oldestDueRetryAgeSeconds: async () => {
            const now = clock.now();
            const oldest = await backlog.oldestDueRetry(now);
            return oldest ? Math.max(0, (now.getTime() - oldest.getTime()) / 1000) : 0;
          },
        });
      },
      inject: [
        TALKTO_METRICS_OPTIONS,
        TALKTO_METRICS_REGISTRY,
        TALKTO_RESOLVED_OPTIONS,
        TALKTO_QUEUE_DRIVER,
        TalktoBacklogReader,
        TalktoClock,
      ],
    },
  ];
}
