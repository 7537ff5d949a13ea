import { Controller, Get, Header, Inject, type Type } from '@nestjs/common';
import { TALKTO_METRICS_REGISTRY } from './metrics.constants.js';
import type { TalktoMetricsRegistry } from './talkto-metrics-options.interface.js';

/** Serves the registry in Prometheus' text format; its path comes from the options. */
export function createMetricsController(path: string): Type<unknown> {
  @Controller(path)
  class TalktoMetricsController {
    constructor(@Inject(TALKTO_METRICS_REGISTRY) private readonly registry: TalktoMetricsRegistry) {}

    @Get()
    @Header('Content-Type', 'text/plain; version=0.0.4; charset=utf-8')
    @Header('Cache-Control', 'no-store')
    scrape(): Promise<string> {
      return this.registry.metrics();
    }
  }
  return TalktoMetricsController;
}
