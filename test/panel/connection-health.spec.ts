import { describe, expect, it } from '@jest/globals';
import { TalktoClock } from '../../lib/clock/talkto.clock.js';
import { resolveTalktoOptions } from '../../lib/config/resolve-options.js';
import { ActiveHealthChecker } from '../../lib/panel/active-health.checker.js';
import { connectionFacts, redactUrl } from '../../lib/panel/connection-facts.util.js';
import { passiveState } from '../../lib/panel/panel-connections.service.js';
import { resolvePanel } from '../../lib/panel/panel-options.resolver.js';
import { startHealthServer } from './fixtures/health-server.js';

const SECRET = 'peer-secret-0123456789-0123456789-abcdef';

function options(health?: { url?: string; endpoint?: string; method?: string }) {
  return resolveTalktoOptions({
    service: 'shop',
    outgoing: { ledger: { baseUrl: 'https://user:pw@ledger.internal', secret: SECRET, health } },
    incoming: { ledger: { secret: SECRET } },
  });
}

const facts = {
  lastMessageAt: null,
  lastSuccessAt: null,
  lastFailureAt: null,
  retryBacklog: 0,
  deadLetters: 0,
};

describe('panel connections', () => {
  it('redacts credentials and every query value of a URL', () => {
    expect(redactUrl('https://user:pw@peer.internal/health?token=abc&token=def&x=1')).toBe(
      'https://peer.internal/health?token=redacted&x=redacted',
    );
  });

  it('lists configuration facts and warnings without a secret', () => {
    const list = connectionFacts(options({ endpoint: '/up', method: 'delete' }), 'http');
    expect(list.map((f) => [f.direction, f.service, f.warnings])).toEqual([
      ['outgoing', 'ledger', ['unsupported_active_health_method']],
      ['incoming', 'ledger', ['missing_allowed_commands']],
    ]);
    expect(list[0].healthUrl).toBe('https://ledger.internal/up');
    expect(list[0].healthMethod).toBe('DELETE');
    expect(JSON.stringify(list)).not.toMatch(/peer-secret|pw@/);
  });

  it('fails at boot when a health route is neither a URL nor an endpoint on baseUrl', () => {
    expect(() => options({ url: 'ftp://ledger.internal/up' })).toThrow(/outgoing\.ledger\.health\.url/);
    expect(() => options({})).toThrow(/outgoing\.ledger\.health\.url/);
  });

  it('rates passive health from dead letters, final failures, backlog and successes, in that order', () => {
    expect(passiveState({ ...facts, deadLetters: 1, recent: { succeeded: 9 } }, true).state).toBe('failing');
    expect(passiveState({ ...facts, recent: { failed_final: 1 } }, true).state).toBe('failing');
    expect(passiveState({ ...facts, retryBacklog: 2, recent: {} }, true)).toMatchObject({
      state: 'degraded',
      warnings: ['retry_backlog=2'],
    });
    expect(passiveState({ ...facts, recent: { failed_retryable: 1 } }, true).state).toBe('degraded');
    expect(passiveState({ ...facts, recent: { completed: 3 } }, true).state).toBe('healthy');
    expect(passiveState({ ...facts, recent: {} }, true).state).toBe('unknown');
    expect(passiveState({ ...facts, recent: { completed: 3 } }, false).state).toBe('misconfigured');
  });

  it('sends no request while active checks are off (the default)', async () => {
    const server = await startHealthServer();
    try {
      const resolved = options({ url: `${server.url}/health` });
      const panel = resolvePanel({ enabled: true });
      const checker = new ActiveHealthChecker(new TalktoClock(), resolved, panel!);
      await expect(checker.check('outgoing', 'ledger', true)).resolves.toMatchObject({ status: 'unknown' });
      expect(server.requests).toEqual([]);

      const on = new ActiveHealthChecker(
        new TalktoClock(),
        resolved,
        resolvePanel({ enabled: true, activeHealthChecks: { enabled: true } })!,
      );
      await expect(on.check('outgoing', 'ledger')).resolves.toMatchObject({
        status: 'healthy',
        httpStatus: 200,
      });
      await expect(on.check('outgoing', 'ledger')).resolves.toMatchObject({ status: 'healthy' });
      expect(server.requests).toHaveLength(1);
    } finally {
      await server.close();
    }
  });
});
