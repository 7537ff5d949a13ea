import { describe, expect, it } from '@jest/globals';
import { FixedTalktoClock } from '../../lib/clock/talkto.clock.js';
import { resolveTalktoOptions } from '../../lib/config/resolve-options.js';
import type { TalktoModuleOptions } from '../../lib/interfaces/talkto-module-options.interface.js';
import { SecurityAuditService } from '../../lib/operations/security-audit.service.js';
import { TalktoRedactor } from '../../lib/operations/talkto.redactor.js';

const NOW = new Date('2026-03-01T12:00:00Z');
const STRONG_A = 'Qm9vdHN0cmFwLXNlY3JldC1vbmUtMDEyMzQ1Njc4OQ';
const STRONG_B = 'U2Vjb25kLXJhbmRvbS1zZWNyZXQtYWJjZGVmZ2hpams';

function audit(options: TalktoModuleOptions, environment = 'development') {
  const resolved = resolveTalktoOptions(options);
  const redactor = new TalktoRedactor({ secrets: [STRONG_A, STRONG_B] });
  return new SecurityAuditService(options, resolved, new FixedTalktoClock(NOW), redactor).audit({
    environment,
  });
}

function codes(options: TalktoModuleOptions, environment?: string): string[] {
  return audit(options, environment)
    .findings.map((finding) => finding.code)
    .sort();
}

describe('SecurityAuditService', () => {
  const sound: TalktoModuleOptions = {
    service: 'shop',
    outgoing: { billing: { baseUrl: 'https://billing.internal', secret: STRONG_A } },
    incoming: { billing: { secret: STRONG_B, allowedCommands: ['shop.ship'] } },
  };

  it('reports only the v2 info finding for a sound configuration', () => {
    const report = audit(sound);
    expect(report.findings.map((finding) => finding.code)).toEqual(['accepts_only_v2_signatures']);
    expect(report.ok).toBe(true);
    expect(report.summary).toEqual({
      ok: true,
      totalFindings: 1,
      severityCounts: { info: 1, warning: 0, error: 0, critical: 0 },
    });
    expect(report.checkedAt).toEqual(NOW);
  });

  it('flags weak, short, shared and reused secrets', () => {
    expect(
      codes({
        service: 'shop',
        outgoing: {
          billing: { baseUrl: 'https://billing.internal', secret: 'short' },
          stock: { baseUrl: 'https://stock.internal', secret: STRONG_A },
          mail: { baseUrl: 'https://mail.internal', secret: 'twenty-characters-ok' },
        },
        incoming: {
          stock: { secret: STRONG_A, allowedCommands: ['a'] },
          erp: { secret: STRONG_A, allowedCommands: ['b'] },
        },
      }),
    ).toEqual([
      'accepts_only_v2_signatures',
      'outgoing_target_short_secret',
      'outgoing_target_weak_secret',
      'secret_shared_between_peers',
    ]);
    expect(
      codes({
        ...sound,
        incoming: { billing: { secret: STRONG_A, allowedCommands: ['shop.ship'] } },
      }),
    ).toContain('secret_shared_between_directions');
  });

  it('flags v1, missing nonce requirement and disabled replay protection', () => {
    const report = audit({
      ...sound,
      security: {
        acceptVersions: ['v1', 'v2'],
        signatureVersion: 'v1',
        requireNonceForV2: false,
        replayProtection: false,
      },
    });
    expect(report.findings.map((finding) => `${finding.severity}:${finding.code}`).sort()).toEqual([
      'error:replay_protection_disabled',
      'warning:accepts_v1_v2_signatures',
      'warning:outgoing_signature_v1',
      'warning:v2_nonce_not_required',
    ]);
    expect(report.ok).toBe(false);
    expect(report.findings[0].severity).toBe('error');
  });

  it('flags plain-http peer URLs only in production', () => {
    const insecure = {
      ...sound,
      outgoing: { billing: { baseUrl: 'http://billing.internal', secret: STRONG_A } },
    };
    expect(codes(insecure)).not.toContain('outgoing_target_without_tls');
    const production = audit(insecure, 'production');
    const tls = production.findings.filter((finding) => finding.code === 'outgoing_target_without_tls');
    expect(tls.map((finding) => finding.severity)).toEqual(['error', 'error']);
    expect(tls[0].context).toEqual({
      direction: 'outgoing',
      service: 'billing',
      receiveUrl: 'http://billing.internal/api/talkto/receive',
    });
  });

  it('flags expired secrets, and a peer with no valid secret as critical', () => {
    const report = audit({
      ...sound,
      incoming: {
        billing: {
          secret: [
            { value: STRONG_B, notAfter: '2026-01-01T00:00:00Z' },
            { value: STRONG_A.split('').reverse().join(''), notBefore: '2026-06-01T00:00:00Z' },
          ],
          allowedCommands: ['shop.ship'],
        },
      },
    });
    expect(report.findings.map((finding) => `${finding.severity}:${finding.code}`).sort()).toEqual([
      'critical:incoming_source_no_valid_secret',
      'info:accepts_only_v2_signatures',
      'warning:incoming_source_secret_expired',
    ]);
    expect(JSON.stringify(report)).not.toContain(STRONG_B);
  });

  it('flags allow-all and missing or empty allow-lists, and routes without a rate limit', () => {
    expect(
      codes({
        service: 'shop',
        incoming: {
          a: { secret: STRONG_A, allowAllCommands: true },
          b: { secret: STRONG_B },
          c: { secret: `${STRONG_B}c`, allowedCommands: [] },
        },
        rateLimit: { enabled: false },
      }),
    ).toEqual([
      'accepts_only_v2_signatures',
      'incoming_source_all_commands_allowed',
      'incoming_source_empty_allowed_commands',
      'incoming_source_missing_allowed_commands',
      'routes_without_throttle',
    ]);
  });

  it('flags a panel without a guard as an error in production', () => {
    const options: TalktoModuleOptions = { ...sound, panel: { enabled: true, showPayload: false } };
    expect(
      audit(options, 'production').findings.find((f) => f.code === 'panel_without_auth_middleware')?.severity,
    ).toBe('error');
    expect(audit(options).findings.find((f) => f.code === 'panel_without_auth_middleware')?.severity).toBe(
      'warning',
    );
  });

  it('warns about payloads on the panel only when showPayload is turned on (off by default)', () => {
    const visible = (panel: TalktoModuleOptions['panel']) =>
      audit({ ...sound, panel }).findings.some((f) => f.code === 'panel_payload_response_visible');
    expect(visible({ enabled: true })).toBe(false);
    expect(visible({ enabled: true, showPayload: true })).toBe(true);
  });

  it('flags active health checks as a warning in production and an info elsewhere', () => {
    const panel = { enabled: true, showPayload: false };
    const severity = (options: TalktoModuleOptions, environment?: string) =>
      audit(options, environment).findings.find((f) => f.code === 'panel_active_health_checks_enabled')
        ?.severity;
    const active: TalktoModuleOptions = {
      ...sound,
      panel: { ...panel, activeHealthChecks: { enabled: true } },
    };
    expect(severity(active, 'production')).toBe('warning');
    expect(severity(active)).toBe('info');
    expect(severity({ ...sound, panel })).toBeUndefined();
  });
});
