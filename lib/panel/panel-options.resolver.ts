import { TalktoConfigurationError } from '../errors/talkto-configuration.error.js';
import type { TalktoPanelOptions } from './talkto-panel-options.interface.js';

export interface ResolvedPanelOptions {
  prefix: string;
  perPage: number;
  showPayload: boolean;
  healthWindowMs: number;
  activeHealth: { enabled: boolean; timeoutMs: number; cacheMs: number };
}
export const TALKTO_PANEL_OPTIONS = 'TALKTO_PANEL_OPTIONS';

function seconds(value: unknown, key: string, fallback: number, max: number): number {
  if (value === undefined) return fallback * 1000;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0 || value > max) {
    throw new TalktoConfigurationError(key, `must be a number of seconds above 0, at most ${max}`);
  }
  return value * 1000;
}

/** The panel's options with defaults, or null when it is off; fails at boot naming the key. */
export function resolvePanel(options: TalktoPanelOptions | undefined): ResolvedPanelOptions | null {
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
  const window = options.healthWindowMinutes ?? 60;
  if (!Number.isInteger(window) || window < 1 || window > 7 * 24 * 60) {
    throw new TalktoConfigurationError('panel.healthWindowMinutes', 'must be an integer from 1 to 10080');
  }
  const active = options.activeHealthChecks ?? {};
  return {
    prefix,
    perPage,
    showPayload: options.showPayload === true,
    healthWindowMs: window * 60_000,
    activeHealth: {
      enabled: active.enabled === true,
      timeoutMs: seconds(active.timeoutSeconds, 'panel.activeHealthChecks.timeoutSeconds', 3, 60),
      cacheMs: seconds(active.cacheSeconds, 'panel.activeHealthChecks.cacheSeconds', 30, 3600),
    },
  };
}
