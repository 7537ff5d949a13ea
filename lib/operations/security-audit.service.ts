import { Inject, Injectable } from '@nestjs/common';
import { TalktoClock } from '../clock/talkto.clock.js';
import type { ResolvedSecret, ResolvedTalktoOptions } from '../config/resolved-options.interface.js';
import type { TalktoModuleOptions } from '../interfaces/talkto-module-options.interface.js';
import { TALKTO_MODULE_OPTIONS, TALKTO_RESOLVED_OPTIONS } from '../talkto.constants.js';
import {
  AUDIT_SEVERITIES,
  type AuditFinding,
  type AuditSeverity,
  type SecurityAuditReport,
} from './security-audit.interfaces.js';
import { TalktoRedactor } from './talkto.redactor.js';

/** Below this a secret is too short to resist guessing (the PHP package's threshold, in bytes). */
const SHORT_SECRET_BYTES = 16;
/** Our stricter bar: a 256-bit HMAC key deserves at least 32 characters of randomness. */
const STRONG_SECRET_LENGTH = 32;
const STRONG_SECRET_DISTINCT_CHARACTERS = 8;
const HIGH_TOLERANCE_SECONDS = 600;

type PeerKind = 'outgoing_target' | 'incoming_source';

export interface SecurityAuditInput {
  /** Deployment environment; production tightens some checks (default `process.env.NODE_ENV`). */
  environment?: string;
}

/** Severity order: `atOrAbove('warning')` is true for warning, error and critical. */
export function severityRank(severity: AuditSeverity): number {
  return AUDIT_SEVERITIES.indexOf(severity);
}

/**
 * Reviews signing, replay protection, peer secrets and URLs, command allow-lists, routes and the
 * panel. Reads options only: nothing is stored and no peer is contacted.
 */
@Injectable()
export class SecurityAuditService {
  constructor(
    @Inject(TALKTO_MODULE_OPTIONS) private readonly raw: TalktoModuleOptions,
    @Inject(TALKTO_RESOLVED_OPTIONS) private readonly options: ResolvedTalktoOptions,
    private readonly clock: TalktoClock,
    private readonly redactor: TalktoRedactor,
  ) {}

  audit(input: SecurityAuditInput = {}): SecurityAuditReport {
    const production = (input.environment ?? process.env.NODE_ENV) === 'production';
    const now = this.clock.now();
    const findings: AuditFinding[] = [];
    const add = (
      severity: AuditSeverity,
      code: string,
      message: string,
      recommendation: string,
      context: Record<string, unknown> = {},
    ) => {
      findings.push({
        severity,
        code,
        message,
        recommendation,
        context: this.redactor.redact(context) as Record<string, unknown>,
      });
    };

    this.auditSigning(add);
    this.auditPeers(add, production, now.getTime());
    this.auditExposure(add, production);

    const severityCounts = { info: 0, warning: 0, error: 0, critical: 0 };
    for (const finding of findings) {
      severityCounts[finding.severity] += 1;
    }
    const ok = severityCounts.error === 0 && severityCounts.critical === 0;
    findings.sort((a, b) => severityRank(b.severity) - severityRank(a.severity));
    return {
      ok,
      summary: { ok, totalFindings: findings.length, severityCounts },
      findings,
      checkedAt: now,
    };
  }

  private auditSigning(add: AddFinding): void {
    const security = this.options.security;
    if (security.timestampToleranceSeconds > HIGH_TOLERANCE_SECONDS) {
      add(
        'warning',
        'timestamp_tolerance_high',
        `Requests up to ${security.timestampToleranceSeconds} s old are accepted.`,
        `Keep security.timestampToleranceSeconds at ${HIGH_TOLERANCE_SECONDS} or less.`,
        { timestampToleranceSeconds: security.timestampToleranceSeconds },
      );
    }
    if (security.signatureVersion === 'v1') {
      add(
        'warning',
        'outgoing_signature_v1',
        'Outgoing requests are signed with v1, which has no nonce.',
        "Set security.signatureVersion to 'v2' once every peer accepts it.",
      );
    }
    const accepts = security.acceptVersions;
    if (accepts.includes('v1') && accepts.includes('v2')) {
      add(
        'warning',
        'accepts_v1_v2_signatures',
        'Incoming v1 signatures are still accepted next to v2.',
        "Drop 'v1' from security.acceptVersions once every peer signs with v2.",
        { acceptVersions: accepts },
      );
    } else if (accepts.includes('v1')) {
      add(
        'warning',
        'accepts_v1_signatures',
        'Only v1 signatures are accepted; v1 requests cannot be protected against replay by nonce.',
        "Accept 'v2' and move peers to it.",
        { acceptVersions: accepts },
      );
    } else {
      add('info', 'accepts_only_v2_signatures', 'Only v2 signatures are accepted.', 'No action needed.', {
        acceptVersions: accepts,
      });
    }
    if (!security.replayProtection) {
      add(
        'error',
        'replay_protection_disabled',
        'Replay protection is off: a captured request can be replayed until its timestamp expires.',
        'Set security.replayProtection to true.',
      );
    }
    if (accepts.includes('v2') && !security.requireNonceForV2) {
      add(
        'warning',
        'v2_nonce_not_required',
        'v2 requests without a nonce are accepted.',
        'Set security.requireNonceForV2 to true.',
      );
    }
  }

  private auditPeers(add: AddFinding, production: boolean, now: number): void {
    const owners = new Map<string, string[]>();
    const remember = (secrets: ResolvedSecret[], owner: string) => {
      for (const secret of secrets) {
        owners.set(secret.value, [...(owners.get(secret.value) ?? []), owner]);
      }
    };

    for (const target of this.options.outgoing.values()) {
      const peer = { direction: 'outgoing', service: target.name };
      this.auditSecrets(add, 'outgoing_target', target.name, target.secrets, now);
      remember(target.secrets, `outgoing:${target.name}`);
      if (target.signatureVersion === 'v1' && this.options.security.signatureVersion !== 'v1') {
        add(
          'warning',
          'outgoing_signature_v1',
          `Requests to ${target.name} are signed with v1.`,
          "Use signatureVersion 'v2' for this target.",
          peer,
        );
      }
      if (target.headers.length > 0) {
        add(
          'info',
          'outgoing_target_custom_headers',
          `Custom headers are sent to ${target.name}.`,
          'Make sure they carry no credential the peer does not need.',
          { ...peer, headers: Object.fromEntries(target.headers) },
        );
      }
      if (this.options.callbacks.enabled && target.callbackUrl === null) {
        add(
          'warning',
          'outgoing_target_callback_url_unresolved',
          `No callback URL can be built for ${target.name}.`,
          'Set baseUrl or callbackUrl for this target.',
          peer,
        );
      }
      if (production) {
        for (const [kind, url] of [
          ['receiveUrl', target.receiveUrl],
          ['callbackUrl', target.callbackUrl],
        ] as const) {
          if (url !== null && url.toLowerCase().startsWith('http://')) {
            add(
              'error',
              'outgoing_target_without_tls',
              `The ${kind} of ${target.name} uses plain http in production.`,
              'Use an https:// URL so payloads and signatures are not readable on the wire.',
              { ...peer, [kind]: url },
            );
          }
        }
      }
    }

    for (const [name, source] of this.options.incoming) {
      const peer = { direction: 'incoming', service: name };
      this.auditSecrets(add, 'incoming_source', name, source.secrets, now);
      remember(source.secrets, `incoming:${name}`);
      const allowed = this.raw.incoming?.[name]?.allowedCommands;
      if (source.allowAllCommands) {
        add(
          'warning',
          'incoming_source_all_commands_allowed',
          `${name} may send any command.`,
          'List the commands this source may send in allowedCommands and turn allowAllCommands off.',
          peer,
        );
      } else if (allowed === undefined) {
        add(
          'warning',
          'incoming_source_missing_allowed_commands',
          `${name} has no allowedCommands, so every command from it is refused.`,
          'List the commands this source may send.',
          peer,
        );
      } else if (source.commands.size === 0) {
        add(
          'warning',
          'incoming_source_empty_allowed_commands',
          `${name} has an empty allowedCommands list, so every command from it is refused.`,
          'List the commands this source may send, or remove the source.',
          peer,
        );
      }
    }

    for (const shared of owners.values()) {
      const unique = [...new Set(shared)];
      if (unique.length < 2) {
        continue;
      }
      const services = new Set(unique.map((owner) => owner.split(':').slice(1).join(':')));
      if (services.size > 1) {
        add(
          'error',
          'secret_shared_between_peers',
          'Several peers use the same secret, so each of them can sign as the others.',
          'Give every peer its own random secret.',
          { peers: unique },
        );
      } else {
        add(
          'warning',
          'secret_shared_between_directions',
          `${[...services][0]} uses the same secret for both directions.`,
          'Use one secret per direction so a leak on one side does not expose the other.',
          { peers: unique },
        );
      }
    }
  }

  private auditSecrets(
    add: AddFinding,
    kind: PeerKind,
    name: string,
    secrets: ResolvedSecret[],
    now: number,
  ): void {
    const peer = { direction: kind === 'outgoing_target' ? 'outgoing' : 'incoming', service: name };
    let valid = 0;
    secrets.forEach((secret, index) => {
      const context = { ...peer, position: index };
      if (secret.notAfter !== null && secret.notAfter < now) {
        add(
          'warning',
          `${kind}_secret_expired`,
          `A secret of ${name} is past its notAfter date and is no longer used.`,
          'Remove expired secrets from the configuration.',
          { ...context, notAfter: new Date(secret.notAfter).toISOString() },
        );
        return;
      }
      if (secret.notBefore === null || secret.notBefore <= now) {
        valid += 1;
      }
      const bytes = Buffer.byteLength(secret.value, 'utf8');
      if (bytes < SHORT_SECRET_BYTES) {
        add(
          'warning',
          `${kind}_short_secret`,
          `A secret of ${name} is shorter than ${SHORT_SECRET_BYTES} bytes.`,
          `Use a random secret of at least ${STRONG_SECRET_LENGTH} characters.`,
          { ...context, length: secret.value.length },
        );
      } else if (
        secret.value.length < STRONG_SECRET_LENGTH ||
        new Set(secret.value).size < STRONG_SECRET_DISTINCT_CHARACTERS
      ) {
        add(
          'warning',
          `${kind}_weak_secret`,
          `A secret of ${name} is shorter than ${STRONG_SECRET_LENGTH} characters or barely varied.`,
          `Use a random secret of at least ${STRONG_SECRET_LENGTH} characters (e.g. 32 random bytes, base64).`,
          { ...context, length: secret.value.length },
        );
      }
    });
    if (valid === 0) {
      add(
        'critical',
        `${kind}_no_valid_secret`,
        `${name} has no secret valid right now: every request ${kind === 'outgoing_target' ? 'to' : 'from'} it fails.`,
        'Add a current secret (check notBefore/notAfter).',
        peer,
      );
    }
  }

  private auditExposure(add: AddFinding, production: boolean): void {
    const routes = this.options.routes;
    if (routes.enabled && this.raw.rateLimit?.enabled === false) {
      add(
        'warning',
        'routes_without_throttle',
        'The receive and callback routes have no rate limit.',
        'Keep rateLimit.enabled on (the default).',
      );
    }
    if (this.options.callbacks.enabled && !routes.enabled) {
      add(
        'info',
        'callbacks_enabled_routes_disabled',
        'Callbacks are enabled but the Talkto routes are not mounted, so none can be received here.',
        'Mount the routes or disable callbacks if this service never receives them.',
      );
    }
    const panel = this.raw.panel;
    if (panel?.enabled === true) {
      if (panel.guard === undefined) {
        add(
          production ? 'error' : 'warning',
          'panel_without_auth_middleware',
          'The panel is enabled without a guard.',
          'Set panel.guard to a guard that authenticates and authorises operators.',
        );
      }
      if (panel.showPayload === true) {
        add(
          'warning',
          'panel_payload_response_visible',
          'The panel shows (redacted) payloads.',
          'Leave panel.showPayload off (the default) unless operators need payloads.',
        );
      }
      if (panel.activeHealthChecks?.enabled === true) {
        add(
          production ? 'warning' : 'info',
          'panel_active_health_checks_enabled',
          'The panel sends requests to the health URLs of outgoing peers.',
          'Keep health URLs on internal hosts, or turn panel.activeHealthChecks off.',
        );
      }
    }
  }
}

type AddFinding = (
  severity: AuditSeverity,
  code: string,
  message: string,
  recommendation: string,
  context?: Record<string, unknown>,
) => void;
