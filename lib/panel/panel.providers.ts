import { Logger, type Provider, type Type } from '@nestjs/common';
import { ActiveHealthChecker } from './active-health.checker.js';
import { CallbackStatusInspector } from './callback-status.inspector.js';
import { createPanelController } from './panel.controller.js';
import { OverviewQueries } from './overview.queries.js';
import { PanelConnections } from './panel-connections.service.js';
import { PanelOverview } from './panel-overview.service.js';
import { resolvePanel, TALKTO_PANEL_OPTIONS } from './panel-options.resolver.js';
import { PanelFormSupport } from './panel-form.support.js';
import { TalktoPanelOperations } from './panel-operations.port.js';
import { PanelQueries } from './panel.queries.js';
import { PassiveHealthQueries } from './passive-health.queries.js';
import { ReliabilityPanelOperations } from './reliability-panel.operations.js';
import type { TalktoPanelOptions } from './talkto-panel-options.interface.js';

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
    PassiveHealthQueries,
    PanelConnections,
    ActiveHealthChecker,
    CallbackStatusInspector,
    OverviewQueries,
    PanelOverview,
    PanelFormSupport,
    // Actions go through the operator services the CLI uses, so the two cannot drift apart.
    { provide: TalktoPanelOperations, useClass: ReliabilityPanelOperations },
    { provide: TALKTO_PANEL_OPTIONS, useValue: resolved },
  ];
}
