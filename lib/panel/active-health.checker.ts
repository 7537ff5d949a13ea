import { Inject, Injectable } from '@nestjs/common';
import { TalktoClock } from '../clock/talkto.clock.js';
import type { ResolvedTalktoOptions } from '../config/resolved-options.interface.js';
import { TALKTO_RESOLVED_OPTIONS } from '../talkto.constants.js';
import { ACTIVE_HEALTH_METHODS } from './connection-facts.util.js';
import type { PanelDirection } from './panel.queries.js';
import { type ResolvedPanelOptions, TALKTO_PANEL_OPTIONS } from './panel-options.resolver.js';

export type ActiveHealthStatus =
  'healthy' | 'failing' | 'misconfigured' | 'unknown' | 'not_configured' | 'not_applicable';

/** One active check's outcome (BEHAVIOR §14); `detail` says why in words, never a URL or secret. */
export interface ActiveHealthResult {
  status: ActiveHealthStatus;
  detail: string;
  httpStatus: number | null;
  durationMs: number | null;
  checkedAt: Date | null;
}

const idle = (status: ActiveHealthStatus, detail: string): ActiveHealthResult => ({
  status,
  detail,
  httpStatus: null,
  durationMs: null,
  checkedAt: null,
});

/**
 * Asks an outgoing peer's own health route whether it is up: GET or HEAD only, to the URL the host
 * configured and nowhere else, with no Talkto header, secret, cookie or configured extra header, and
 * a short timeout. Results are cached so a page reload does not become a request storm.
 */
@Injectable()
export class ActiveHealthChecker {
  private readonly cache = new Map<string, { expiresAt: number; result: Promise<ActiveHealthResult> }>();

  constructor(
    private readonly clock: TalktoClock,
    @Inject(TALKTO_RESOLVED_OPTIONS) private readonly options: ResolvedTalktoOptions,
    @Inject(TALKTO_PANEL_OPTIONS) private readonly panel: ResolvedPanelOptions,
  ) {}

  get enabled(): boolean {
    return this.panel.activeHealth.enabled;
  }

  /** The cached result while fresh, unless `force`; concurrent callers share one request. */
  check(direction: PanelDirection, service: string, force = false): Promise<ActiveHealthResult> {
    if (direction === 'incoming')
      return Promise.resolve(idle('not_applicable', 'incoming peers have no URL'));
    const target = this.options.outgoing.get(service);
    if (!target?.health) return Promise.resolve(idle('not_configured', 'no health URL configured'));
    if (!ACTIVE_HEALTH_METHODS.includes(target.health.method)) {
      return Promise.resolve(idle('misconfigured', `method ${target.health.method} is not GET or HEAD`));
    }
    if (!this.enabled) return Promise.resolve(idle('unknown', 'active checks are disabled'));
    const now = this.clock.now().getTime();
    const cached = this.cache.get(service);
    if (!force && cached && cached.expiresAt > now) return cached.result;
    const { url, method, timeoutMs } = target.health;
    const result = this.request(url, method, timeoutMs ?? this.panel.activeHealth.timeoutMs);
    this.cache.set(service, { expiresAt: now + this.panel.activeHealth.cacheMs, result });
    return result;
  }

  private async request(url: string, method: string, timeoutMs: number): Promise<ActiveHealthResult> {
    const started = performance.now();
    const checkedAt = this.clock.now();
    const elapsed = () => Math.round(performance.now() - started);
    try {
      const response = await fetch(url, {
        method,
        redirect: 'manual',
        credentials: 'omit',
        headers: { accept: 'application/json, text/plain;q=0.9, */*;q=0.1' },
        signal: AbortSignal.timeout(timeoutMs),
      });
      await response.body?.cancel();
      const healthy = response.status >= 200 && response.status < 400;
      return {
        status: healthy ? 'healthy' : 'failing',
        detail: `answered HTTP ${response.status}`,
        httpStatus: response.status,
        durationMs: elapsed(),
        checkedAt,
      };
    } catch (error) {
      // By name: the DOMException may come from another realm than this module's Error.
      const timedOut = (error as { name?: unknown }).name === 'TimeoutError';
      // Node's fetch puts the socket's error code (ECONNREFUSED, ENOTFOUND) in `cause`.
      const code = (error as { cause?: { code?: unknown } }).cause?.code;
      return {
        status: 'unknown',
        detail: timedOut
          ? `no answer within ${timeoutMs / 1000} s`
          : `request failed (${typeof code === 'string' ? code : 'no answer'})`,
        httpStatus: null,
        durationMs: elapsed(),
        checkedAt,
      };
    }
  }
}
