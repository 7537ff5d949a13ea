import { Inject, Injectable } from '@nestjs/common';
import { TalktoClock } from '../clock/talkto.clock.js';
import type { ResolvedTalktoOptions } from '../config/resolved-options.interface.js';
import type { TalktoModuleOptions } from '../interfaces/talkto-module-options.interface.js';
import { MessageStatus as S } from '../persistence/message.statuses.js';
import { TALKTO_MODULE_OPTIONS, TALKTO_RESOLVED_OPTIONS } from '../talkto.constants.js';
import { type ActiveHealthResult, ActiveHealthChecker } from './active-health.checker.js';
import { type ConnectionFacts, connectionFacts } from './connection-facts.util.js';
import { type PanelDirection } from './panel.queries.js';
import { type PassiveHealthFacts, PassiveHealthQueries } from './passive-health.queries.js';
import { type ResolvedPanelOptions, TALKTO_PANEL_OPTIONS } from './panel-options.resolver.js';

export type PassiveHealthState = 'healthy' | 'degraded' | 'failing' | 'misconfigured' | 'unknown';

export interface PassiveHealth extends PassiveHealthFacts {
  state: PassiveHealthState;
  /** `dead_letters=N`, `retry_backlog=N`, `recent_failures=N` when non-zero. */
  warnings: string[];
}

export interface PanelConnection {
  facts: ConnectionFacts;
  passive: PassiveHealth;
  active: ActiveHealthResult | null;
}

const SUCCESSES = [S.succeeded, S.completed, S.destinationReceived, S.sent];

/** BEHAVIOR §14's passive rules, strongest signal first. */
export function passiveState(facts: PassiveHealthFacts, configured: boolean): PassiveHealth {
  const finalFailures = facts.recent[S.failedFinal] ?? 0;
  const retryable = facts.recent[S.failedRetryable] ?? 0;
  const successes = SUCCESSES.reduce((sum, status) => sum + (facts.recent[status] ?? 0), 0);
  const warnings: string[] = [];
  if (facts.deadLetters > 0) warnings.push(`dead_letters=${facts.deadLetters}`);
  if (facts.retryBacklog > 0) warnings.push(`retry_backlog=${facts.retryBacklog}`);
  if (finalFailures + retryable > 0) warnings.push(`recent_failures=${finalFailures + retryable}`);
  const state: PassiveHealthState = !configured
    ? 'misconfigured'
    : facts.deadLetters > 0 || finalFailures > 0
      ? 'failing'
      : facts.retryBacklog > 0 || retryable > 0
        ? 'degraded'
        : successes > 0
          ? 'healthy'
          : 'unknown';
  return { ...facts, state, warnings };
}

/** Every configured peer with its configuration facts, passive health and (when on) active health. */
@Injectable()
export class PanelConnections {
  constructor(
    private readonly queries: PassiveHealthQueries,
    private readonly checker: ActiveHealthChecker,
    private readonly clock: TalktoClock,
    @Inject(TALKTO_RESOLVED_OPTIONS) private readonly options: ResolvedTalktoOptions,
    @Inject(TALKTO_MODULE_OPTIONS) private readonly raw: TalktoModuleOptions,
    @Inject(TALKTO_PANEL_OPTIONS) private readonly panel: ResolvedPanelOptions,
  ) {}

  get activeChecksEnabled(): boolean {
    return this.checker.enabled;
  }

  find(direction: string, service: string): ConnectionFacts | undefined {
    return this.facts().find((facts) => facts.direction === direction && facts.service === service);
  }

  /** `withActive` asks the peers (cached); the index page shows stored facts only. */
  async list(withActive: boolean): Promise<PanelConnection[]> {
    const now = this.clock.now();
    const since = new Date(now.getTime() - this.panel.healthWindowMs);
    const all = this.facts();
    const [stored, active] = await Promise.all([
      this.queries.forPeers(
        this.options.service,
        all.map((facts) => ({ direction: facts.direction, peer: facts.service })),
        since,
        now,
      ),
      Promise.all(
        all.map((facts) => (withActive ? this.checker.check(facts.direction, facts.service) : null)),
      ),
    ]);
    return all.map((facts, index) => ({
      facts,
      passive: passiveState(stored[index], facts.configured),
      active: active[index],
    }));
  }

  check(direction: PanelDirection, service: string): Promise<ActiveHealthResult> {
    return this.checker.check(direction, service, true);
  }

  private facts(): ConnectionFacts[] {
    const transport = this.raw.transport;
    return connectionFacts(
      this.options,
      typeof transport === 'string' ? transport : transport === undefined ? 'http' : 'custom',
    );
  }
}
