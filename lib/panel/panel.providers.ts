import { Logger, type Provider, type Type } from '@nestjs/common';
import { TalktoConfigurationError } from '../errors/talkto-configuration.error.js';
import {
  createPanelController,
  type ResolvedPanelOptions,
  TALKTO_PANEL_OPTIONS,
} from './panel.controller.js';
import { PanelFormSupport } from './panel-form.support.js';
import { TalktoPanelOperations } from './panel-operations.port.js';
import { PanelQueries } from './panel.queries.js';
import { ReliabilityPanelOperations } from './reliability-panel.operations.js';
import type { TalktoPanelOptions } from './talkto-panel-options.interface.js';

function resolvePanel(options: TalktoPanelOptions | undefined): ResolvedPanelOptions | null {
  if (!options?.enabled) return null;
  if (!options.guard && process.env.NODE_ENV === 'production') {
    throw new TalktoConfigurationError('panel.guard', 'is required when NODE_ENV=production');
  }
  const prefix = (options.prefix ?? 'talkto').replace(/^\/+|\/+$/g, '');
  if (prefix === '' || /[\s?#:]/.test(prefix)) {
    throw new TalktoConfigurationError('panel.prefix', 'must be a non-empty URL path');
  }
  const perPage = options.perPage ?? 25;
  if (!Number.isInteger(perPage) || perPage < 1 || perPage > 100) {
    throw new TalktoConfigurationError('panel.perPage', 'must be an integer from 1 to 100');
  }
  return { prefix, perPage, showPayload: options.showPayload ?? true };
}

/** The panel controller when enabled; fails at definition time when production has no guard. */
export function panelControllers(options: TalktoPanelOptions | undefined): Type<unknown>[] {
  const resolved = resolvePanel(options);
  if (!resolved) return [];
  if (!options?.guard) {
    new Logger('Talkto').warn(
      'The Talkto panel is enabled without a guard: anyone who can reach it can use it.',
    );
  }
  return [createPanelController(resolved.prefix, options?.guard)];
}

export function panelProviders(options: TalktoPanelOptions | undefined): Provider[] {
  const resolved = resolvePanel(options);
  if (!resolved) return [];
  return [
    PanelQueries,
    PanelFormSupport,
    // Actions go through the operator services the CLI uses, so the two cannot drift apart.
    { provide: TalktoPanelOperations, useClass: ReliabilityPanelOperations },
    { provide: TALKTO_PANEL_OPTIONS, useValue: resolved },
  ];
}
